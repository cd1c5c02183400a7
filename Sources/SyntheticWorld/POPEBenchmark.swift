import TensorCore

// POPE (benchmarks.md section 8), built the way AoiDragon/POPE `utils.py` builds it:
// per image, its first 3 ground-truth objects as "yes" questions, each followed by one "no"
// question whose object is drawn by the split's rule:
//   random      - any object of the dataset that is not in the image;
//   popular     - the most frequent objects of the dataset (by number of images), in order;
//   adversarial - the objects that co-occur most often with the positive object, in order.
// Popular and adversarial fall back to random when the ranking is exhausted. Objects already
// asked about for the image are never repeated. Objects here are colour-shape categories
// ("red circle"); the scene sampler's palettes and shape families give them POPE-like
// frequency and co-occurrence structure.

public enum POPESplit: String, CaseIterable, Sendable { case adversarial, popular, random }

/// One image's ground truth, as POPE's `segment_results` entries.
public struct POPEImage: Sendable {
    public var image: String
    public var objects: [String]
}

public struct POPEQuestion: Equatable, Sendable {
    public var image: String
    public var object: String
    public var label: String  // "yes" or "no"
    public var text: String { QuestionGenerator.popeQuestion(object) }
}

public enum POPEBuilder {
    public static let positivesPerImage = 3

    /// Objects by number of images containing them, most frequent first; ties keep first appearance.
    public static func popularity(_ images: [POPEImage]) -> [String] {
        var order: [String] = [], counts: [String: Int] = [:]
        for image in images {
            for object in image.objects {
                if counts[object] == nil { order.append(object) }
                counts[object, default: 0] += 1
            }
        }
        return stableSortedDescending(order) { counts[$0]! }
    }

    /// For each object, the others ranked by how many images contain both, ties by first co-occurrence.
    public static func coOccurrence(_ images: [POPEImage]) -> [String: [String]] {
        var order: [String: [String]] = [:], counts: [String: [String: Int]] = [:]
        for image in images {
            for object in image.objects {
                for other in image.objects where other != object {
                    if counts[object]?[other] == nil { order[object, default: []].append(other) }
                    counts[object, default: [:]][other, default: 0] += 1
                }
            }
        }
        var ranked: [String: [String]] = [:]
        for (object, others) in order {
            let table = counts[object]!
            ranked[object] = stableSortedDescending(others) { table[$0]! }
        }
        return ranked
    }

    /// The dataset's objects in first-appearance order (POPE's `gt_objects_list`).
    public static func allObjects(_ images: [POPEImage]) -> [String] {
        var order: [String] = [], seen = Set<String>()
        for image in images { for object in image.objects where seen.insert(object).inserted { order.append(object) } }
        return order
    }

    public static func questions(_ images: [POPEImage], split: POPESplit, rng: inout SeededGenerator) -> [POPEQuestion] {
        let everyObject = Self.allObjects(images)
        let popular = popularity(images)
        let coOccurring = coOccurrence(images)
        var result: [POPEQuestion] = []
        for image in images {
            var history: [String] = []
            func available(_ object: String) -> Bool { !history.contains(object) && !image.objects.contains(object) }
            for positive in image.objects.prefix(positivesPerImage) {
                history.append(positive)
                result.append(POPEQuestion(image: image.image, object: positive, label: "yes"))
                let ranked: [String]
                switch split {
                case .random: ranked = []
                case .popular: ranked = popular
                case .adversarial: ranked = coOccurring[positive] ?? []
                }
                var negative = ranked.first(where: available)
                if negative == nil {
                    let pool = everyObject.filter(available)
                    negative = pool.isEmpty ? nil : rng.pick(pool)
                }
                guard let negative else { continue }
                history.append(negative)
                result.append(POPEQuestion(image: image.image, object: negative, label: "no"))
            }
        }
        return result
    }

    private static func stableSortedDescending(_ items: [String], key: (String) -> Int) -> [String] {
        items.enumerated().sorted { a, b in
            let ka = key(a.element), kb = key(b.element)
            return ka != kb ? ka > kb : a.offset < b.offset
        }.map(\.element)
    }
}

extension WorldGenerator {
    func writePOPE(_ writer: DatasetWriter) throws {
        var images: [POPEImage] = []
        report("eval/pope", 0, sizes.popeImages)
        for index in 0..<sizes.popeImages {
            var rng = generator("pope", index)
            let scene = sampler.samplePOPEScene(&rng)
            let imageID = index + 1
            let name = "COCO_val2014_\(zeroPadded(imageID, 12)).\(writer.photoExtension)"
            try writer.writeImage(scene, to: "eval/pope/val2014/\(name)", sceneSet: "pope", sceneKey: name)
            images.append(POPEImage(image: name, objects: scene.categories))
            report("eval/pope", index + 1, sizes.popeImages)
        }
        // POPE's input: the ground-truth objects per image (kept outside coco/, which must hold only label files).
        try writer.writeJSON(.array(images.map { .object([("image", .string($0.image)), ("objects", .strings($0.objects))]) }),
                             to: "eval/pope/ground_truth_objects.json", indent: 1)
        var llavaLines: [JSONValue] = []
        for split in POPESplit.allCases {
            var rng = generator("pope-negatives-\(split.rawValue)", 0)
            let questions = POPEBuilder.questions(images, split: split, rng: &rng)
            let labels: [JSONValue] = questions.enumerated().map { i, q in
                .object([("question_id", .int(i + 1)), ("image", .string(q.image)), ("text", .string(q.text)), ("label", .string(q.label))])
            }
            try writer.writeJSONLines(labels, to: "eval/pope/coco/coco_pope_\(split.rawValue).json")
            for q in questions {
                llavaLines.append(.object([("question_id", .int(llavaLines.count)), ("image", .string(q.image)),
                                           ("text", .string(q.text + "\n" + PromptSuffix.shortAnswer)), ("category", .string(split.rawValue))]))
            }
        }
        try writer.writeJSONLines(llavaLines, to: "eval/pope/llava_pope_test.jsonl")
    }
}
