import Foundation

// The eight commonsense tasks (benchmarks.md section 10).
// Mirrors: AGI-Edgerunners/LLM-Adapters commonsense_evaluate.py `extract_answer` (first match of
// a case-sensitive alternation, no word boundaries, on the stripped text; "" when none) and its
// accuracy = correct / items. The answers' question_id is the 0-based item index in test.json.

public enum CommonsenseTask: String, CaseIterable, Sendable {
    case boolq, piqa, socialIQA = "social_i_qa", hellaswag, winogrande
    case arcEasy = "ARC-Easy", arcChallenge = "ARC-Challenge", openbookqa

    init?(benchmark: BenchmarkID) {
        switch benchmark {
        case .boolq: self = .boolq
        case .piqa: self = .piqa
        case .siqa: self = .socialIQA
        case .hellaswag: self = .hellaswag
        case .winogrande: self = .winogrande
        case .arcE: self = .arcEasy
        case .arcC: self = .arcChallenge
        case .obqa: self = .openbookqa
        default: return nil
        }
    }

    var pattern: PyRegex {
        switch self {
        case .boolq: return PyRegex("true|false")
        case .piqa: return PyRegex("solution1|solution2")
        case .socialIQA, .arcEasy, .arcChallenge, .openbookqa: return PyRegex("answer1|answer2|answer3|answer4|answer5")
        case .hellaswag: return PyRegex("ending1|ending2|ending3|ending4")
        case .winogrande: return PyRegex("option1|option2")
        }
    }

    /// `extract_answer(args, sentence)`.
    public func extractAnswer(_ text: String) -> String {
        pattern.findAll(text.pyStrip()).first ?? ""
    }

    /// LLM-Adapters' evaluation prompt (`generate_prompt` with an empty input), kept verbatim:
    /// a space after "request." and 16 spaces of source indentation.
    public static func prompt(instruction: String) -> String {
        let indent = String(repeating: " ", count: 16)
        return "Below is an instruction that describes a task. Write a response that appropriately completes the request. \n\n"
            + "\(indent)### Instruction:\n\(indent)\(instruction)\n\n\(indent)### Response:\n\(indent)"
    }
}

struct CommonsenseItem {
    var instruction: String
    var answer: String
}

enum CommonsenseScorer {
    static func readItems(_ path: String) throws -> [CommonsenseItem] {
        let role = "LLM-Adapters test.json"
        guard let list = try readJSONFile(path, role: role).arrayValue else {
            throw EvaluatorError.malformedFile(path: path, role: role, reason: "expected a JSON array of {instruction, input, output, answer}")
        }
        return try list.enumerated().map { index, item in
            guard let instruction = item["instruction"]?.stringValue, let answer = item["answer"]?.stringValue else {
                throw EvaluatorError.malformedFile(path: path, role: role, reason: "item \(index) needs string instruction and answer")
            }
            return CommonsenseItem(instruction: instruction, answer: answer)
        }
    }

    static func score(_ request: ScoringRequest) throws -> ScoreReport {
        guard let task = CommonsenseTask(benchmark: request.benchmark) else {
            throw EvaluatorError.unknownBenchmark(request.benchmark.rawValue)
        }
        let answers = try AnswersFile.read(request.answersFile)
        let questionFile = request.questionFile ?? request.path("test.json")
        let items = try readItems(questionFile)
        let ids = (0..<items.count).map(QuestionID.int)
        try answers.requireKnownIDs(Set(ids), reference: "\(questionFile) (question_id = 0-based item index)")
        let byID = answers.byID
        var correct = 0, unparsed = 0
        for (index, item) in items.enumerated() {
            let prediction = byID[.int(index)].map { task.extractAnswer($0.text) } ?? ""
            if prediction.isEmpty { unparsed += 1 }
            if prediction == item.answer { correct += 1 }
        }
        guard !items.isEmpty else {
            throw EvaluatorError.malformedFile(path: questionFile, role: "LLM-Adapters test.json", reason: "no items")
        }
        let accuracy = Double(correct) / Double(items.count)
        var report = ScoreReport(benchmark: request.benchmark, split: "test", answersFile: request.answersFile, n: items.count,
                                 headlineName: "accuracy (%)", headlineValue: 100 * accuracy,
                                 metrics: [("dataset", .string(task.rawValue)), ("correct", .int(correct)), ("total", .int(items.count)),
                                           ("accuracy", .double(accuracy)), ("no_match", .int(unparsed))],
                                 protocolSource: PinnedSource.llmAdapters)
        report.missingIDs = answers.missingIDs(ids)
        report.notes = ["a missing answer counts as an empty prediction (wrong) in the denominator of all items"]
        return report
    }
}
