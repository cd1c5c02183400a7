import Foundation
import Testing

/// The generator and the evaluators checked against each other: answers read off each
/// benchmark's own ground-truth files score 100 with `vlm-eval --score-only`, and wrong answers
/// score at the floor. (The generator's files follow the official formats; the evaluators follow
/// the official scripts; either side being wrong breaks this.)
@Suite(.serialized) final class WorldOracleTests {
    /// The prompt an answer line must carry where the official scorer reads it.
    var prompts: [String: String] = [:]

    static let world: String = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("world-oracle-\(UUID().uuidString)").path
        _ = try? Executable(name: "vlm-data").run(["generate", "--output", folder, "--smoke", "--gqa-size", "30", "--seed", "3"])
        return folder + "/eval"
    }()

    func lines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    func json(_ path: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) }

    /// Question id -> ground-truth answer text, from the benchmark's annotation files.
    func truth(_ bench: String) throws -> [(id: Any, answer: String)] {
        let root = Self.world + "/" + bench
        switch bench {
        case "pope":
            var labels: [String: [String]] = [:]
            for split in ["adversarial", "popular", "random"] {
                labels[split] = try lines(root + "/coco/coco_pope_\(split).json").map { $0["label"] as! String }
            }
            var seen: [String: Int] = [:]
            return try lines(root + "/llava_pope_test.jsonl").map { q in
                let category = q["category"] as! String
                defer { seen[category, default: 0] += 1 }
                return (q["question_id"]!, labels[category]![seen[category, default: 0]])
            }
        case "vqav2":
            let annotations = (try json(root + "/v2_mscoco_val2014_annotations.json") as! [String: Any])["annotations"] as! [[String: Any]]
            let answers = Dictionary(uniqueKeysWithValues: annotations.map { ("\($0["question_id"]!)", $0["multiple_choice_answer"] as! String) })
            return try lines(root + "/llava_vqav2_mscoco_val2014.jsonl").map { ($0["question_id"]!, answers["\($0["question_id"]!)"]!) }
        case "gqa":
            let questions = try json(root + "/data/testdev_balanced_questions.json") as! [String: [String: Any]]
            return try lines(root + "/llava_gqa_testdev_balanced.jsonl").map { ($0["question_id"]!, questions["\($0["question_id"]!)"]!["answer"] as! String) }
        case "vizwiz":
            let annotations = try json(root + "/val.json") as! [[String: Any]]
            return try lines(root + "/llava_val.jsonl").map { q in
                let answers = (annotations[q["question_id"] as! Int]["answers"] as! [[String: Any]]).map { $0["answer"] as! String }
                return (q["question_id"]!, Self.mostCommon(answers))
            }
        case "textvqa":
            let data = (try json(root + "/TextVQA_0.5.1_val.json") as! [String: Any])["data"] as! [[String: Any]]
            let answers = Dictionary(data.map { ($0["image_id"] as! String, Self.mostCommon($0["answers"] as! [String])) }, uniquingKeysWith: { $1 })
            return try lines(root + "/llava_textvqa_val_v051_ocr.jsonl").map { q in
                prompts["textvqa-\(q["question_id"]!)"] = q["text"] as? String   // eval_textvqa.py parses the prompt
                return (q["question_id"]!, answers[q["question_id"] as! String]!)
            }
        case "scienceqa":
            let problems = try json(root + "/problems.json") as! [String: [String: Any]]
            return (try json(root + "/llava_test_CQM-A.json") as! [[String: Any]]).map { q in
                // eval_science_qa.py counts image questions by "<image>" in the answer's prompt.
                prompts["scienceqa-\(q["id"]!)"] = (q["conversations"] as! [[String: Any]])[0]["value"] as? String
                let letter = Character(UnicodeScalar(65 + (problems[q["id"] as! String]!["answer"] as! Int))!)
                return (q["id"]!, String(letter))
            }
        default:  // mmbench: the TSV's index and answer columns
            let rows = try String(contentsOfFile: root + "/mmbench_dev_20230712.tsv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
            let header = rows[0].map(String.init)
            let (index, answer) = (header.firstIndex(of: "index")!, header.firstIndex(of: "answer")!)
            return rows.dropFirst().map { (Int($0[index])!, String($0[answer])) }
        }
    }

    static func mostCommon(_ answers: [String]) -> String {
        var counts: [String: Int] = [:]
        for a in answers { counts[a, default: 0] += 1 }
        return counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }!.key
    }

    static func wrong(_ bench: String, _ answer: String) -> String {
        switch bench {
        case "pope": return answer.lowercased() == "yes" ? "no" : "yes"
        case "scienceqa", "mmbench": return answer == "A" ? "B" : "A"
        default: return "zzz"
        }
    }

    func score(_ bench: String, answers: [(id: Any, answer: String)]) throws -> (status: Int32, value: Double?, output: String) {
        let folder = try temporaryFolder("oracle")
        let path = folder + "/answers.jsonl"
        var text = ""
        for (id, answer) in answers {
            let key = bench == "mmbench" ? "question_id" : "question_id"
            let line = try JSONSerialization.data(withJSONObject: [key: id, "prompt": prompts["\(bench)-\(id)"] ?? "", "text": answer, "answer_id": "x", "model_id": "oracle", "metadata": [:] as [String: Any]])
            text += String(decoding: line, as: UTF8.self) + "\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let command = bench == "scienceqa" ? "sqa" : bench
        let split = bench == "vizwiz" ? ["--split", "val"] : []
        let result = try Executable(name: "vlm-eval").run([command, "--score-only", "--answers-file", path, "--data-root", Self.world,
                                                            "--scores-file", folder + "/scores.json"] + split)
        let report = try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/scores.json"))) as? [String: Any]
        let value = (report?["headline"] as? [String: Any])?["value"] as? Double
        return (result.status, value, result.stderr + result.stdout)
    }

    @Test(arguments: ["pope", "vqav2", "gqa", "vizwiz", "textvqa", "scienceqa", "mmbench"])
    func oracleScoresHundredAndWrongAnswersScoreTheFloor(bench: String) throws {
        let answers = try truth(bench)
        #expect(!answers.isEmpty)
        let oracle = try score(bench, answers: answers)
        #expect(oracle.status == 0, "\(oracle.output)")
        #expect(abs((oracle.value ?? -1) - 100) < 1e-9, "\(bench) oracle: \(oracle.value ?? -1) \(oracle.output)")
        let wrong = try score(bench, answers: answers.map { ($0.id, Self.wrong(bench, $0.answer)) })
        if bench == "pope" {
            // Every answer flipped: no true positives; eval_pope.py's F1 has 0/0 there, so the
            // official script fails (ZeroDivisionError), and so must we, or report 0.
            #expect(wrong.status != 0 || (wrong.value ?? -1) == 0, "\(wrong.output)")
        } else {
            #expect(wrong.status == 0 && (wrong.value ?? -1) == 0, "\(bench) wrong: \(wrong.value ?? -1) \(wrong.output)")
        }
    }
}
