import Foundation

// VQAv2 (benchmarks.md section 3).
// Mirrors: haotian-liu/LLaVA scripts/convert_vqav2_for_submission.py (answers -> upload list)
// and GT-Vision-Lab/VQA vqaEval.py `VQAEval(vqa, vqaRes, n=2).evaluate()` (local val score).

enum VQAv2Scorer {
    static func score(_ request: ScoringRequest) throws -> ScoreReport {
        let split = request.resolvedSplit
        let answers = try AnswersFile.read(request.answersFile)
        if split == "val" { return try scoreVal(request, answers) }

        // test-dev / test: the converter always iterates the full test2015 list.
        let questionFile = request.questionFile ?? request.path("llava_vqav2_mscoco_test2015.jsonl")
        let questions = try readQuestionLines(questionFile, role: "VQAv2 question file")
        try answers.requireKnownIDs(Set(questions.map(\.id)), reference: questionFile)
        let upload = uploadList(questions.map(\.id), answers)
        let uploadPath = request.uploadFile ?? defaultUploadPath(request, split: split)
        try writeText(ScoreJSON.array(upload.entries).pythonDumps(), to: uploadPath)
        var report = ScoreReport(benchmark: .vqav2, split: split, answersFile: request.answersFile, n: questions.count,
                                 headlineName: "overall", headlineValue: nil,
                                 metrics: [("upload_file", .string(uploadPath))], protocolSource: PinnedSource.llava)
        report.missingIDs = upload.missing
        report.notes = ["test-dev/test accuracy is computed by the EvalAI server (challenge 830); submit the upload file",
                        "unanswered questions are submitted as \"\" as convert_vqav2_for_submission.py does"]
        return report
    }

    /// convert_vqav2_for_submission.py: every listed question, EvalAI-processed text or "".
    static func uploadList(_ ids: [QuestionID], _ answers: AnswersFile) -> (entries: [ScoreJSON], missing: [QuestionID]) {
        let byID = answers.byID
        var entries: [ScoreJSON] = []
        var missing: [QuestionID] = []
        for id in ids {
            let answer: String
            if let record = byID[id] { answer = evalAIProcessAnswer(record.text) } else { answer = ""; missing.append(id) }
            entries.append(.object([("question_id", id.json), ("answer", .string(answer))]))
        }
        return (entries, missing)
    }

    static func defaultUploadPath(_ request: ScoringRequest, split: String) -> String {
        let name = URL(fileURLWithPath: request.answersFile).deletingPathExtension().lastPathComponent
        return request.path("answers_upload/\(split)/\(name).json")
    }

    private static func scoreVal(_ request: ScoringRequest, _ answers: AnswersFile) throws -> ScoreReport {
        let questionFile = request.questionFile ?? request.path("v2_OpenEnded_mscoco_val2014_questions.json")
        let annotationFile = request.annotationFile ?? request.path("v2_mscoco_val2014_annotations.json")
        guard let questionList = try readJSONFile(questionFile, role: "VQAv2 questions JSON")["questions"]?.arrayValue else {
            throw EvaluatorError.malformedFile(path: questionFile, role: "VQAv2 questions JSON", reason: "no \"questions\" array")
        }
        var questionIDs: [QuestionID] = []
        for (index, question) in questionList.enumerated() {
            guard let raw = question["question_id"], let id = QuestionID(raw) else {
                throw EvaluatorError.malformedFile(path: questionFile, role: "VQAv2 questions JSON", reason: "questions[\(index)] has no question_id")
            }
            questionIDs.append(id)
        }
        let annotations = try readVQAAnnotations(annotationFile)
        try answers.requireKnownIDs(Set(questionIDs), reference: questionFile)
        let upload = uploadList(questionIDs, answers)
        // vqa.py loadRes: the result ids must equal the annotation ids.
        if Set(questionIDs) != Set(annotations.map(\.id)) {
            throw EvaluatorError.officialScriptFails(benchmark: "vqav2", reason: "the question ids of \(questionFile) differ from the annotation ids of \(annotationFile) (vqa.py loadRes asserts they are equal); use matching files")
        }
        var predictions: [QuestionID: String] = [:]
        for entry in upload.entries {
            if case .object(let pairs) = entry, case .string(let answer) = pairs[1].1, let id = QuestionID(jsonOf: pairs[0].1) {
                predictions[id] = answer
            }
        }
        var all: [Double] = []
        var perQuestionType: [String: [Double]] = [:], perAnswerType: [String: [Double]] = [:]
        var questionTypeOrder: [String] = [], answerTypeOrder: [String] = []
        for annotation in annotations {
            let accuracy = officialVQAAccuracy(prediction: predictions[annotation.id] ?? "", groundTruth: annotation.answers)
            all.append(accuracy)
            if perQuestionType[annotation.questionType] == nil { questionTypeOrder.append(annotation.questionType) }
            perQuestionType[annotation.questionType, default: []].append(accuracy)
            if perAnswerType[annotation.answerType] == nil { answerTypeOrder.append(annotation.answerType) }
            perAnswerType[annotation.answerType, default: []].append(accuracy)
        }
        func rounded(_ values: [Double]) -> Double { pythonRound(100 * values.reduce(0, +) / Double(values.count), digits: 2) }
        var report = ScoreReport(
            benchmark: .vqav2, split: "val", answersFile: request.answersFile, n: all.count, headlineName: "overall",
            headlineValue: all.isEmpty ? nil : 100 * all.reduce(0, +) / Double(all.count),
            metrics: [("overall", .double(all.isEmpty ? 0 : rounded(all))),
                      ("perAnswerType", .object(answerTypeOrder.map { ($0, .double(rounded(perAnswerType[$0]!))) })),
                      ("perQuestionType", .object(questionTypeOrder.map { ($0, .double(rounded(perQuestionType[$0]!))) }))],
            protocolSource: PinnedSource.vqa + " + " + PinnedSource.llava)
        report.missingIDs = upload.missing
        report.notes = ["answers pass through LLaVA's EvalAIAnswerProcessor (the upload converter) before vqaEval.py normalises again",
                        "missing answers are scored as \"\", as the converter submits them"]
        return report
    }
}

