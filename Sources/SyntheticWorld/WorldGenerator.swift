import Foundation
import TensorCore

/// How many items each set gets.
public struct DatasetSizes: Codable, Equatable, Sendable {
    public var pretrain = 8000
    public var finetune = 4000
    public var heldoutPerFamily = 200
    /// Most questions per training conversation (1 for captions).
    public var maxTurns = 3
    /// Object-existence questions mixed into every fine-tuning conversation, beside its family's
    /// own turns, as LLaVA's mix asks several kinds of question about one image. Without them the
    /// tuned model answers some yes/no questions with a count (Data/pope-investigation.md, stop 23).
    /// A one-object scene can run out of new questions in the generator's tries and get fewer
    /// (18 of the built-in world's 4000 conversations).
    public var finetuneExistenceTurns = 2
    /// POPE: images; each gives 3 yes and 3 no questions per split.
    public var popeImages = 100
    public var vqav2 = 600
    public var gqa = 600
    public var vizwiz = 400
    public var textvqa = 400
    public var scienceqa = 400
    /// MMBench circular groups (each 2-4 rows).
    public var mmbench = 300

    public init() {}

    /// A few items per set, for tests and quick checks.
    public static let smoke: DatasetSizes = {
        var sizes = DatasetSizes()
        sizes.pretrain = 12; sizes.finetune = 10; sizes.heldoutPerFamily = 2; sizes.maxTurns = 2
        sizes.popeImages = 4; sizes.vqav2 = 8; sizes.gqa = 8; sizes.vizwiz = 8; sizes.textvqa = 6; sizes.scienceqa = 8; sizes.mmbench = 4
        return sizes
    }()

    public func validate() throws {
        let all: [(String, Int)] = [("train-size", pretrain), ("finetune-size", finetune), ("heldout-size", heldoutPerFamily),
                                    ("finetune-existence-turns", finetuneExistenceTurns), ("pope-images", popeImages), ("vqav2-size", vqav2), ("gqa-size", gqa), ("vizwiz-size", vizwiz),
                                    ("textvqa-size", textvqa), ("sqa-size", scienceqa), ("mmbench-size", mmbench)]
        for (name, value) in all where value < 0 {
            throw SyntheticWorldError.invalidOption(name: name, reason: "must be 0 or more, got \(value)")
        }
        guard maxTurns >= 1 else { throw SyntheticWorldError.invalidOption(name: "max-turns", reason: "must be at least 1, got \(maxTurns)") }
    }
}

/// Generates the whole world under one folder:
///
///     images/{pretrain,finetune,heldout/<family>}/*.png   training and held-out images
///     train/pretrain.json, train/finetune.json           LLaVA conversations
///     heldout/<family>.json, heldout/<family>.jsonl      per-family held-out sets
///     eval/{pope,vqav2,gqa,vizwiz,textvqa,scienceqa,mmbench}/   LLaVA's eval layout, official formats
///     scenes/<set>.jsonl                                 the scene graph of every image
///     world.json                                         seed, options, sizes, family split
public struct WorldGenerator {
    public let seed: UInt64
    public let configuration: WorldConfiguration
    public let sizes: DatasetSizes
    public var jpegQuality = 95
    /// Called with (set name, done, total) as items are written.
    public var progress: ((String, Int, Int) -> Void)?
    let sampler: SceneSampler

    public init(seed: UInt64, configuration: WorldConfiguration = WorldConfiguration(), sizes: DatasetSizes = DatasetSizes()) {
        self.seed = seed
        self.configuration = configuration
        self.sizes = sizes
        sampler = SceneSampler(configuration: configuration)
    }

    public struct Summary: Sendable {
        public var files: Int
        public var bytes: Int
    }

