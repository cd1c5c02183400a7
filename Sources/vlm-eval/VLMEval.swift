import ArgumentParser
import Evaluators
import Foundation

@main
enum Entry {
    /// An unknown benchmark name gets a message listing the known ones (ArgumentParser alone
    /// would only say "unexpected argument").
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let first = arguments.first, !first.hasPrefix("-"), first != "help" {
            do {
                _ = try BenchmarkID(name: first)
            } catch {
                VLMEval.exit(withError: ValidationFailure(message: String(describing: error)))
            }
        }
        VLMEval.main()
    }
}

struct VLMEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vlm-eval",
        abstract: "Generate answers for a benchmark and score them.",
        discussion: """
        Generate answers with a model, then score them (answers are written line by line; a rerun resumes):
          vlm-eval BENCH --model-path M [--adapter A] [--data-root D | --question-file Q --image-folder I] [--answers-file A.jsonl] [--num-chunks K --chunk-idx i]
        Score an existing answers file (LLaVA's answers .jsonl, from any tool):
          vlm-eval BENCH --score-only --answers-file A.jsonl [--question-file Q] [--annotation-file F | --annotation-dir D] [--split S] [--scores-file OUT.json]
        Paths left out follow LLaVA's playground/data/eval/<bench>/ layout under --data-root; see Evaluation/<bench>/README.md.
        """,
        subcommands: benchmarkCommands)
}

/// Options shared by every benchmark.
struct ScoringOptions: ParsableArguments {
    @Flag(help: "Score an existing answers file; do not generate.")
    var scoreOnly = false

    @Option(help: "The answers .jsonl: written by generation (default <data-root>/<bench>/answers/<split>/<model>.jsonl; an existing one is resumed), read by scoring.")
    var answersFile: String?

    @Option(help: "The benchmark's question file (default: under --data-root, see Evaluation/<bench>/README.md).")
    var questionFile: String?

    @Option(help: "The benchmark's annotation (ground-truth) file, e.g. TextVQA_0.5.1_val.json or testdev_balanced_questions.json.")
    var annotationFile: String?

    @Option(help: "The annotation folder: POPE's coco/ (coco_pope_*.json) or ScienceQA's folder with problems.json and pid_splits.json.")
    var annotationDir: String?

    @Option(help: "The split to score (the benchmark's default when left out).")
    var split: String?

    @Option(help: "Root of LLaVA's eval layout (playground/data/eval); default paths are <data-root>/<bench>/... Without any data flag: the built-in synthetic world's sets (Data/generated/world/eval, generated on first use).")
    var dataRoot: String?

    @Option(name: [.customLong("scores-file"), .customLong("output")], help: "Where to write the score JSON (default: beside the answers after generation; printed with --score-only).")
    var scoresFile: String?

    @Option(help: "Where to write the server upload file (VQAv2 test-dev/test, VizWiz test).")
    var uploadFile: String?

    @Option(help: "MMBench answer-matching rules: legacy (default), 2025-08 or 2026-06 (VLMEvalKit versions).")
    var mmbenchRules = "legacy"

    @Flag(help: "MATH: use sympy's LaTeX parser as with antlr4 installed (not implemented; the MiLoRA default has none).")
    var latexParse = false
}

protocol BenchmarkCommand: ParsableCommand {
    static var benchmark: BenchmarkID { get }
    var options: ScoringOptions { get }
    var generation: GenerationArguments { get }
}

extension BenchmarkCommand {
    static func makeConfiguration() -> CommandConfiguration {
        CommandConfiguration(commandName: benchmark.rawValue, abstract: benchmark.summary)
    }

