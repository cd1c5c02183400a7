import Foundation
import Testing
@testable import Evaluators

// `vlm-eval BENCH` generation end to end: the built vlm-data writes the seven benchmark smoke
// sets in their official formats, the built vlm-eval answers them with the tiny fixture model.
// (Run `swift build` before `swift test`, as Scripts/test.sh does.)

enum Executables {
    static func run(_ name: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            Issue.record("\(binary.path) is missing: run `swift build` before `swift test`")
            return (-1, "", "")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let (out, err) = (Pipe(), Pipe())
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stdout, stderr)
    }

    /// A smoke data root (eval/<bench>/... in LLaVA's layout), made once per test process.
    static let smokeRoot: String = {
        let folder = InferenceFixtures.temporaryFolder("smoke-world")
        _ = try? run("vlm-data", ["generate", "--output", folder, "--smoke"])
        return folder + "/eval"
    }()

    static let model = InferenceFixtures.path("llava-hf")
}

private func lines(_ path: String) -> [String] {
    ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
}

@Test(arguments: [("vqav2", "val"), ("gqa", nil), ("vizwiz", "val"), ("sqa", nil), ("textvqa", nil), ("pope", nil), ("mmbench", nil)])
func generatesWellFormedAnswersForEveryVisionBenchmark(bench: String, split: String?) throws {
    let out = InferenceFixtures.temporaryFolder("answers") + "/\(bench).jsonl"
    var arguments = [bench, "--model-path", Executables.model, "--data-root", Executables.smokeRoot, "--answers-file", out,
                     "--max-new-tokens", "3", "--no-score"]
    if let split { arguments += ["--split", split] }
    let result = try Executables.run("vlm-eval", arguments)
    #expect(result.status == 0, "\(result.stderr)")
    let id = try BenchmarkID(name: bench)
    let answers = try AnswersFile.read(out, requirePrompt: true)
    let root = Executables.smokeRoot + "/" + id.folder + "/"
    let items = try GenerationTasks.items(for: id, questionFile: root + id.defaultGenerationQuestionFile(split: split),
                                          imageFolder: id.defaultImageFolder(split: split).map { root + $0 })
    #expect(!items.isEmpty)
    #expect(answers.records.map(\.questionID) == items.map(\.questionID))  // question-file order
    #expect(answers.records.map(\.prompt) == items.map(\.promptField))
    for line in lines(out) {
        let keys = ["\"question_id\": ", "\"prompt\": ", "\"text\": ", "\"answer_id\": ", "\"model_id\": \"llava-hf\"", "\"metadata\": {}"]
        let positions = keys.map { line.range(of: $0)?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil }, "\(line)")
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted(), "keys out of LLaVA's order: \(line)")
        let ascii = line.allSatisfy { $0.isASCII }
        #expect(ascii)  // json.dumps escapes non-ASCII
    }
    if id == .mmbench { #expect(answers.records.allSatisfy { $0.fields["options"] != nil && $0.fields["round_id"] == .int(0) }) }
    // and the file scores with the existing scorer (GQA's smoke set has no global groups, which
    // the official eval.py cannot score)
    if id != .gqa {
        let scored = try Executables.run("vlm-eval", [bench, "--score-only", "--answers-file", out, "--data-root", Executables.smokeRoot]
                                         + (split.map { ["--split", $0] } ?? []))
        #expect(scored.status == 0, "\(scored.stderr)")
    }
}

@Test func interruptedRunsResumeToTheSameFile() throws {
    let folder = InferenceFixtures.temporaryFolder("resume")
    let common = ["pope", "--model-path", Executables.model, "--data-root", Executables.smokeRoot, "--max-new-tokens", "4", "--no-score"]
    let whole = folder + "/whole.jsonl", pieces = folder + "/pieces.jsonl"
    #expect(try Executables.run("vlm-eval", common + ["--answers-file", whole]).status == 0)
    #expect(try Executables.run("vlm-eval", common + ["--answers-file", pieces, "--limit", "5"]).status == 0)
    #expect(lines(pieces).count == 5)
    // a kill in the middle of a write leaves a partial line; the resumed run drops it
    let handle = try #require(FileHandle(forWritingAtPath: pieces))
    handle.seekToEndOfFile()
    handle.write(Data("{\"question_id\": 99, \"prom".utf8))
    try handle.close()
    let second = try Executables.run("vlm-eval", common + ["--answers-file", pieces, "--limit", "20"])
    #expect(second.stderr.contains("5 already answered"))
    #expect(try Executables.run("vlm-eval", common + ["--answers-file", pieces]).status == 0)
    let expected = try Data(contentsOf: URL(fileURLWithPath: whole))
    #expect(try Data(contentsOf: URL(fileURLWithPath: pieces)) == expected)
    // LLaVA's chunks, concatenated in order, are the whole run too
    var merged = Data()
    for k in 0..<3 {
        let chunk = folder + "/chunk\(k).jsonl"
        #expect(try Executables.run("vlm-eval", common + ["--answers-file", chunk, "--num-chunks", "3", "--chunk-idx", "\(k)"]).status == 0)
        merged += try Data(contentsOf: URL(fileURLWithPath: chunk))
    }
    #expect(merged == expected)
}

