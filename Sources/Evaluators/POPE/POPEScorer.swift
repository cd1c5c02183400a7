import Foundation

// POPE (benchmarks.md section 8).
// Mirrors: haotian-liu/LLaVA llava/eval/eval_pope.py. Answers are selected per category in
// answers-file order and paired with the label file BY POSITION (zip, truncated to the shorter
// list), not by id: a missing or reordered answer shifts every later pair, as upstream.

enum POPEScorer {
    /// eval_pope.py's yes/no reading: first sentence, commas deleted, split on " ", "no" iff a
    /// token is exactly "No", "no" or "not".
    public static func parseYesNo(_ text: String) -> String {
        var sentence = text
        if sentence.pyFind(".") != nil { sentence = sentence.pySplit(".")[0] }
        let words = sentence.pyReplace(",", "").pySplit(" ")
        return words.contains("No") || words.contains("not") || words.contains("no") ? "no" : "yes"
    }

    struct Counts { var tp = 0, fp = 0, tn = 0, fn = 0, yes = 0, predictions = 0 }

    static func score(_ request: ScoringRequest) throws -> ScoreReport {
        let answers = try AnswersFile.read(request.answersFile)
        let questionFile = request.questionFile ?? request.path("llava_pope_test.jsonl")
        let annotationDir = request.annotationDir ?? request.path("coco")
        let questions = try readQuestionLines(questionFile, role: "POPE question file")
        var categoryOf: [QuestionID: String] = [:]
        for question in questions { categoryOf[question.id] = question.category ?? "" }
        try answers.requireKnownIDs(Set(categoryOf.keys), reference: questionFile)

        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: annotationDir, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EvaluatorError.missingDirectory(path: annotationDir, role: "POPE annotation (coco_pope_*.json)")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: annotationDir).sorted()
        for file in files where !(file.hasPrefix("coco_pope_") && file.hasSuffix(".json")) {
            throw EvaluatorError.malformedFile(path: annotationDir + "/" + file, role: "POPE annotation folder entry",
                                               reason: "eval_pope.py asserts every file there is named coco_pope_<category>.json; move it away")
        }
        guard !files.isEmpty else {
            throw EvaluatorError.missingFile(path: annotationDir + "/coco_pope_*.json", role: "POPE label files")
        }

        var metrics: [(String, ScoreJSON)] = []
        var f1s: [Double] = []
        for file in files {
            let category = String(file.dropFirst("coco_pope_".count).dropLast(".json".count))
            let labelPath = annotationDir + "/" + file
            var labels: [Int] = []
            for (line, value, _) in try readJSONLines(labelPath, role: "POPE label file") {
                guard let label = value?["label"] else {
                    throw EvaluatorError.malformedFile(path: labelPath, role: "POPE label file", reason: "line \(line) has no label")
                }
                labels.append(label.stringValue == "no" ? 0 : 1)
            }
            let predictions = answers.records.filter { categoryOf[$0.questionID] == category }.map { parseYesNo($0.text) == "no" ? 0 : 1 }
            guard !predictions.isEmpty else {
                throw EvaluatorError.officialScriptFails(benchmark: "pope", reason: "no answers for category \(category) (eval_pope.py divides by zero)")
            }
            var c = Counts()
            c.predictions = predictions.count
            c.yes = predictions.filter { $0 == 1 }.count
            for (prediction, label) in zip(predictions, labels) {
                switch (prediction, label) {
                case (1, 1): c.tp += 1
                case (1, 0): c.fp += 1
                case (0, 0): c.tn += 1
                default: c.fn += 1
                }
            }
            guard c.tp > 0 else {
                throw EvaluatorError.officialScriptFails(benchmark: "pope", reason: "category \(category) has no true positive, so eval_pope.py divides by zero in precision or F1")
            }
            let precision = Double(c.tp) / Double(c.tp + c.fp)
            let recall = Double(c.tp) / Double(c.tp + c.fn)
            let f1 = 2 * precision * recall / (precision + recall)
            let accuracy = Double(c.tp + c.tn) / Double(c.tp + c.tn + c.fp + c.fn)
            let yesRatio = Double(c.yes) / Double(c.predictions)
            f1s.append(f1)
            metrics.append((category, .object([
                ("samples", .int(c.predictions)), ("labels", .int(labels.count)),
                ("TP", .int(c.tp)), ("FP", .int(c.fp)), ("TN", .int(c.tn)), ("FN", .int(c.fn)),
                ("accuracy", .double(accuracy)), ("precision", .double(precision)), ("recall", .double(recall)),
                ("f1", .double(f1)), ("yes_ratio", .double(yesRatio)),
            ])))
        }
        let meanF1 = 100 * f1s.reduce(0, +) / Double(f1s.count)
        var report = ScoreReport(benchmark: .pope, split: "test", answersFile: request.answersFile, n: answers.records.count,
                                 headlineName: "mean F1 of \(f1s.count) categories (x100)", headlineValue: meanF1,
                                 metrics: metrics, protocolSource: PinnedSource.llava)
        report.missingIDs = answers.missingIDs(questions.map(\.id))
        report.notes = ["answers are paired with labels by position within each category (eval_pope.py's zip); a missing answer shifts the pairs after it",
                        "the mean of the F1 values is not computed by eval_pope.py (LLaVA issue 626 reproduces the paper this way)"]
        return report
    }
}
