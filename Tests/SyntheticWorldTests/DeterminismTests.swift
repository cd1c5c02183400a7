import Foundation
import Testing
@testable import SyntheticWorld

@Suite struct DeterminismTests {
    private func files(under root: URL) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])!
        for case let url as URL in enumerator where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            result[String(url.path.dropFirst(root.path.count))] = try Data(contentsOf: url)
        }
        return result
    }

    @Test func sameSeedGivesIdenticalFilesAndOtherSeedsDiffer() throws {
        var sizes = DatasetSizes.smoke
        sizes.pretrain = 6; sizes.finetune = 6
        let a = temporaryFolder("det-a"), b = temporaryFolder("det-b"), c = temporaryFolder("det-c")
        defer { for url in [a, b, c] { try? FileManager.default.removeItem(at: url) } }
        try WorldGenerator(seed: 5, sizes: sizes).generate(into: a)
        try WorldGenerator(seed: 5, sizes: sizes).generate(into: b)
        try WorldGenerator(seed: 6, sizes: sizes).generate(into: c)
        let filesA = try files(under: a), filesB = try files(under: b), filesC = try files(under: c)
        #expect(filesA.count > 100)
        #expect(filesA == filesB)
        let changed = filesA.keys.filter { filesA[$0] != filesC[$0] && $0 != "/world.json" }
        #expect(changed.count > filesA.count / 2, "another seed should change most files")
    }

    @Test func setsDoNotDependOnOtherSetsSizes() throws {
        var small = DatasetSizes.smoke, large = DatasetSizes.smoke
        large.pretrain = 20; large.vqav2 = 3
        let a = temporaryFolder("indep-a"), b = temporaryFolder("indep-b")
        defer { for url in [a, b] { try? FileManager.default.removeItem(at: url) } }
        small.vqav2 = 3
        try WorldGenerator(seed: 9, sizes: small).generate(into: a, benchmarks: [.pope, .vqav2])
        try WorldGenerator(seed: 9, sizes: large).generate(into: b, benchmarks: [.pope, .vqav2])
        for path in ["eval/pope/llava_pope_test.jsonl", "eval/vqav2/v2_mscoco_val2014_annotations.json", "images/pretrain/pretrain-000003.png"] {
            #expect(try Data(contentsOf: a.appendingPathComponent(path)) == Data(contentsOf: b.appendingPathComponent(path)), "\(path)")
        }
    }

    /// The object-existence turns mixed into the fine-tuning conversations leave everything else as
    /// it was: the same images, the same pretraining data, and each conversation's own turns in
    /// order, with exactly that many distinct POPE-style questions added.
    @Test func existenceTurnsAreAddedToFineTuningConversationsOnly() throws {
        var without = DatasetSizes.smoke, with = DatasetSizes.smoke
        without.finetuneExistenceTurns = 0; with.finetuneExistenceTurns = 2
        let a = temporaryFolder("oe-0"), b = temporaryFolder("oe-2")
        defer { for url in [a, b] { try? FileManager.default.removeItem(at: url) } }
        try WorldGenerator(seed: 3, sizes: without).generate(into: a, benchmarks: [])
        try WorldGenerator(seed: 3, sizes: with).generate(into: b, benchmarks: [])
        let filesA = try files(under: a), filesB = try files(under: b)
        let differing = Set(filesA.keys.filter { filesA[$0] != filesB[$0] })
        #expect(differing == ["/train/finetune.json", "/world.json"])

        func humanTurns(_ url: URL) throws -> [[String]] {
            try (readJSON(url.appendingPathComponent("train/finetune.json")) as! [[String: Any]]).map { record in
                (record["conversations"] as! [[String: String]]).filter { $0["from"] == "human" }
                    .map { $0["value"]!.replacingOccurrences(of: "<image>\n", with: "") }
            }
        }
        let plain = try humanTurns(a), mixed = try humanTurns(b)
        #expect(plain.count == mixed.count && !plain.isEmpty)
        for (own, all) in zip(plain, mixed) {
            let added = all.filter { !own.contains($0) }
            #expect(all.count == own.count + 2 && Set(all).count == all.count, "\(all)")
            #expect(added.allSatisfy { $0.hasPrefix("Is there ") && $0.hasSuffix("in the image?\n" + PromptSuffix.shortAnswer) }, "\(added)")
            #expect(all.filter(own.contains) == own, "the conversation's own turns keep their order")
        }
        #expect(!WorldGenerator.defaultWorldIsCurrent(in: a.path), "a world without the default existence turns is stale")
    }

    @Test func aWorldFromBeforeExistenceTurnsIsNotCurrent() throws {
        let folder = temporaryFolder("stale")
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(!WorldGenerator.defaultWorldIsCurrent(in: folder.path), "no world.json")
        let old = #"{"seed": 0, "sizes": {"pretrain": 8000, "finetune": 4000, "max_turns": 3}}"#
        try Data(old.utf8).write(to: folder.appendingPathComponent("world.json"))
        #expect(!WorldGenerator.defaultWorldIsCurrent(in: folder.path))
        try WorldGenerator(seed: 0, sizes: .smoke).generate(into: folder, benchmarks: [])
        var sizes = DatasetSizes.smoke
        #expect(sizes.finetuneExistenceTurns == DatasetSizes().finetuneExistenceTurns)
        #expect(WorldGenerator.defaultWorldIsCurrent(in: folder.path))
        sizes.finetuneExistenceTurns = -1
        #expect(throws: SyntheticWorldError.invalidOption(name: "finetune-existence-turns", reason: "must be 0 or more, got -1")) {
            try WorldGenerator(seed: 0, sizes: sizes).generate(into: folder, benchmarks: [])
        }
    }

    @Test func invalidOptionsAreReportedByName() {
        var configuration = WorldConfiguration()
        configuration.imageSize = 8
        #expect(throws: SyntheticWorldError.invalidOption(name: "image-size", reason: "must be between 24 and 1024 pixels, got 8")) {
            try WorldGenerator(seed: 0, configuration: configuration, sizes: .smoke).generate(into: temporaryFolder("bad"))
        }
        var sizes = DatasetSizes.smoke
        sizes.gqa = -1
        #expect(throws: SyntheticWorldError.self) { try WorldGenerator(seed: 0, sizes: sizes).generate(into: temporaryFolder("bad2")) }
    }

    @Test func readingWithoutCharactersIsAClearError() {
        var configuration = WorldConfiguration()
        configuration.characterProbability = 0
        var sizes = DatasetSizes.smoke
        sizes.pretrain = 0
        let url = temporaryFolder("nochar")
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: SyntheticWorldError.self) {
            try WorldGenerator(seed: 1, configuration: configuration, sizes: sizes).generate(into: url, benchmarks: [])
        }
    }
}