    /// Writes everything under `output`; `benchmarks` nil writes all seven.
    @discardableResult
    public func generate(into output: URL, encoder: any ImageEncoder = StoredPNGEncoder(), benchmarks: Set<Benchmark>? = nil,
                         instructionData: Bool = true) throws -> Summary {
        try configuration.validate()
        try sizes.validate()
        let writer = DatasetWriter(root: output, encoder: encoder, jpegQuality: jpegQuality)
        if instructionData { try writeInstructionSets(writer) }
        let selected = benchmarks ?? Set(Benchmark.allCases)
        for benchmark in Benchmark.allCases where selected.contains(benchmark) {
            switch benchmark {
            case .pope: try writePOPE(writer)
            case .vqav2: try writeVQAv2(writer)
            case .gqa: try writeGQA(writer)
            case .vizwiz: try writeVizWiz(writer)
            case .textvqa: try writeTextVQA(writer)
            case .scienceqa: try writeScienceQA(writer)
            case .mmbench: try writeMMBench(writer)
            }
        }
        try writer.flushScenes()
        try writer.writeJSON(manifest(encoder: encoder, benchmarks: selected, instructionData: instructionData), to: "world.json", indent: 2)
        return Summary(files: writer.filesWritten, bytes: writer.bytesWritten)
    }

    func report(_ set: String, _ done: Int, _ total: Int) {
        progress?(set, done, total)
    }

    func generator(_ stream: String, _ index: Int) -> SeededGenerator {
        SeededGenerator(seed: derivedSeed(seed, stream: stream, index: index))
    }

    private func manifest(encoder: any ImageEncoder, benchmarks: Set<Benchmark>, instructionData: Bool) -> JSONValue {
        let c = configuration, s = sizes
        return .object([
            ("generator", .string("vlm-data (SyntheticWorld)")), ("seed", .int(Int(truncatingIfNeeded: seed))),
            ("world", .object([("image_size", .int(c.imageSize)), ("min_objects", .int(c.minObjects)), ("max_objects", .int(c.maxObjects)),
                               ("character_probability", .double(c.characterProbability)), ("layout", .string(c.layout.rawValue)),
                               ("theme_probability", .double(c.themeProbability))])),
            ("sizes", .object([("pretrain", .int(s.pretrain)), ("finetune", .int(s.finetune)), ("heldout_per_family", .int(s.heldoutPerFamily)),
                               ("max_turns", .int(s.maxTurns)), ("finetune_existence_turns", .int(s.finetuneExistenceTurns)),
                               ("pope_images", .int(s.popeImages)), ("vqav2", .int(s.vqav2)),
                               ("gqa", .int(s.gqa)), ("vizwiz", .int(s.vizwiz)), ("textvqa", .int(s.textvqa)),
                               ("scienceqa", .int(s.scienceqa)), ("mmbench", .int(s.mmbench))])),
            ("instruction_data", .bool(instructionData)),
            ("pretraining_families", .strings(TaskFamily.families(.pretraining).map(\.rawValue))),
            ("finetuning_families", .strings(TaskFamily.families(.finetuning).map(\.rawValue))),
            ("benchmarks", .strings(Benchmark.allCases.filter(benchmarks.contains).map(\.rawValue))),
            ("photo_format", .string(encoder.canEncodeJPEG ? "jpeg" : "png")),
        ])
    }
}

/// The seven vision benchmarks, named by their folder in LLaVA's `playground/data/eval/`.
public enum Benchmark: String, CaseIterable, Codable, Sendable {
    case pope, vqav2, gqa, vizwiz, textvqa, scienceqa, mmbench
}

func zeroPadded(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

extension WorldGenerator {
    /// The built-in world (seed 0, default sizes) in `folder`, generated with `encoder` unless it
    /// is already there and current; `willGenerate` runs first (generation takes about a minute, so
    /// the tools say so). Returns true when it had to be (re)generated.
    @discardableResult
    public static func ensureDefaultWorld(in folder: String, encoder: any ImageEncoder,
                                          willGenerate: () -> Void = {}) throws -> Bool {
        guard !defaultWorldIsCurrent(in: folder) else { return false }
        willGenerate()
        try WorldGenerator(seed: 0).generate(into: URL(fileURLWithPath: folder), encoder: encoder)
        return true
    }

    /// Whether `folder` holds the built-in world as this generator writes it. A world written before
    /// fine-tuning conversations carried object-existence turns has no `finetune_existence_turns`
    /// in its world.json and is generated again (same seed, so the same images).
    public static func defaultWorldIsCurrent(in folder: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: folder + "/world.json"),
              let manifest = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let sizes = manifest["sizes"] as? [String: Any] else { return false }
        return sizes["finetune_existence_turns"] as? Int == DatasetSizes().finetuneExistenceTurns
    }
}
