import Foundation

// Writes LLaVA's answers .jsonl line by line (benchmarks.md section 1.4), so that an interrupted
// run resumes: lines already in the file are kept, a partial last line (a kill mid-write) is
// dropped, and their question ids are skipped. Lines are Python json.dumps style (", " and ": ",
// non-ASCII escaped). answer_id is a shortuuid-alphabet string of 22 characters derived from the
// seed and the question id, so a resumed run writes the same bytes as an uninterrupted one.

public final class AnswersWriter {
    public let path: String
    /// Question ids already answered in the file.
    public private(set) var answered: Set<QuestionID>
    private let handle: FileHandle
    private let seed: UInt64

    public init(path: String, seed: UInt64 = 0) throws {
        self.path = path
        self.seed = seed
        let fm = FileManager.default
        let url = URL(fileURLWithPath: path)
        do { try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true) } catch {
            throw EvaluatorError.unwritableFile(path: path, reason: "cannot create its folder: \(error.localizedDescription)")
        }
        var ids = Set<QuestionID>()
        if fm.fileExists(atPath: path) {
            guard var data = fm.contents(atPath: path) else { throw EvaluatorError.unwritableFile(path: path, reason: "cannot read the existing file") }
            if let last = data.lastIndex(of: UInt8(ascii: "\n")) { data = data.prefix(through: last) } else { data = Data() }
            for (number, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
                guard let value = try? JSONValue.parse(Data(line)), let raw = value["question_id"], let id = QuestionID(raw),
                      value["text"]?.stringValue != nil else {
                    throw EvaluatorError.malformedAnswerLines(path: path, lines: [(number + 1, "not an answers line; move the file away or pass another --answers-file")])
                }
                ids.insert(id)
            }
            do { try data.write(to: url) } catch {  // drops a partial last line
                throw EvaluatorError.unwritableFile(path: path, reason: error.localizedDescription)
            }
        } else {
            guard fm.createFile(atPath: path, contents: nil) else {
                throw EvaluatorError.unwritableFile(path: path, reason: "cannot create the file")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw EvaluatorError.unwritableFile(path: path, reason: "cannot open it for writing")
        }
        handle.seekToEndOfFile()
        self.handle = handle
        answered = ids
    }

    deinit { try? handle.close() }

    /// Appends one answer and flushes it to disk.
    public func write(_ item: GenerationItem, text: String, modelID: String) throws {
        var pairs: [(String, ScoreJSON)] = [("question_id", item.questionID.json)]
        if item.extraFields.isEmpty {
            pairs += [("prompt", .string(item.promptField)), ("text", .string(text))]
        } else {  // MMBench's key order
            pairs += [("round_id", .int(0)), ("prompt", .string(item.promptField)), ("text", .string(text))] + item.extraFields
        }
        pairs += [("answer_id", .string(answerID(for: item.questionID))), ("model_id", .string(modelID)), ("metadata", .object([]))]
        let line = ScoreJSON.object(pairs).pythonDumps() + "\n"
        do {
            try handle.write(contentsOf: Data(line.utf8))
            try handle.synchronize()
        } catch {
            throw EvaluatorError.unwritableFile(path: path, reason: error.localizedDescription)
        }
        answered.insert(item.questionID)
    }

    /// 22 characters of shortuuid's alphabet, from a hash of (seed, question id).
    public func answerID(for id: QuestionID) -> String {
        let alphabet = Array("23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
        var state: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
        for byte in id.json.pythonDumps().utf8 { state = (state ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        var out = ""
        for _ in 0..<22 {
            state = state &* 6364136223846793005 &+ 1442695040888963407  // LCG step, top bits used
            out.append(alphabet[Int((state >> 33) % UInt64(alphabet.count))])
        }
        return out
    }
}
