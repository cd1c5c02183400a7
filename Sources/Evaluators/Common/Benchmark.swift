import Foundation

/// The benchmarks `vlm-eval` knows (benchmarks.md). Raw values are the command-line names.
public enum BenchmarkID: String, CaseIterable, Sendable {
    case vqav2, gqa, vizwiz, sqa, textvqa, pope, mmbench
    case boolq, piqa, siqa, hellaswag, winogrande
    case arcE = "arc-e", arcC = "arc-c", obqa
    case gsm8k, math

    public init(name: String) throws {
        guard let id = BenchmarkID(rawValue: name.lowercased()) else { throw EvaluatorError.unknownBenchmark(name) }
        self = id
    }

    /// One line for `vlm-eval --help`.
    public var summary: String {
        switch self {
        case .vqav2: return "VQAv2: local val accuracy (official vqaEval.py); test-dev upload file for EvalAI"
        case .gqa: return "GQA testdev-balanced: exact-match accuracy as GQA eval.py scores LLaVA's converted predictions"
        case .vizwiz: return "VizWiz: test upload file for EvalAI; local val accuracy (unofficial)"
        case .sqa: return "ScienceQA-IMG test: option-letter parsing of eval_science_qa.py, IMG-Accuracy"
        case .textvqa: return "TextVQA val: VQA accuracy with EvalAI answer processing (eval_textvqa.py)"
        case .pope: return "POPE COCO adversarial/popular/random: yes/no parsing of eval_pope.py, mean F1"
        case .mmbench: return "MMBench dev: circular evaluation with VLMEvalKit exact matching, Overall"
        case .boolq: return "BoolQ (LLM-Adapters test.json): first true|false in the answer"
        case .piqa: return "PIQA (LLM-Adapters test.json): first solution1|solution2"
        case .siqa: return "Social IQa (LLM-Adapters social_i_qa/test.json): first answer1..answer5"
        case .hellaswag: return "HellaSwag (LLM-Adapters test.json): first ending1..ending4"
        case .winogrande: return "WinoGrande (LLM-Adapters test.json): first option1|option2"
        case .arcE: return "ARC-Easy (LLM-Adapters test.json): first answer1..answer5"
        case .arcC: return "ARC-Challenge (LLM-Adapters test.json): first answer1..answer5"
        case .obqa: return "OpenBookQA (LLM-Adapters openbookqa/test.json): first answer1..answer5"
        case .gsm8k: return "GSM8K test (MiLoRA gsm8k_test.jsonl): number after 'The answer is: ', math_equal"
        case .math: return "MATH test (MiLoRA MATH_test.jsonl): answer after 'The answer is: ', is_equiv"
        }
    }

    /// The folder under `--data-root` (LLaVA's playground/data/eval layout; LLM-Adapters and
    /// MiLoRA names for the text benchmarks).
    public var folder: String {
        switch self {
        case .vqav2: return "vqav2"
        case .gqa: return "gqa"
        case .vizwiz: return "vizwiz"
        case .sqa: return "scienceqa"
        case .textvqa: return "textvqa"
        case .pope: return "pope"
        case .mmbench: return "mmbench"
        case .boolq: return "boolq"
        case .piqa: return "piqa"
        case .siqa: return "social_i_qa"
        case .hellaswag: return "hellaswag"
        case .winogrande: return "winogrande"
        case .arcE: return "ARC-Easy"
        case .arcC: return "ARC-Challenge"
        case .obqa: return "openbookqa"
        case .gsm8k: return "gsm8k"
        case .math: return "math"
        }
    }

    /// Splits the scorer accepts; the first is the default.
    public var splits: [String] {
        switch self {
        case .vqav2: return ["val", "test-dev", "test"]
        case .gqa: return ["testdev_balanced"]
        case .vizwiz: return ["test", "val"]
        case .sqa: return ["test", "val", "minival", "minitest", "train"]
        case .textvqa: return ["val"]
        case .pope: return ["test"]
        case .mmbench: return ["dev"]
        default: return ["test"]
        }
    }

    public var isCommonsense: Bool { CommonsenseTask(benchmark: self) != nil }
}

/// What a scoring run reads and which switches it uses. Paths left nil take the benchmark's
/// defaults under `dataRoot` (see `DefaultPaths`).
public struct ScoringRequest: Sendable {
    public var benchmark: BenchmarkID
    public var answersFile: String
    public var questionFile: String?
    public var annotationFile: String?
    public var annotationDir: String?
    public var split: String?
    public var dataRoot: String
    /// VQAv2 test splits / VizWiz test: where to write the upload JSON.
    public var uploadFile: String?
    public var mmbenchRules: MMBenchRules
    public var latexParse: Bool

