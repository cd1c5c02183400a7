import Foundation
import Testing
@testable import SyntheticWorld

/// Every file parses and carries the fields benchmarks.md lists for the official format.
@Suite struct FormatTests {
    let root = smokeWorld
    func url(_ path: String) -> URL { root.appendingPathComponent(path) }
    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: url(path).path) }

    static let shortSuffix = "\n" + PromptSuffix.shortAnswer

    /// LLaVA question lines (section 1.1): question_id, image, text, category; the image exists.
    func checkQuestionFile(_ path: String, imageFolder: String, suffix: String) throws -> [[String: Any]] {
        let lines = try readJSONLines(url(path))
        #expect(!lines.isEmpty, "\(path) is empty")
        for line in lines {
            #expect(Set(line.keys) == ["question_id", "image", "text", "category"], "\(path): \(line.keys)")
            let text = try #require(line["text"] as? String)
            #expect(text.hasSuffix(suffix), "\(path): \(text)")
            #expect(exists(imageFolder + "/" + (line["image"] as! String)), "\(path): missing image \(line["image"]!)")
        }
        return lines
    }

    @Test func instructionDataIsLLaVAConversations() throws {
        for path in ["train/pretrain.json", "train/finetune.json"] + TaskFamily.allCases.map({ "heldout/\($0.rawValue).json" }) {
            let records = try #require(try readJSON(url(path)) as? [[String: Any]])
            #expect(!records.isEmpty)
            for record in records {
                #expect(Set(record.keys) == ["id", "image", "conversations"])
                #expect(exists("images/" + (record["image"] as! String)))
                let turns = try #require(record["conversations"] as? [[String: String]])
                #expect(turns.count >= 2 && turns.count % 2 == 0)
                for (i, turn) in turns.enumerated() {
                    #expect(turn["from"] == (i % 2 == 0 ? "human" : "gpt"))
                    #expect((turn["value"] ?? "").hasPrefix("<image>\n") == (i == 0))
                    #expect(!(turn["value"] ?? "").isEmpty)
                }
            }
        }
        for family in TaskFamily.allCases {
            for line in try readJSONLines(url("heldout/\(family.rawValue).jsonl")) {
                #expect(Set(line.keys) == ["question_id", "image", "text", "category", "answer"])
                #expect(line["category"] as? String == family.rawValue)
            }
        }
    }

    @Test func familySplitIsDisjointAndRecorded() throws {
        let manifest = try #require(try readJSON(url("world.json")) as? [String: Any])
        let pre = Set(manifest["pretraining_families"] as! [String]), fine = Set(manifest["finetuning_families"] as! [String])
        #expect(pre.isDisjoint(with: fine))
        #expect(pre.union(fine) == Set(TaskFamily.allCases.map(\.rawValue)))
        // No fine-tuning family appears in the pretraining conversations (checked by prompt shape).
        let records = try readJSON(url("train/pretrain.json")) as! [[String: Any]]
        for record in records {
            for turn in record["conversations"] as! [[String: String]] where turn["from"] == "human" {
                let value = turn["value"]!
                #expect(!value.contains("How many") && !value.contains("Where is") && !value.contains(PromptSuffix.optionLetter)
                        && !value.contains("printed") && !value.contains("written"), "\(value)")
            }
        }
    }

    @Test func popeFiles() throws {
        let lines = try checkQuestionFile("eval/pope/llava_pope_test.jsonl", imageFolder: "eval/pope/val2014", suffix: Self.shortSuffix)
        #expect(Set(lines.map { "\($0["question_id"]!)" }).count == lines.count, "question ids must be unique")
        let folder = try FileManager.default.contentsOfDirectory(atPath: url("eval/pope/coco").path).sorted()
        #expect(folder == ["coco_pope_adversarial.json", "coco_pope_popular.json", "coco_pope_random.json"])
        for split in POPESplit.allCases {
            let labels = try readJSONLines(url("eval/pope/coco/coco_pope_\(split.rawValue).json"))
            #expect(labels.map { $0["question_id"] as! Int } == Array(1...labels.count))
            for label in labels {
                #expect(Set(label.keys) == ["question_id", "image", "text", "label"])
                #expect(["yes", "no"].contains(label["label"] as! String))
                let text = label["text"] as! String
                #expect(text.hasPrefix("Is there a") && text.hasSuffix(" in the image?"))
            }
            // The LLaVA file lists the same questions, in the same order, under the split's category.
            let inCategory = lines.filter { $0["category"] as? String == split.rawValue }
            #expect(inCategory.map { $0["text"] as! String } == labels.map { ($0["text"] as! String) + Self.shortSuffix })
            #expect(inCategory.map { $0["image"] as! String } == labels.map { $0["image"] as! String })
        }
    }

    @Test func vqav2Files() throws {
        let lines = try checkQuestionFile("eval/vqav2/llava_vqav2_mscoco_val2014.jsonl", imageFolder: "eval/vqav2/val2014", suffix: Self.shortSuffix)
        let questions = try #require(try readJSON(url("eval/vqav2/v2_OpenEnded_mscoco_val2014_questions.json")) as? [String: Any])
        let qList = try #require(questions["questions"] as? [[String: Any]])
        for q in qList { #expect(Set(q.keys) == ["image_id", "question", "question_id"]) }
        let annotations = try #require(try readJSON(url("eval/vqav2/v2_mscoco_val2014_annotations.json")) as? [String: Any])
        let aList = try #require(annotations["annotations"] as? [[String: Any]])
        #expect(aList.map { $0["question_id"] as! Int } == qList.map { $0["question_id"] as! Int })
        #expect(lines.map { $0["question_id"] as! Int } == qList.map { $0["question_id"] as! Int })
        for a in aList {
            #expect(Set(a.keys) == ["question_id", "image_id", "question_type", "answer_type", "multiple_choice_answer", "answers"])
            #expect(["yes/no", "number", "other"].contains(a["answer_type"] as! String))
            let answers = a["answers"] as! [[String: Any]]
            #expect(answers.count == 10)
            #expect(answers.map { $0["answer_id"] as! Int } == Array(1...10))
            for answer in answers { #expect(Set(answer.keys) == ["answer", "answer_confidence", "answer_id"]) }
            let mc = a["multiple_choice_answer"] as! String
            #expect(answers.filter { $0["answer"] as? String == mc }.count >= 6)
        }
    }

    @Test func gqaFiles() throws {
        let lines = try checkQuestionFile("eval/gqa/llava_gqa_testdev_balanced.jsonl", imageFolder: "eval/gqa/data/images", suffix: Self.shortSuffix)
        let questions = try #require(try readJSON(url("eval/gqa/data/testdev_balanced_questions.json")) as? [String: [String: Any]])
        #expect(Set(lines.map { $0["question_id"] as! String }) == Set(questions.keys), "question ids are GQA's string ids")
        for (_, q) in questions {
            #expect(Set(q.keys) == ["question", "answer", "fullAnswer", "isBalanced", "imageId", "types", "semantic", "groups",
                                    "entailed", "equivalent", "annotations"])
            let types = q["types"] as! [String: String]
            #expect(Set(types.keys) == ["structural", "semantic", "detailed"])
            #expect(["query", "verify", "logical", "choose", "compare"].contains(types["structural"]!))
            for op in q["semantic"] as! [[String: Any]] { #expect(Set(op.keys) == ["operation", "argument", "dependencies"]) }
            #expect(Set((q["groups"] as! [String: Any]).keys) == ["global", "local"])
            let answer = q["answer"] as! String
            #expect(answer == answer.lowercased() && !answer.hasSuffix("."))
            if types["structural"] != "query" && types["structural"] != "choose" { #expect(["yes", "no"].contains(answer)) }
        }
    }

    @Test func vizwizFiles() throws {
        let lines = try checkQuestionFile("eval/vizwiz/llava_val.jsonl", imageFolder: "eval/vizwiz/val",
                                          suffix: "\n" + PromptSuffix.unanswerable + "\n" + PromptSuffix.shortAnswer)
        let annotations = try #require(try readJSON(url("eval/vizwiz/val.json")) as? [[String: Any]])
        #expect(annotations.map { $0["image"] as! String } == lines.map { $0["image"] as! String })
        for a in annotations {
            #expect(Set(a.keys) == ["image", "question", "answers", "answer_type", "answerable"])
            let answers = a["answers"] as! [[String: String]]
            #expect(answers.count == 10)
            for answer in answers { #expect(Set(answer.keys) == ["answer", "answer_confidence"]) }
            let type = a["answer_type"] as! String
            #expect(["other", "yes/no", "number", "unanswerable"].contains(type))
            #expect((a["answerable"] as! Int) == (type == "unanswerable" ? 0 : 1))
        }
    }

    @Test func someVizWizQuestionsAreUnanswerable() throws {
        var sizes = DatasetSizes.smoke
        sizes.vizwiz = 40
        let folder = temporaryFolder("vizwiz")
        defer { try? FileManager.default.removeItem(at: folder) }
        try WorldGenerator(seed: 2, sizes: sizes).generate(into: folder, benchmarks: [.vizwiz], instructionData: false)
        let annotations = try readJSON(folder.appendingPathComponent("eval/vizwiz/val.json")) as! [[String: Any]]
        let unanswerable = annotations.filter { $0["answer_type"] as? String == "unanswerable" }
        #expect(unanswerable.count >= 4 && unanswerable.count <= 20)
        for a in unanswerable {
            #expect((a["answers"] as! [[String: String]]).filter { $0["answer"] == "unanswerable" }.count >= 6)
        }
    }

    @Test func textvqaFiles() throws {
        let lines = try checkQuestionFile("eval/textvqa/llava_textvqa_val_v051_ocr.jsonl", imageFolder: "eval/textvqa/train_images", suffix: Self.shortSuffix)
        let file = try #require(try readJSON(url("eval/textvqa/TextVQA_0.5.1_val.json")) as? [String: Any])
        let data = try #require(file["data"] as? [[String: Any]])
        #expect(data.count == lines.count)
        for (entry, line) in zip(data, lines) {
            for key in ["question_id", "image_id", "question", "answers"] { #expect(entry[key] != nil, "missing \(key)") }
            #expect((entry["answers"] as! [String]).count == 10)
            let imageID = entry["image_id"] as! String
            #expect(imageID.count == 16 && imageID.allSatisfy(\.isHexDigit))
            #expect(line["question_id"] as? String == imageID)
            #expect(line["image"] as? String == "\(imageID).png")
            // question (first letter upper-cased), OCR line, suffix: the 3-line prompt eval_textvqa.py parses.
            let parts = (line["text"] as! String).components(separatedBy: "\n")
            #expect(parts.count == 3 || parts.count == 2)
            #expect(parts[0].lowercased() == entry["question"] as! String)
            #expect(parts[0].first!.isUppercase)
            if parts.count == 3 { #expect(parts[1].hasPrefix("Reference OCR token: ")) }
        }
    }

    @Test func scienceqaFiles() throws {
        let problems = try #require(try readJSON(url("eval/scienceqa/problems.json")) as? [String: [String: Any]])
        let splits = try #require(try readJSON(url("eval/scienceqa/pid_splits.json")) as? [String: [String]])
        #expect(Set(splits.keys) == ["train", "val", "test", "minival", "minitest"])
        let llava = try #require(try readJSON(url("eval/scienceqa/llava_test_CQM-A.json")) as? [[String: Any]])
        #expect(llava.map { $0["id"] as! String } == splits["test"]!)
        for entry in llava {
            let pid = entry["id"] as! String
            let problem = try #require(problems[pid])
            #expect(Set(problem.keys) == ["question", "choices", "answer", "hint", "image", "task", "grade", "subject", "topic",
                                          "category", "skill", "lecture", "solution", "split"])
            let choices = problem["choices"] as! [String]
            let answer = problem["answer"] as! Int
            #expect(choices.count >= 2 && choices.count <= 5 && (0..<choices.count).contains(answer))
            let hasImage = problem["image"] as? String == "image.png"
            #expect(hasImage == (entry["image"] as? String == "\(pid)/image.png"))
            if hasImage { #expect(exists("eval/scienceqa/images/test/\(pid)/image.png")) }
            let turns = entry["conversations"] as! [[String: String]]
            let hint = problem["hint"] as! String
            let options = choices.enumerated().map { "(\(["A", "B", "C", "D", "E"][$0.offset])) \($0.element)" }.joined(separator: " ")
            let expected = "Context: \(hint.isEmpty ? "N/A" : hint)\nQuestion: \(problem["question"] as! String)\nOptions: \(options)" + (hasImage ? "\n<image>" : "")
            #expect(turns[0] == ["from": "human", "value": expected])
            #expect(turns[1] == ["from": "gpt", "value": "The answer is \(["A", "B", "C", "D", "E"][answer])."])
        }
        #expect(llava.contains { $0["image"] != nil } && llava.contains { $0["image"] == nil })
    }

    @Test func mmbenchTSVHasCircularCopies() throws {
        let text = try String(contentsOf: url("eval/mmbench/mmbench_dev_20230712.tsv"), encoding: .utf8)
        let rows = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { $0.components(separatedBy: "\t") }
        #expect(rows[0] == ["index", "question", "hint", "A", "B", "C", "D", "answer", "category", "image", "source", "l2-category", "comment", "split"])
        var groups: [Int: [[String]]] = [:]
        for row in rows.dropFirst() {
            #expect(row.count == 14)
            groups[Int(row[0])! % 1_000_000, default: []].append(row)
            #expect(Data(base64Encoded: row[9]).map { (try? StoredPNGReader.decode($0)) != nil } == true, "image column must be a base64 image")
        }
        for (_, members) in groups {
            let sorted = members.sorted { Int($0[0])! < Int($1[0])! }
            let options = sorted[0][3...6].filter { !$0.isEmpty }
            #expect(sorted.count == options.count, "a group has one row per option")
            let correct = sorted[0][3 + ["A", "B", "C", "D"].firstIndex(of: sorted[0][7])!]
            for (k, row) in sorted.enumerated() {
                #expect(Int(row[0])! / 1_000_000 == k)
                #expect(Array(row[3..<(3 + options.count)]) == (0..<options.count).map { options[options.startIndex + ($0 + k) % options.count] })
                #expect(row[3 + ["A", "B", "C", "D"].firstIndex(of: row[7])!] == correct, "every copy's answer letter points at the same option text")
                #expect(row[1] == sorted[0][1] && row[9] == sorted[0][9])
            }
        }
    }
}
