import Foundation

// VizWiz (benchmarks.md section 5).
// Mirrors: haotian-liu/LLaVA scripts/convert_vizwiz_for_submission.py (upload list; it asserts
// that every question has a result). The local val score follows the VizWiz-API description
// in section 5 and is labelled unofficial: no pinned copy of the server scorer exists.

enum VizWizScorer {
    static func score(_ request: ScoringRequest) throws -> ScoreReport {
        let split = request.resolvedSplit
        let answers = try AnswersFile.read(request.answersFile)
        let questionFile = request.questionFile ?? request.path(split == "test" ? "llava_test.jsonl" : "llava_val.jsonl")
        let questions = try readQuestionLines(questionFile, role: "VizWiz question file")
        try answers.requireKnownIDs(Set(questions.map(\.id)), reference: questionFile)
        let missing = answers.missingIDs(questions.map(\.id))
        if !missing.isEmpty {
            throw EvaluatorError.officialScriptFails(benchmark: "vizwiz", reason: "\(missing.count) question(s) have no answer (first: \(missing.prefix(5).map(\.description).joined(separator: ", "))); convert_vizwiz_for_submission.py asserts that every question is answered")
        }
        let byID = answers.byID
        var upload: [(image: String, answer: String)] = []
        for question in questions {
            guard let image = question.image else {
                throw EvaluatorError.malformedFile(path: questionFile, role: "VizWiz question file", reason: "line \(question.line) has no image")
            }
            upload.append((image, evalAIProcessAnswer(byID[question.id]!.text)))
        }
        let uploadJSON = ScoreJSON.array(upload.map { .object([("image", .string($0.image)), ("answer", .string($0.answer))]) })

        if split == "test" {
            let uploadPath = request.uploadFile ?? VQAv2Scorer.defaultUploadPath(request, split: split)
            try writeText(uploadJSON.pythonDumps(), to: uploadPath)
            var report = ScoreReport(benchmark: .vizwiz, split: split, answersFile: request.answersFile, n: questions.count,
                                     headlineName: "overall", headlineValue: nil,
                                     metrics: [("upload_file", .string(uploadPath))], protocolSource: PinnedSource.llava)
            report.notes = ["test accuracy is computed by the EvalAI server (challenge 2185); submit the upload file"]
            return report
        }

        if let uploadPath = request.uploadFile { try writeText(uploadJSON.pythonDumps(), to: uploadPath) }
        let annotationFile = request.annotationFile ?? request.path("val.json")
        let role = "VizWiz annotations JSON"
        guard let list = try readJSONFile(annotationFile, role: role).arrayValue else {
            throw EvaluatorError.malformedFile(path: annotationFile, role: role, reason: "expected a JSON array of {image, answers, answer_type}")
        }
        var byImage: [String: (answers: [VQAGroundTruthAnswer], type: String)] = [:]
        for (index, item) in list.enumerated() {
            guard let image = item["image"]?.stringValue, let type = item["answer_type"]?.stringValue,
                  let answerList = item["answers"]?.arrayValue else {
                throw EvaluatorError.malformedFile(path: annotationFile, role: role, reason: "entry \(index) needs image, answers and answer_type")
            }
            let answers = answerList.enumerated().map { position, entry in
                VQAGroundTruthAnswer(answer: entry["answer"]?.stringValue ?? "", identity: .int(position))
            }
            byImage[image] = (answers, type)
        }
        var all: [Double] = []
        var perType: [String: [Double]] = [:], typeOrder: [String] = []
        for item in upload {
            guard let gt = byImage[item.image] else {
                throw EvaluatorError.malformedFile(path: annotationFile, role: role, reason: "no annotation for image \(item.image)")
            }
            let accuracy = vizWizValAccuracy(prediction: item.answer, groundTruth: gt.answers)
            all.append(accuracy)
            if perType[gt.type] == nil { typeOrder.append(gt.type) }
            perType[gt.type, default: []].append(accuracy)
        }
        func rounded(_ values: [Double]) -> Double { pythonRound(100 * values.reduce(0, +) / Double(values.count), digits: 2) }
        var report = ScoreReport(
            benchmark: .vizwiz, split: "val", answersFile: request.answersFile, n: all.count, headlineName: "overall",
            headlineValue: all.isEmpty ? nil : 100 * all.reduce(0, +) / Double(all.count),
            metrics: [("overall", .double(all.isEmpty ? 0 : rounded(all))),
                      ("perAnswerType", .object(typeOrder.map { ($0, .double(rounded(perType[$0]!))) }))],
            protocolSource: PinnedSource.llava + " (upload converter); VizWiz-API vqaEval as described in benchmarks.md section 5")
        report.switches = [("unofficial", .bool(true))]
        report.notes = ["unofficial: the VizWiz server scorer is not public; prediction normalised, GT answers compared raw"]
        return report
    }
}
