import ArgumentParser
import CLISupport
import Foundation
import SyntheticWorld

@main
struct VLMData: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vlm-data",
        abstract: "Generate the built-in synthetic visual world (images, instruction data, benchmark sets) and pretrain a tower on it.",
        subcommands: [Generate.self, Render.self, PretrainTower.self])
}

/// Scene options shared by the subcommands.
struct WorldOptions: ParsableArguments {
    @Option(help: "Side of the square images in pixels.")
    var imageSize: Int = 72
    @Option(help: "Fewest shapes in a scene.")
    var minObjects: Int = 1
    @Option(help: "Most shapes in a scene (at most 9, one per cell of the 3x3 grid).")
    var maxObjects: Int = 4
    @Option(help: "Probability that a large circle or square carries a printed letter or digit.")
    var characterProbability: Double = 0.5
    @Option(help: "Placement of shapes: grid (cell centres), free (anywhere inside their cell) or mixed.")
    var layout: String = "mixed"
    @Option(help: "Probability that a scene draws its colours from one palette and its shapes from one family (creates co-occurrence).")
    var themeProbability: Double = 0.6

    func world() throws -> WorldConfiguration {
        var c = WorldConfiguration()
        c.imageSize = imageSize
        c.minObjects = minObjects
        c.maxObjects = maxObjects
        c.characterProbability = characterProbability
        guard let layout = WorldConfiguration.Layout(rawValue: layout) else {
            throw ValidationError("--layout must be one of \(WorldConfiguration.Layout.allCases.map(\.rawValue).joined(separator: ", ")), got '\(layout)'")
        }
        c.layout = layout
        c.themeProbability = themeProbability
        do { try c.validate() } catch { throw ValidationError("\(error)") }
        return c
    }
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write images, LLaVA instruction data and the seven benchmark sets (LLaVA's eval layout) under --output.")

    @Option(help: "Output folder (created if missing).")
    var output: String
    @Option(help: "Random seed; the same seed and options give byte-identical files.")
    var seed: UInt64 = 0
    @Flag(help: "Write a tiny preset (a few items per set) for tests and quick checks; size options still override it.")
    var smoke = false
    @Flag(help: "Write into a folder that already holds generated data.")
    var overwrite = false

    @OptionGroup var world: WorldOptions

    @Option(help: "Pretraining conversations (families: caption, color, shape, shape_existence).")
    var trainSize: Int?
    @Option(help: "Fine-tuning conversations (families: object_existence, counting, reading, position, multiple_choice).")
    var finetuneSize: Int?
    @Option(help: "Held-out questions per task family.")
    var heldoutSize: Int?
    @Option(help: "Most question-answer turns per training conversation.")
    var maxTurns: Int?
    @Option(help: "Object-existence questions mixed into every fine-tuning conversation (default 2; 0: none).")
    var finetuneExistenceTurns: Int?
    @Option(help: "POPE images (each gives 3 yes and 3 no questions per split).")
    var popeImages: Int?
    @Option(help: "VQAv2 val questions.")
    var vqav2Size: Int?
    @Option(help: "GQA testdev-balanced questions.")
    var gqaSize: Int?
    @Option(help: "VizWiz val questions (about a quarter unanswerable).")
    var vizwizSize: Int?
    @Option(help: "TextVQA val questions.")
    var textvqaSize: Int?
    @Option(help: "ScienceQA test problems (about 70% with an image).")
    var sqaSize: Int?
    @Option(help: "MMBench dev circular groups (2-4 rows each).")
    var mmbenchSize: Int?
    @Option(help: "Comma-separated benchmarks to write (pope, vqav2, gqa, vizwiz, textvqa, scienceqa, mmbench); default all.")
    var benchmarks: String?
    @Flag(help: "Write only the benchmark sets, no training or held-out data.")
    var noInstructionData = false
    @Option(help: "JPEG quality when a JPEG encoder is available.")
    var jpegQuality: Int = 95

    func run() throws {
        var sizes = smoke ? DatasetSizes.smoke : DatasetSizes()
        if let v = trainSize { sizes.pretrain = v }
        if let v = finetuneSize { sizes.finetune = v }
        if let v = heldoutSize { sizes.heldoutPerFamily = v }
        if let v = maxTurns { sizes.maxTurns = v }
        if let v = finetuneExistenceTurns { sizes.finetuneExistenceTurns = v }
        if let v = popeImages { sizes.popeImages = v }
        if let v = vqav2Size { sizes.vqav2 = v }
        if let v = gqaSize { sizes.gqa = v }
        if let v = vizwizSize { sizes.vizwiz = v }
        if let v = textvqaSize { sizes.textvqa = v }
        if let v = sqaSize { sizes.scienceqa = v }
        if let v = mmbenchSize { sizes.mmbench = v }
        var selected: Set<Benchmark>? = nil
        if let list = benchmarks {
            selected = []
            for name in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
                guard let benchmark = Benchmark(rawValue: name) else {
                    throw ValidationError("--benchmarks: unknown benchmark '\(name)'; choose from \(Benchmark.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                selected!.insert(benchmark)
            }
        }
        let outputURL = URL(fileURLWithPath: output)
        if !overwrite && FileManager.default.fileExists(atPath: outputURL.appendingPathComponent("world.json").path) {
            throw ValidationError("\(output) already holds generated data (world.json); choose an empty folder or pass --overwrite")
        }
        var generator = WorldGenerator(seed: seed, configuration: try world.world(), sizes: sizes)
        generator.jpegQuality = jpegQuality
        var bar: ProgressBar?
        generator.progress = { set, done, total in
            if bar?.label != set {
                bar = total > 0 ? ProgressBar(label: set, total: total, unit: "item", quietInterval: 5) : nil
            }
            if done > 0 { bar?.advance() }
        }
        let encoder = LibraryImageEncoder()
        if !encoder.canEncodeJPEG {
            FileHandle.standardError.write(Data("vlm-data: no JPEG encoder available; writing uncompressed PNGs (named .png) where the official layouts have JPEGs\n".utf8))
        }
        do {
            let summary = try generator.generate(into: outputURL, encoder: encoder, benchmarks: selected, instructionData: !noInstructionData)
            FileHandle.standardError.write(Data("vlm-data: wrote \(summary.files) files (\(summary.bytes / 1_000_000) MB) under \(output) with seed \(seed)\n".utf8))
        } catch let error as SyntheticWorldError {
            throw ValidationError(error.description)
        }
    }
}

struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Render one scene of the world to a PNG (and its scene graph to JSON).")

    @Option(help: "PNG file to write.")
    var output: String
    @Option(help: "Random seed of the scene.")
    var seed: UInt64 = 0
    @Option(help: "Also write the scene graph as JSON to this file.")
    var sceneJSON: String?
    @OptionGroup var world: WorldOptions

    func run() throws {
        let scene = SceneSampler(configuration: try world.world()).sample(seed: seed)
        do {
            let png = try LibraryImageEncoder().encodePNG(rgb: SceneRenderer.render(scene), width: scene.width, height: scene.height)
            try png.write(to: URL(fileURLWithPath: output), options: .atomic)
            if let sceneJSON {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try encoder.encode(scene).write(to: URL(fileURLWithPath: sceneJSON), options: .atomic)
            }
        } catch let error as SyntheticWorldError {
            throw ValidationError(error.description)
        }
    }
}