    public init(benchmark: BenchmarkID, answersFile: String, questionFile: String? = nil, annotationFile: String? = nil,
                annotationDir: String? = nil, split: String? = nil, dataRoot: String = "playground/data/eval",
                uploadFile: String? = nil, mmbenchRules: MMBenchRules = .legacy, latexParse: Bool = false) {
        self.benchmark = benchmark
        self.answersFile = answersFile
        self.questionFile = questionFile
        self.annotationFile = annotationFile
        self.annotationDir = annotationDir
        self.split = split
        self.dataRoot = dataRoot
        self.uploadFile = uploadFile
        self.mmbenchRules = mmbenchRules
        self.latexParse = latexParse
    }

    var resolvedSplit: String { split ?? benchmark.splits[0] }

    func path(_ relative: String) -> String {
        URL(fileURLWithPath: dataRoot).appendingPathComponent(benchmark.folder).appendingPathComponent(relative).path
    }
}

/// One scoring result: the score JSON of benchmarks.md section 12.
public struct ScoreReport: Sendable {
    public var benchmark: BenchmarkID
    public var split: String
    public var answersFile: String
    /// Items scored (the official denominator).
    public var n: Int
    public var headlineName: String
    /// Percentage, full precision (nil when the split is only scored by a server).
    public var headlineValue: Double?
    public var metrics: [(String, ScoreJSON)]
    public var protocolSource: String
    public var switches: [(String, ScoreJSON)] = []
    /// Questions of the benchmark that have no answer, scored as the official script does.
    public var missingIDs: [QuestionID] = []
    public var notes: [String] = []

    public var json: ScoreJSON {
        var pairs: [(String, ScoreJSON)] = [
            ("benchmark", .string(benchmark.rawValue)), ("split", .string(split)),
            ("answers_file", .string(answersFile)), ("n", .int(n)),
            ("headline", .object([("name", .string(headlineName)), ("value", headlineValue.map(ScoreJSON.double) ?? .null)])),
            ("metrics", .object(metrics)),
            ("missing", .object([("count", .int(missingIDs.count)),
                                 ("ids", .array(missingIDs.prefix(50).map(\.json)))])),
            ("protocol", .object([("source", .string(protocolSource))] + switches)),
        ]
        if !notes.isEmpty { pairs.append(("notes", .array(notes.map(ScoreJSON.string)))) }
        return .object(pairs)
    }
}

/// Scores an answers file: the one entry point the command line and scripts use.
public func score(_ request: ScoringRequest) throws -> ScoreReport {
    guard request.benchmark.splits.contains(request.resolvedSplit) else {
        throw EvaluatorError.missingOption("split '\(request.resolvedSplit)' is not one of \(request.benchmark.splits.joined(separator: ", ")) for \(request.benchmark.rawValue)")
    }
    switch request.benchmark {
    case .vqav2: return try VQAv2Scorer.score(request)
    case .gqa: return try GQAScorer.score(request)
    case .vizwiz: return try VizWizScorer.score(request)
    case .sqa: return try ScienceQAScorer.score(request)
    case .textvqa: return try TextVQAScorer.score(request)
    case .pope: return try POPEScorer.score(request)
    case .mmbench: return try MMBenchScorer.score(request)
    case .gsm8k: return try GSM8KScorer.score(request)
    case .math: return try MATHScorer.score(request)
    default: return try CommonsenseScorer.score(request)
    }
}

/// Source ids of benchmarks.md section 0.
enum PinnedSource {
    static let llava = "haotian-liu/LLaVA@c121f0432da27facab705978f83c4ada465e46fd"
    static let vqa = "GT-Vision-Lab/VQA@a013f0043c1e2cdc995922dfe257f7149aa9af06"
    static let gqa = "GQA eval.py (gist edit), afra-baas/LLaVA@57e09fef925779d620ea63c286179a807adfe015"
    static let vlmevalLegacy = "open-compass/VLMEvalKit@c6bdffd3a3f2772ce9eaa157d7d31ec741b245b0"
    static let llmAdapters = "AGI-Edgerunners/LLM-Adapters@816657208af4db747803f87ba40a4c71383fed7a"
    static let milora = "sufenlp/MiLoRA@4740756d5d74700527d799a8d4a0c40dc9e92235"
}