@Test func textBenchmarksGenerateWithTheirProtocols() throws {
    let smoke = InferenceFixtures.testsRoot + "/../Evaluation"
    let folder = InferenceFixtures.temporaryFolder("text")
    for (bench, file) in [("boolq", "test.json"), ("gsm8k", "gsm8k_test.jsonl")] {
        let out = folder + "/\(bench).jsonl"
        let result = try Executables.run("vlm-eval", [bench, "--model-path", InferenceFixtures.path("llava-original"),
                                                      "--question-file", "\(smoke)/\(bench)/smoke/\(file)", "--answers-file", out,
                                                      "--max-new-tokens", "5", "--scores-file", folder + "/\(bench)_scores.json"])
        #expect(result.status == 0, "\(result.stderr)")
        let answers = try AnswersFile.read(out)
        #expect(answers.records.map(\.questionID) == (0..<answers.records.count).map(QuestionID.int))
        let scores = try String(contentsOfFile: folder + "/\(bench)_scores.json", encoding: .utf8)
        #expect(scores.contains("\"headline\""))
        if bench == "boolq" { #expect(scores.contains("4-beam search without EOS stopping") && !scores.contains("unofficial")) }
    }
}

@Test func badGenerationInputsGiveClearErrors() throws {
    let folder = InferenceFixtures.temporaryFolder("bad")
    let questions = folder + "/q.jsonl"
    try "{\"question_id\": 1, \"image\": \"a.png\", \"text\": \"hi\"}\nnot json\n{\"question_id\": 3, \"text\": \"x\"}\n"
        .write(toFile: questions, atomically: true, encoding: .utf8)
    let base = ["pope", "--model-path", Executables.model, "--question-file", questions, "--answers-file", folder + "/a.jsonl"]
    let malformed = try Executables.run("vlm-eval", base)
    #expect(malformed.status != 0)
    #expect(malformed.stderr.contains("line 2: not a JSON object") && malformed.stderr.contains("line 3: no string 'image'"), "\(malformed.stderr)")

    try "{\"question_id\": 1, \"image\": \"missing.png\", \"text\": \"hi\"}\n".write(toFile: questions, atomically: true, encoding: .utf8)
    let missingImage = try Executables.run("vlm-eval", base + ["--image-folder", folder])
    #expect(missingImage.status != 0 && missingImage.stderr.contains("question 1:") && missingImage.stderr.contains("missing.png"))

    let noModel = try Executables.run("vlm-eval", ["pope", "--data-root", Executables.smokeRoot])
    #expect(noModel.status != 0 && noModel.stderr.contains("--model-path is required"))
    let badChunk = try Executables.run("vlm-eval", ["pope", "--model-path", Executables.model, "--num-chunks", "2", "--chunk-idx", "2"])
    #expect(badChunk.status != 0 && badChunk.stderr.contains("--chunk-idx"))

    let notAnswers = folder + "/not_answers.jsonl"
    try "{\"foo\": 1}\n".write(toFile: notAnswers, atomically: true, encoding: .utf8)
    let clobber = try Executables.run("vlm-eval", ["pope", "--model-path", Executables.model, "--data-root", Executables.smokeRoot,
                                                   "--answers-file", notAnswers])
    #expect(clobber.status != 0 && clobber.stderr.contains("not an answers line"))
    #expect(try String(contentsOfFile: notAnswers, encoding: .utf8) == "{\"foo\": 1}\n")  // nothing lost
}

/// `--batch-size 4` decodes several questions per pass and writes the same answers file as the
/// one-question-at-a-time run (on this fixture no near-tie flips a greedy choice).
@Test(arguments: ["pope", "textvqa", "sqa"])
func batchedGenerationWritesTheSameAnswers(bench: String) throws {
    let folder = InferenceFixtures.temporaryFolder("batched")
    let common = [bench, "--model-path", Executables.model, "--data-root", Executables.smokeRoot, "--max-new-tokens", "6", "--no-score"]
    let single = folder + "/single.jsonl", batched = folder + "/batched.jsonl"
    #expect(try Executables.run("vlm-eval", common + ["--answers-file", single]).status == 0)
    let result = try Executables.run("vlm-eval", common + ["--answers-file", batched, "--batch-size", "4"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(!lines(single).isEmpty)
    #expect(lines(batched) == lines(single))
}