    func run() throws {
        var options = self.options
        var generation = self.generation
        try BuiltInEvaluationDefaults.apply(&options, &generation, benchmark: Self.benchmark)
        var answersFile: String
        var notes: [String] = []
        if options.scoreOnly {
            guard let file = options.answersFile else {
                throw ValidationFailure(message: "--answers-file is required with --score-only")
            }
            answersFile = file
        } else {
            let outcome: GenerationOutcome
            do {
                outcome = try generateAnswers(Self.benchmark, scoring: options, generation: generation)
            } catch let error as ValidationFailure {
                throw error
            } catch let error as CustomStringConvertible {
                throw ValidationFailure(message: error.description)
            }
            answersFile = outcome.answersFile
            notes = outcome.protocolNotes
            guard outcome.complete, !generation.noScore else {
                let why = generation.noScore ? "--no-score" : "the run answered part of the questions (--limit or one of several chunks); run again to resume, or merge the chunks and use --score-only"
                print("answers: \(answersFile) (not scored: \(why))")
                return
            }
        }
        guard let rules = MMBenchRules(rawValue: options.mmbenchRules) else {
            throw ValidationFailure(message: "--mmbench-rules must be one of \(MMBenchRules.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        // VQAv2 scores against the official questions JSON, not the LLaVA .jsonl it generates from.
        let scoringQuestionFile = !options.scoreOnly && Self.benchmark == .vqav2 ? nil : options.questionFile
        let request = ScoringRequest(benchmark: Self.benchmark, answersFile: answersFile, questionFile: scoringQuestionFile,
                                     annotationFile: options.annotationFile, annotationDir: options.annotationDir,
                                     split: options.split, dataRoot: options.dataRoot ?? BuiltInEvaluationDefaults.conventionalRoot, uploadFile: options.uploadFile,
                                     mmbenchRules: rules, latexParse: options.latexParse)
        do {
            var report = try score(request)
            report.notes += notes
            let scoresFile = options.scoresFile ?? (options.scoreOnly ? nil : (answersFile.hasSuffix(".jsonl") ? String(answersFile.dropLast(6)) : answersFile) + "_scores.json")
            if !report.missingIDs.isEmpty {
                FileHandle.standardError.write(Data("warning: \(report.missingIDs.count) question(s) have no answer; scored as the official script does (see notes in the score JSON)\n".utf8))
            }
            if let path = scoresFile {
                try report.json.write(to: path)
                let value = report.headlineValue.map { String(format: "%.2f", $0) } ?? "n/a (server-scored split)"
                print("\(Self.benchmark.rawValue) \(report.split): \(report.headlineName) = \(value)  (n = \(report.n)) -> \(path)")
            } else {
                print(report.json.rendered())
            }
        } catch let error as EvaluatorError {
            throw ValidationFailure(message: error.description)
        }
    }
}

/// A user-facing failure: one line on stderr, non-zero exit, no stack trace.
struct ValidationFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

let benchmarkCommands: [ParsableCommand.Type] = [
    VQAv2Command.self, GQACommand.self, VizWizCommand.self, SQACommand.self, TextVQACommand.self, POPECommand.self,
    MMBenchCommand.self, BoolQCommand.self, PIQACommand.self, SIQACommand.self, HellaSwagCommand.self,
    WinoGrandeCommand.self, ARCEasyCommand.self, ARCChallengeCommand.self, OBQACommand.self, GSM8KCommand.self, MATHCommand.self,
]

struct VQAv2Command: BenchmarkCommand {
    static let benchmark = BenchmarkID.vqav2
    static let configuration = makeConfiguration()
    @OptionGroup var options: ScoringOptions
    @OptionGroup var generation: GenerationArguments
}
struct GQACommand: BenchmarkCommand {
    static let benchmark = BenchmarkID.gqa
    static let configuration = makeConfiguration()
    @OptionGroup var options: ScoringOptions
    @OptionGroup var generation: GenerationArguments
}
struct VizWizCommand: BenchmarkCommand {
    static let benchmark = BenchmarkID.vizwiz
    static let configuration = makeConfiguration()
    @OptionGroup var options: ScoringOptions
    @OptionGroup var generation: GenerationArguments
}
struct SQACommand: BenchmarkCommand {
    static let benchmark = BenchmarkID.sqa
    static let configuration = makeConfiguration()
    @OptionGroup var options: ScoringOptions
    @OptionGroup var generation: GenerationArguments
}
struct TextVQACommand: BenchmarkCommand {
    static let benchmark = BenchmarkID.textvqa
    static let configuration = makeConfiguration()
    @OptionGroup var options: ScoringOptions
    @OptionGroup var generation: GenerationArguments
}
struct POPECommand: BenchmarkCommand {
    static let benchmark = BenchmarkID.pope
    static let configuration = makeConfiguration()
    @OptionGroup var options: ScoringOptions
    @OptionGroup var generation: GenerationArguments
}
struct MMBenchCommand: BenchmarkCommand {
    static let benchmark = BenchmarkID.mmbench
    static let configuration = makeConfiguration()
    @OptionGroup var options: ScoringOptions
    @OptionGroup var generation: GenerationArguments
}
struct BoolQCommand: BenchmarkCommand {
    static let benchmark = BenchmarkID.boolq
    static let configuration = makeConfiguration()
    @OptionGroup var options: ScoringOptions
    @OptionGroup var generation: GenerationArguments
}
struct PIQACommand: BenchmarkCommand {
    static let benchmark = BenchmarkID.piqa
    static let configuration = makeConfiguration()
    @OptionGroup var options: ScoringOptions
    @OptionGroup var generation: GenerationArguments
}
struct SIQACommand: BenchmarkCommand {
    static let benchmark = BenchmarkID.siqa
    static let configuration = makeConfiguration()
    @OptionGroup var options: ScoringOptions
    @OptionGroup var generation: GenerationArguments
}
struct HellaSwagCommand: BenchmarkCommand {
    static let benchmark = BenchmarkID.hellaswag
    static let configuration = makeConfiguration()
    @OptionGroup var options: ScoringOptions
    @OptionGroup var generation: GenerationArguments
}
struct WinoGrandeCommand: BenchmarkCommand {
    static let benchmark = BenchmarkID.winogrande
    static let configuration = makeConfiguration()
    @OptionGroup var options: ScoringOptions
    @OptionGroup var generation: GenerationArguments
}
struct ARCEasyCommand: BenchmarkCommand {
    static let benchmark = BenchmarkID.arcE
    static let configuration = makeConfiguration()
    @OptionGroup var options: ScoringOptions
    @OptionGroup var generation: GenerationArguments
}
struct ARCChallengeCommand: BenchmarkCommand {
    static let benchmark = BenchmarkID.arcC
    static let configuration = makeConfiguration()
    @OptionGroup var options: ScoringOptions
    @OptionGroup var generation: GenerationArguments
}
struct OBQACommand: BenchmarkCommand {
    static let benchmark = BenchmarkID.obqa
    static let configuration = makeConfiguration()
    @OptionGroup var options: ScoringOptions
    @OptionGroup var generation: GenerationArguments
}
struct GSM8KCommand: BenchmarkCommand {
    static let benchmark = BenchmarkID.gsm8k
    static let configuration = makeConfiguration()
    @OptionGroup var options: ScoringOptions
    @OptionGroup var generation: GenerationArguments
}
struct MATHCommand: BenchmarkCommand {
    static let benchmark = BenchmarkID.math
    static let configuration = makeConfiguration()
    @OptionGroup var options: ScoringOptions
    @OptionGroup var generation: GenerationArguments
}
