import Foundation
import Testing
@testable import Evaluators

/// Each benchmark's hand-made answers scored by us against the official scripts' numbers.
@Suite struct OfficialScoreTests {
    @Test func vqav2ValMatchesVQAEval() throws {
        let want = try expected("vqav2/expected.json")
        let upload = FileManager.default.temporaryDirectory.appendingPathComponent("vqav2-upload-\(UUID().uuidString).json").path
        let report = try score(ScoringRequest(benchmark: .vqav2, answersFile: fixture("vqav2/answers_val.jsonl"),
                                              questionFile: fixture("vqav2/v2_OpenEnded_mscoco_val2014_questions.json"),
                                              annotationFile: fixture("vqav2/v2_mscoco_val2014_annotations.json"), split: "val"))
        #expect(report.json["metrics"]?["overall"]?.doubleValue == want["overall"]?.doubleValue)
        for (type, value) in try #require(want["perAnswerType"]?.objectValue) {
            #expect(report.json["metrics"]?["perAnswerType"]?[type]?.doubleValue == value.doubleValue, "\(type)")
        }
        for (type, value) in try #require(want["perQuestionType"]?.objectValue) {
            #expect(report.json["metrics"]?["perQuestionType"]?[type]?.doubleValue == value.doubleValue, "\(type)")
        }
        #expect(report.missingIDs == [.int(15)])
        // The upload converter's bytes, for the same answers and question list.
        let test = try score(ScoringRequest(benchmark: .vqav2, answersFile: fixture("vqav2/answers_val.jsonl"),
                                            questionFile: fixture("vqav2/llava_vqav2_mscoco_test2015.jsonl"), split: "test-dev",
                                            uploadFile: upload))
        #expect(try String(contentsOfFile: upload, encoding: .utf8) == want["upload_bytes"]?.stringValue)
        #expect(test.headlineValue == nil)
    }

    @Test func vizwizUploadBytesAndUnofficialVal() throws {
        let want = try expected("vizwiz/expected.json")
        let upload = FileManager.default.temporaryDirectory.appendingPathComponent("vizwiz-upload-\(UUID().uuidString).json").path
        let report = try score(ScoringRequest(benchmark: .vizwiz, answersFile: fixture("vizwiz/answers.jsonl"),
                                              questionFile: fixture("vizwiz/llava_val.jsonl"), annotationFile: fixture("vizwiz/val.json"),
                                              split: "val", uploadFile: upload))
        #expect(try String(contentsOfFile: upload, encoding: .utf8) == want["upload_bytes"]?.stringValue)
        #expect(report.json["metrics"]?["overall"]?.doubleValue == want["overall"]?.doubleValue)
        for (type, value) in try #require(want["perAnswerType"]?.objectValue) {
            #expect(report.json["metrics"]?["perAnswerType"]?[type]?.doubleValue == value.doubleValue, "\(type)")
        }
    }

    @Test func gqaMatchesEvalPy() throws {
        let out = try #require(try expected("gqa/expected.json")["printed"]?.stringValue)
        let report = try score(ScoringRequest(benchmark: .gqa, answersFile: fixture("gqa/answers.jsonl"),
                                              annotationFile: fixture("gqa/testdev_balanced_questions.json")))
        let m = try #require(report.json["metrics"])
        #expect(out.contains("Binary: \(printed(m["Binary"]!.doubleValue!))%"))
        #expect(out.contains("Open: \(printed(m["Open"]!.doubleValue!))%"))
        #expect(out.contains("Accuracy: \(printed(m["Accuracy"]!.doubleValue!))%"))
        #expect(out.contains("Distribution: \(printed(m["Distribution"]!.doubleValue!)) (lower is better)"))
        for table in ["accuracyPerStructuralType", "accuracyPerSemanticType", "accuracyPerSteps", "accuracyPerLength"] {
            guard case .object(let rows) = m[table]! else { Issue.record("no \(table)"); continue }
            for (name, row) in rows {
                let line = "  \(name): \(printed(row["accuracy"]!.doubleValue!))% (\(Int(row["count"]!.doubleValue!)) questions)"
                #expect(out.contains(line), "\(table): \(line)")
            }
        }
    }

    @Test func scienceQAMatchesEvalScienceQA() throws {
        let want = try expected("sqa/expected.json")
        let report = try score(ScoringRequest(benchmark: .sqa, answersFile: fixture("sqa/answers.jsonl"), annotationDir: fixture("sqa")))
        let m = try #require(report.json["metrics"])
        let line = "Total: \(Int(m["Total"]!.doubleValue!)), Correct: \(Int(m["Correct"]!.doubleValue!)), Accuracy: \(printed(m["Accuracy"]!.doubleValue!))%, IMG-Accuracy: \(printed(report.headlineValue!))%"
        #expect(line == want["printed"]?.stringValue)
        #expect(m["Accuracy"]?.doubleValue == want["acc"]?.doubleValue)
        #expect(report.missingIDs.count == 2)
        // Per-problem parsing, against the official `results` (pred index or -1).
        let answers = try AnswersFile.read(fixture("sqa/answers.jsonl"), requirePrompt: true).byID
        let problems = try expected("sqa/problems.json")
        for (pid, index) in try #require(want["results"]?.objectValue) {
            let text = answers[.string(pid)]?.text ?? "FAILED"
            let count = problems[pid]?["choices"]?.arrayValue?.count ?? 0
            #expect(ScienceQAScorer.predictionIndex(ScienceQAScorer.parseAnswer(text), choiceCount: count) == index.intValue,
                    "pid \(pid): \(text.debugDescription)")
        }
    }

    @Test func textVQAMatchesEvalTextVQA() throws {
        let want = try expected("textvqa/expected.json")
        let report = try score(ScoringRequest(benchmark: .textvqa, answersFile: fixture("textvqa/answers.jsonl"),
                                              annotationFile: fixture("textvqa/TextVQA_0.5.1_val.json")))
        #expect(report.n == want["samples"]?.intValue)
        #expect(printed(report.headlineValue!) == want["accuracy_printed"]?.stringValue)
    }

    @Test func popeMatchesEvalPope() throws {
        let want = try #require(try expected("pope/expected.json").objectValue)
        let report = try score(ScoringRequest(benchmark: .pope, answersFile: fixture("pope/answers.jsonl"),
                                              questionFile: fixture("pope/llava_pope_test.jsonl"), annotationDir: fixture("pope/coco")))
        var f1s: [Double] = []
        for (category, block) in want {
            let m = try #require(report.json["metrics"]?[category])
            for key in ["TP", "FP", "TN", "FN", "samples"] { #expect(m[key]?.doubleValue == block[key]?.doubleValue, "\(category) \(key)") }
            for (ours, theirs) in [("accuracy", "Accuracy"), ("precision", "Precision"), ("recall", "Recall"), ("f1", "F1 score"), ("yes_ratio", "Yes ratio")] {
                #expect(m[ours]?.doubleValue == block[theirs]?.doubleValue, "\(category) \(ours)")
            }
            f1s.append(try #require(block["F1 score"]?.doubleValue))
        }
        #expect(f1s.count == 3)
        let headline = try #require(report.headlineValue)
        let meanF1: Double = 100 * f1s.reduce(0, +) / 3
        #expect(abs(headline - meanF1) < 1e-12)
        #expect(report.missingIDs.count == 1)
    }

    @Test func mmbenchMatchesVLMEvalKitExactMatching() throws {
        let want = try expected("mmbench/expected.json")
        let report = try score(ScoringRequest(benchmark: .mmbench, answersFile: fixture("mmbench/answers.jsonl"),
                                              questionFile: fixture("mmbench/mmbench_dev_20230712.tsv")))
        let table = try #require(want["report"]?.objectValue)
        for (column, values) in table where column != "split" {
            #expect(report.json["metrics"]?["dev"]?[column]?.doubleValue == values.arrayValue?.first?.doubleValue, "\(column)")
        }
        #expect(report.headlineValue == 100 * (table["Overall"]?.arrayValue?.first?.doubleValue ?? -1))
        #expect(report.missingIDs.count == 1)
        // can_infer on each row (prediction as read back from the xlsx), against the official function.
        let rows = try MMBenchTSV.read(fixture("mmbench/mmbench_dev_20230712.tsv")).sorted { $0.index < $1.index }
        let cases = try #require(want["can_infer"]?.arrayValue)
        #expect(cases.count == rows.count)
        for (row, item) in zip(rows, cases) {
            let prediction = try #require(item.arrayValue?[0].stringValue)
            let choices = ["A", "B", "C", "D"].compactMap { letter in row[letter].map { (letter: letter, text: $0) } }
            let official = item.arrayValue?[1].stringValue   // nil for Python's False
            #expect(MMBenchMatching.infer(prediction, choices: choices, rules: .legacy) == official, "\(row.index): \(prediction)")
        }
    }

    @Test(arguments: ["boolq", "piqa", "siqa", "hellaswag", "winogrande", "arc-e", "arc-c", "obqa"])
    func commonsenseMatchesLLMAdapters(_ name: String) throws {
        let want = try #require(try expected("commonsense/expected.json")[name])
        let report = try score(ScoringRequest(benchmark: try BenchmarkID(name: name), answersFile: fixture("commonsense/\(name)/answers.jsonl"),
                                              questionFile: fixture("commonsense/\(name)/test.json")))
        #expect(report.json["metrics"]?["correct"]?.doubleValue == want["correct"]?.doubleValue)
        #expect(report.n == want["total"]?.intValue)
        #expect(report.json["metrics"]?["accuracy"]?.doubleValue == want["accuracy"]?.doubleValue)
        let records = try AnswersFile.read(fixture("commonsense/\(name)/answers.jsonl")).byID
        let task = try #require(CommonsenseTask(benchmark: try BenchmarkID(name: name)))
        for (index, prediction) in try #require(want["preds"]?.arrayValue).enumerated() {
            #expect((records[.int(index)].map { task.extractAnswer($0.text) } ?? "") == prediction.stringValue, "\(name) item \(index)")
        }
    }

    @Test func gsm8kMatchesMiLoRA() throws {
        let want = try expected("gsm8k/expected.json")
        let report = try score(ScoringRequest(benchmark: .gsm8k, answersFile: fixture("gsm8k/answers.jsonl"),
                                              questionFile: fixture("gsm8k/gsm8k_test.jsonl")))
        #expect(report.json["metrics"]?["correct"]?.doubleValue == want["correct"]?.doubleValue)
        #expect(report.json["metrics"]?["acc"]?.doubleValue == want["acc"]?.doubleValue)
        #expect(report.missingIDs.count == 1)
        let records = try AnswersFile.read(fixture("gsm8k/answers.jsonl")).records
        for (record, item) in zip(records, try #require(want["per_item"]?.arrayValue)) {
            let ours = GSM8KScorer.extractAnswerNumber(record.text).map(GSM8KScorer.intString)
            #expect(ours == item.arrayValue?[0].stringValue, "\(record.text.debugDescription)")
        }
    }

    @Test func mathMatchesMiLoRA() throws {
        let want = try expected("math/expected.json")
        let records = try AnswersFile.read(fixture("math/answers.jsonl")).records
        for (record, item) in zip(records, try #require(want["per_item"]?.arrayValue)) {
            let gold = item.arrayValue?[0].stringValue
            let ours = MathEquivalence.extractAnswer(record.text).map { MathEquivalence.isEquivalent($0, gold) } ?? false
            #expect(ours == item.arrayValue?[1].boolValue, "\(record.text.debugDescription) vs \(gold ?? "None")")
        }
        let report = try score(ScoringRequest(benchmark: .math, answersFile: fixture("math/answers.jsonl"),
                                              questionFile: fixture("math/MATH_test.jsonl")))
        #expect(report.json["metrics"]?["correct"]?.doubleValue == want["correct"]?.doubleValue)
    }
}
