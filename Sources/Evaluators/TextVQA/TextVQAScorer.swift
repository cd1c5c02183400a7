import Foundation

// TextVQA val (benchmarks.md section 7).
// Mirrors: haotian-liu/LLaVA llava/eval/eval_textvqa.py (`prompt_processor`, annotation index by
// (image_id, question.lower()) where the last duplicate wins) and m4c_evaluator.py
// `TextVQAAccuracyEvaluator`. The answers' question_id is the TextVQA image_id, so ids repeat.

enum TextVQAScorer {
    static let ocrQuestionPattern = PyRegex("Question: (.*?) Short answer:", dotAll: true)

    /// eval_textvqa.py `prompt_processor`: the question line of the prompt, lower-cased; nil
    /// where the official code fails its assertion.
    public static func questionFromPrompt(_ prompt: String) -> String? {
        let lines = prompt.pySplit("\n")
        let question: String
        if prompt.pyHasPrefix("OCR tokens: ") {
            guard let match = ocrQuestionPattern.firstMatch(prompt, group: 1) else { return nil }
            question = match
        } else if prompt.pyContains("Reference OCR token: ") && lines.count == 3 {
            question = prompt.pyHasPrefix("Reference OCR token:") ? lines[1] : lines[0]
        } else if lines.count == 2 {
            question = lines[0]
        } else {
            return nil
        }
        return question.pyLower()
    }

    struct Key: Hashable { var imageID: String; var question: String }

    static func score(_ request: ScoringRequest) throws -> ScoreReport {
        let answers = try AnswersFile.read(request.answersFile, requirePrompt: true, allowDuplicateIDs: true)
        let annotationFile = request.annotationFile ?? request.path("TextVQA_0.5.1_val.json")
        let role = "TextVQA annotations JSON"
        guard let data = try readJSONFile(annotationFile, role: role)["data"]?.arrayValue else {
            throw EvaluatorError.malformedFile(path: annotationFile, role: role, reason: "no \"data\" array")
        }
        var annotations: [Key: [String]] = [:]
        for (index, item) in data.enumerated() {
            guard let imageID = item["image_id"]?.stringValue, let question = item["question"]?.stringValue else {
                throw EvaluatorError.malformedFile(path: annotationFile, role: role, reason: "data[\(index)] needs image_id and question")
            }
            annotations[Key(imageID: imageID, question: question.pyLower())] = item["answers"]?.arrayValue?.compactMap(\.stringValue) ?? []
        }
        var scores: [Double] = []
        var unknown: [(String, Int)] = []
        var answered = Set<Key>()
        for record in answers.records {
            guard let prompt = record.prompt, let question = questionFromPrompt(prompt) else {
                throw EvaluatorError.officialScriptFails(benchmark: "textvqa", reason: "line \(record.line) of \(request.answersFile): the prompt is not a TextVQA prompt (eval_textvqa.py's prompt_processor asserts: expected 'question\\nReference OCR token: ...\\nsuffix' or 'question\\nsuffix')")
            }
            guard case .string(let imageID) = record.questionID, let gt = annotations[Key(imageID: imageID, question: question)] else {
                unknown.append(("\(record.questionID) / \"\(question)\"", record.line))
                continue
            }
            guard gt.count == 10 else {
                throw EvaluatorError.officialScriptFails(benchmark: "textvqa", reason: "the annotation of \(imageID) / \"\(question)\" has \(gt.count) answers; m4c_evaluator asserts exactly 10")
            }
            answered.insert(Key(imageID: imageID, question: question))
            scores.append(textVQAAccuracy(prediction: record.text, groundTruth: gt))
        }
        if !unknown.isEmpty {
            throw EvaluatorError.unknownQuestionIDs(path: request.answersFile, ids: unknown, reference: "\(annotationFile) (keyed by image_id and lower-cased question)")
        }
        guard !scores.isEmpty else {
            throw EvaluatorError.officialScriptFails(benchmark: "textvqa", reason: "the answers file is empty (eval_textvqa.py divides by zero)")
        }
        let accuracy = 100 * (scores.reduce(0, +) / Double(scores.count))
        var report = ScoreReport(benchmark: .textvqa, split: "val", answersFile: request.answersFile, n: scores.count,
                                 headlineName: "accuracy", headlineValue: accuracy,
                                 metrics: [("Samples", .int(scores.count)), ("Accuracy", .double(accuracy))],
                                 protocolSource: PinnedSource.llava)
        report.missingIDs = annotations.keys.filter { !answered.contains($0) }.map { QuestionID.string("\($0.imageID)/\($0.question)") }.sorted()
        report.notes = ["eval_textvqa.py scores only the answers present: missing questions leave the denominator"]
        return report
    }
}
