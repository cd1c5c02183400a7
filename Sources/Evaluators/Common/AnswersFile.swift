import Foundation

/// One line of an answers `.jsonl` (LLaVA's format, benchmarks.md section 1.4):
/// `{question_id, prompt, text, answer_id, model_id, metadata}` plus MMBench's extra keys.
public struct AnswerRecord: Sendable {
    public var questionID: QuestionID
    /// The model output as stored (not stripped).
    public var text: String
    /// The `prompt` key, when present (SQA and TextVQA scoring read it).
    public var prompt: String?
    /// 1-based line number in the answers file.
    public var line: Int
    public var fields: [String: JSONValue]

    public init(questionID: QuestionID, text: String, prompt: String? = nil, line: Int = 0, fields: [String: JSONValue] = [:]) {
        self.questionID = questionID
        self.text = text
        self.prompt = prompt
        self.line = line
        self.fields = fields
    }
}

/// The parsed answers file, in file order (POPE depends on that order).
public struct AnswersFile: Sendable {
    public var path: String
    public var records: [AnswerRecord]

    public init(path: String, records: [AnswerRecord]) {
        self.path = path
        self.records = records
    }

    /// Reads and validates an answers file: every line must be a JSON object with an int or
    /// string `question_id` and a string `text` (a PiSSA-style `output` is accepted for
    /// `text`); a question id may appear only once (TextVQA, whose ids are image ids, allows
    /// repeats). All bad lines are reported together.
    public static func read(_ path: String, requirePrompt: Bool = false, allowDuplicateIDs: Bool = false) throws -> AnswersFile {
        var records: [AnswerRecord] = []
        var bad: [(line: Int, reason: String)] = []
        var seen: [QuestionID: [Int]] = [:]
        for (line, value, raw) in try readJSONLines(path, role: "answers file") {
            guard let value else {
                bad.append((line, raw.pyStrip().isEmpty ? "empty line" : "not valid JSON"))
                continue
            }
            guard case .object(let object) = value else { bad.append((line, "not a JSON object")); continue }
            guard let rawID = object["question_id"] else { bad.append((line, "no question_id")); continue }
            guard let id = QuestionID(rawID) else { bad.append((line, "question_id must be an integer or a string")); continue }
            guard let textValue = object["text"] ?? object["output"] else { bad.append((line, "no text")); continue }
            guard let text = textValue.stringValue else { bad.append((line, "text must be a string")); continue }
            var prompt: String? = nil
            if let promptValue = object["prompt"] {
                guard let p = promptValue.stringValue else { bad.append((line, "prompt must be a string")); continue }
                prompt = p
            } else if requirePrompt {
                bad.append((line, "no prompt (this benchmark's scorer reads the prompt)"))
                continue
            }
            seen[id, default: []].append(line)
            records.append(AnswerRecord(questionID: id, text: text, prompt: prompt, line: line, fields: object))
        }
        if !bad.isEmpty { throw EvaluatorError.malformedAnswerLines(path: path, lines: bad) }
        let duplicates = seen.filter { $0.value.count > 1 }.sorted { $0.value[0] < $1.value[0] }
        if !duplicates.isEmpty && !allowDuplicateIDs {
            throw EvaluatorError.duplicateQuestionIDs(path: path, ids: duplicates.map { ($0.key.description, $0.value) })
        }
        return AnswersFile(path: path, records: records)
    }

    public var byID: [QuestionID: AnswerRecord] {
        Dictionary(records.map { ($0.questionID, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// Throws when answers name ids that the benchmark's question list does not have.
    public func requireKnownIDs(_ known: Set<QuestionID>, reference: String) throws {
        let unknown = records.filter { !known.contains($0.questionID) }
        if !unknown.isEmpty {
            throw EvaluatorError.unknownQuestionIDs(path: path, ids: unknown.map { ($0.questionID.description, $0.line) },
                                                    reference: reference)
        }
    }

    /// Ids of `expected` (in that order) that have no answer.
    public func missingIDs(_ expected: [QuestionID]) -> [QuestionID] {
        let answered = Set(records.map(\.questionID))
        return expected.filter { !answered.contains($0) }
    }
}

/// Plug point for generation: a model that turns a benchmark prompt into answer text.
/// The scorers never call it; `vlm-eval` generation writes an answers file with it, and
/// scoring reads that file, so answers from any tool score the same way.
public protocol AnswerGenerator {
    /// `prompt` is the full user text (with `<image>` where an image goes); `imagePath` is nil
    /// for text-only benchmarks.
    mutating func generate(prompt: String, imagePath: String?, maxNewTokens: Int) throws -> String
}