struct VQAAnnotation {
    var id: QuestionID
    var questionType: String
    var answerType: String
    var answers: [VQAGroundTruthAnswer]
}

/// `v2_mscoco_val2014_annotations.json`: `{annotations: [{question_id, question_type, answer_type, answers[10]}]}`.
func readVQAAnnotations(_ path: String) throws -> [VQAAnnotation] {
    let role = "VQAv2 annotations JSON"
    guard let list = try readJSONFile(path, role: role)["annotations"]?.arrayValue else {
        throw EvaluatorError.malformedFile(path: path, role: role, reason: "no \"annotations\" array")
    }
    return try list.enumerated().map { index, item in
        guard let raw = item["question_id"], let id = QuestionID(raw),
              let questionType = item["question_type"]?.stringValue, let answerType = item["answer_type"]?.stringValue,
              let answerList = item["answers"]?.arrayValue else {
            throw EvaluatorError.malformedFile(path: path, role: role, reason: "annotations[\(index)] needs question_id, question_type, answer_type and answers")
        }
        let answers = try answerList.map { entry -> VQAGroundTruthAnswer in
            guard let answer = entry["answer"]?.stringValue else {
                throw EvaluatorError.malformedFile(path: path, role: role, reason: "annotations[\(index)].answers has an entry without a string answer")
            }
            return VQAGroundTruthAnswer(answer: answer, identity: .object((entry.objectValue ?? [:]).filter { $0.key != "answer" }))
        }
        return VQAAnnotation(id: id, questionType: questionType, answerType: answerType, answers: answers)
    }
}

extension QuestionID {
    init?(jsonOf value: ScoreJSON) {
        switch value {
        case .int(let i): self = .int(i)
        case .string(let s): self = .string(s)
        default: return nil
        }
    }
}

/// A question line of LLaVA's eval layout: `{question_id, image, text, category}`.
struct QuestionLine {
    var id: QuestionID
    var image: String?
    var text: String?
    var category: String?
    var line: Int
}

func readQuestionLines(_ path: String, role: String) throws -> [QuestionLine] {
    var result: [QuestionLine] = []
    var bad: [String] = []
    for (line, value, _) in try readJSONLines(path, role: role) {
        guard let value, let raw = value["question_id"], let id = QuestionID(raw) else {
            bad.append("line \(line)")
            continue
        }
        result.append(QuestionLine(id: id, image: value["image"]?.stringValue, text: value["text"]?.stringValue,
                                   category: value["category"]?.stringValue, line: line))
    }
    if !bad.isEmpty {
        throw EvaluatorError.malformedFile(path: path, role: role, reason: "these lines are not JSON objects with a question_id: \(bad.prefix(10).joined(separator: ", "))")
    }
    return result
}
