import Foundation
import Testing
import TensorCore
@testable import SyntheticWorld

/// POPE's negative sampling rules (AoiDragon/POPE utils.py), re-derived here from the written
/// ground-truth objects and checked question by question against the label files.
@Suite struct POPETests {
    struct GroundTruth { var image: String; var objects: [String] }

    func groundTruth() throws -> [GroundTruth] {
        let list = try readJSON(smokeWorld.appendingPathComponent("eval/pope/ground_truth_objects.json")) as! [[String: Any]]
        return list.map { GroundTruth(image: $0["image"] as! String, objects: $0["objects"] as! [String]) }
    }

    /// generate_ground_truth_objects + sorted(..., key=count, reverse=True): Python's sort is stable.
    func popular(_ images: [GroundTruth]) -> [String] {
        var counts: [(String, Int)] = []
        for image in images {
            for object in image.objects {
                if let i = counts.firstIndex(where: { $0.0 == object }) { counts[i].1 += 1 } else { counts.append((object, 1)) }
            }
        }
        var result = counts
        // insertion sort keeps equal counts in first-appearance order (stable, like Python)
        for i in 1..<max(1, result.count) {
            var j = i
            while j > 0 && result[j - 1].1 < result[j].1 { result.swapAt(j - 1, j); j -= 1 }
        }
        return result.map(\.0)
    }

    /// compute_co_occurrence: per object, others by count of shared images, stable.
    func coOccurring(_ object: String, _ images: [GroundTruth]) -> [String] {
        var counts: [(String, Int)] = []
        for image in images where image.objects.contains(object) {
            for other in image.objects where other != object {
                if let i = counts.firstIndex(where: { $0.0 == other }) { counts[i].1 += 1 } else { counts.append((other, 1)) }
            }
        }
        for i in 1..<max(1, counts.count) {
            var j = i
            while j > 0 && counts[j - 1].1 < counts[j].1 { counts.swapAt(j - 1, j); j -= 1 }
        }
        return counts.map(\.0)
    }

    func object(ofQuestion text: String) -> String {
        let body = text.replacingOccurrences(of: " in the image?", with: "")
        return body.hasPrefix("Is there an ") ? String(body.dropFirst(12)) : String(body.dropFirst(11))
    }

    @Test(arguments: POPESplit.allCases)
    func negativesFollowPOPEsRule(split: POPESplit) throws {
        let images = try groundTruth()
        #expect(images.count == 12)
        let labels = try readJSONLines(smokeWorld.appendingPathComponent("eval/pope/coco/coco_pope_\(split.rawValue).json"))
        #expect(labels.count == images.count * 6)
        let ranking = popular(images)
        var usedFallback = 0, matchedRanking = 0
        for (i, image) in images.enumerated() {
            #expect(image.objects.count >= 3 && Set(image.objects).count == image.objects.count)
            let block = labels[(i * 6)..<(i * 6 + 6)]
            var history: [String] = []
            for (k, label) in block.enumerated() {
                #expect(label["image"] as? String == image.image)
                let object = object(ofQuestion: label["text"] as! String)
                let article = "aeiou".contains(object.first!) ? "an" : "a"
                #expect(label["text"] as? String == "Is there \(article) \(object) in the image?")
                if k % 2 == 0 {
                    #expect(label["label"] as? String == "yes")
                    #expect(object == image.objects[k / 2], "positives are the image's first three objects")
                } else {
                    #expect(label["label"] as? String == "no")
                    #expect(!image.objects.contains(object) && !history.contains(object))
                    let available = { (o: String) in !image.objects.contains(o) && !history.contains(o) }
                    let expected: String?
                    switch split {
                    case .random: expected = nil
                    case .popular: expected = ranking.first(where: available)
                    case .adversarial: expected = coOccurring(image.objects[k / 2], images).first(where: available)
                    }
                    if split != .random {
                        if let expected { #expect(object == expected); matchedRanking += 1 } else { usedFallback += 1 }
                    }
                }
                history.append(object)
            }
        }
        if split != .random { #expect(matchedRanking > usedFallback) }
    }

    @Test func groundTruthObjectsMatchTheSceneGraphs() throws {
        let graphs = try scenes("pope")
        for image in try groundTruth() {
            #expect(graphs[image.image]?.categories == image.objects)
        }
    }

    @Test func randomNegativesDifferFromPopularOnes() throws {
        let random = try readJSONLines(smokeWorld.appendingPathComponent("eval/pope/coco/coco_pope_random.json"))
        let popularLabels = try readJSONLines(smokeWorld.appendingPathComponent("eval/pope/coco/coco_pope_popular.json"))
        let differing = zip(random, popularLabels).filter { ($0.0["text"] as! String) != ($0.1["text"] as! String) }
        #expect(differing.count > 6)
        #expect(Set(popularLabels.filter { $0["label"] as? String == "no" }.map { $0["text"] as! String }).count
                < Set(random.filter { $0["label"] as? String == "no" }.map { $0["text"] as! String }).count)
    }

    /// A hand-checked case: a, b, c co-occur in two images; d only with a.
    @Test func builderOnAHandMadeDataset() {
        let images = [POPEImage(image: "1", objects: ["a", "b", "c"]), POPEImage(image: "2", objects: ["a", "b", "d"]),
                      POPEImage(image: "3", objects: ["e", "f", "g"])]
        #expect(POPEBuilder.popularity(images) == ["a", "b", "c", "d", "e", "f", "g"])
        #expect(POPEBuilder.coOccurrence(images)["a"] == ["b", "c", "d"])
        var rng = SeededGenerator(seed: 1)
        let popular = POPEBuilder.questions(images, split: .popular, rng: &rng).filter { $0.label == "no" }.map(\.object)
        // image 1: a,b,c taken -> d, e, f; image 2 -> c, e, f; image 3 -> a, b, c
        #expect(popular == ["d", "e", "f", "c", "e", "f", "a", "b", "c"])
        let adversarial = POPEBuilder.questions(images, split: .adversarial, rng: &rng).filter { $0.label == "no" }.map(\.object)
        // image 1: a -> d; b -> co-occurring [a, c, d] all used -> random fallback; image 3: e -> f,g are in the image -> random
        #expect(adversarial[0] == "d")
        #expect(!["a", "b", "c", "d"].contains(adversarial[1]))
        #expect(adversarial[3] == "c")  // image 2, positive a: co-occurring [b, c, d] -> c
    }
}
