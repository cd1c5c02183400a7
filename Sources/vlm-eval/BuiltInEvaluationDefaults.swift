import CLISupport
import Evaluators
import Foundation
import Imaging
import SyntheticWorld

/// Without data flags, `vlm-eval BENCH` evaluates on the built-in synthetic world's sets
/// (generated into Data/generated/world on first use, seed 0) and, without --model-path, with
/// the built-in base model; it says so on stderr.
enum BuiltInEvaluationDefaults {
    static let conventionalRoot = "playground/data/eval"
    static let world = "Data/generated/world"
    static let model = "Data/base-model"

    static func note(_ text: String) { noteOnStandardError("vlm-eval", text) }

    static var root: String { ProjectRoot.path }

    static func apply(_ options: inout ScoringOptions, _ generation: inout GenerationArguments, benchmark: BenchmarkID) throws {
        let noDataFlags = options.dataRoot == nil && options.questionFile == nil && options.annotationFile == nil
            && options.annotationDir == nil && generation.imageFolder == nil
        let isVisionBenchmark = SyntheticWorld.Benchmark.allCases.map(\.rawValue).contains(benchmark.worldName)
        if noDataFlags && isVisionBenchmark {
            let folder = root + "/" + world
            try WorldGenerator.ensureDefaultWorld(in: folder, encoder: LibraryImageEncoder()) {
                note("generating the built-in synthetic world (seed 0) into \(world); this takes about a minute")
            }
            options.dataRoot = folder + "/eval"
            // The world writes VQAv2 and VizWiz as local val splits (their test splits are server-scored).
            if options.split == nil && (benchmark == .vizwiz || benchmark == .vqav2) { options.split = "val" }
            note("no data flags: evaluating on the built-in synthetic world's \(benchmark.rawValue) set (\(world)/eval)")
        }
        if !options.scoreOnly && generation.modelPath == nil && noDataFlags && isVisionBenchmark {
            generation.modelPath = root + "/" + model
            note("no --model-path: using the built-in base model \(model)")
        }
    }
}

extension BenchmarkID {
    /// The name of this benchmark in the synthetic world's generator, if it makes one.
    var worldName: String {
        switch self {
        case .sqa: return "scienceqa"
        default: return rawValue
        }
    }
}
