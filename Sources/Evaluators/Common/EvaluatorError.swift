import Foundation

/// Everything that can go wrong while reading benchmark files or scoring answers.
/// Each message names the file (and line or id) and says what to do.
public enum EvaluatorError: Error, CustomStringConvertible, Equatable {
    case unknownBenchmark(String)
    case missingFile(path: String, role: String)
    case missingDirectory(path: String, role: String)
    case unreadableFile(path: String, role: String, reason: String)
    case malformedFile(path: String, role: String, reason: String)
    /// Answers-file lines that are not JSON objects with the needed keys (all of them, 1-based).
    case malformedAnswerLines(path: String, lines: [(line: Int, reason: String)])
    case duplicateQuestionIDs(path: String, ids: [(id: String, lines: [Int])])
    case unknownQuestionIDs(path: String, ids: [(id: String, line: Int)], reference: String)
    /// The official script cannot score this input (it would raise); the reason says why.
    case officialScriptFails(benchmark: String, reason: String)
    case missingOption(String)
    case unwritableFile(path: String, reason: String)

    public static func == (a: EvaluatorError, b: EvaluatorError) -> Bool { a.description == b.description }

    public var description: String {
        switch self {
        case .unknownBenchmark(let name):
            return "unknown benchmark '\(name)'; known benchmarks: \(BenchmarkID.allCases.map(\.rawValue).joined(separator: ", "))"
        case .missingFile(let path, let role):
            return "\(role) not found: \(path) (check the path, or --data-root and the layout in Evaluation/<bench>/README.md)"
        case .missingDirectory(let path, let role):
            return "\(role) folder not found: \(path) (check the path, or --data-root and the layout in Evaluation/<bench>/README.md)"
        case .unreadableFile(let path, let role, let reason):
            return "cannot read \(role) \(path): \(reason)"
        case .malformedFile(let path, let role, let reason):
            return "malformed \(role) \(path): \(reason)"
        case .malformedAnswerLines(let path, let lines):
            let shown = lines.prefix(10).map { "line \($0.line): \($0.reason)" }.joined(separator: "; ")
            let more = lines.count > 10 ? "; and \(lines.count - 10) more" : ""
            return "malformed answers file \(path): \(lines.count) bad line(s): \(shown)\(more). Each line must be one JSON object with question_id and text; fix or remove these lines"
        case .duplicateQuestionIDs(let path, let ids):
            let shown = ids.prefix(10).map { "\($0.id) (lines \($0.lines.map(String.init).joined(separator: ", ")))" }.joined(separator: "; ")
            let more = ids.count > 10 ? "; and \(ids.count - 10) more" : ""
            return "answers file \(path) answers \(ids.count) question id(s) more than once: \(shown)\(more). Remove the duplicate lines (a resumed run must not repeat answered ids)"
        case .unknownQuestionIDs(let path, let ids, let reference):
            let shown = ids.prefix(10).map { "\($0.id) (line \($0.line))" }.joined(separator: "; ")
            let more = ids.count > 10 ? "; and \(ids.count - 10) more" : ""
            return "answers file \(path) has \(ids.count) question id(s) that are not in \(reference): \(shown)\(more). Is it the answers file of another benchmark or split?"
        case .officialScriptFails(let benchmark, let reason):
            return "\(benchmark): the official scorer cannot score this input: \(reason)"
        case .missingOption(let what):
            return "missing option: \(what)"
        case .unwritableFile(let path, let reason):
            return "cannot write \(path): \(reason)"
        }
    }
}
