import Foundation

// ScienceQA-IMG (benchmarks.md section 6).
// Mirrors: haotian-liu/LLaVA llava/eval/eval_science_qa.py: option-letter parsing of the raw
// (unstripped) text, accuracy over pid_splits[split], IMG-Accuracy over answers whose prompt
// contains "<image>" (so a missing image problem leaves the IMG denominator).

enum ScienceQAScorer {
    static let options = ["A", "B", "C", "D", "E"]
    static let answerPattern = PyRegex("The answer is ([A-Z]).")

    /// eval_science_qa.py's parsing: exact letter; "X. ..." (length >= 3); exactly one
    /// "The answer is X." match; else "FAILED".
    public static func parseAnswer(_ text: String) -> String {
        if options.contains(text) { return text }
        let scalars = text.scalarArray
        if scalars.count >= 3, options.contains(String(scalars[0])), String(scalars: scalars[1..<3]) == ". " {
            return String(scalars[0])
        }
        let found = answerPattern.findAll(text)
        return found.count == 1 ? found[0] : "FAILED"
    }

    /// `get_pred_idx`: the letter's index if it is among the first `choiceCount` options, else -1.
    static func predictionIndex(_ letter: String, choiceCount: Int) -> Int {
        options.prefix(choiceCount).firstIndex(of: letter) ?? -1
    }

    static func score(_ request: ScoringRequest) throws -> ScoreReport {
        let split = request.resolvedSplit
        let answers = try AnswersFile.read(request.answersFile, requirePrompt: true)
        let baseDir = request.annotationDir ?? URL(fileURLWithPath: request.dataRoot).appendingPathComponent("scienceqa").path
        let splitsPath = URL(fileURLWithPath: baseDir).appendingPathComponent("pid_splits.json").path
        let problemsPath = URL(fileURLWithPath: baseDir).appendingPathComponent("problems.json").path
        guard let pids = try readJSONFile(splitsPath, role: "ScienceQA pid_splits.json")[split]?.arrayValue?.compactMap(\.stringValue) else {
            throw EvaluatorError.malformedFile(path: splitsPath, role: "ScienceQA pid_splits.json", reason: "no list of pids for split '\(split)'")
        }
        guard let problems = try readJSONFile(problemsPath, role: "ScienceQA problems.json").objectValue else {
            throw EvaluatorError.malformedFile(path: problemsPath, role: "ScienceQA problems.json", reason: "expected an object mapping pids to problems")
        }
        try answers.requireKnownIDs(Set(pids.map(QuestionID.string)), reference: "\(splitsPath) [\(split)]")
        let byID = answers.byID
        var correct = 0, total = 0, imageCorrect = 0, imageTotal = 0
        var missing: [QuestionID] = []
        var failed = 0
        for pid in pids {
            guard let problem = problems[pid], let choices = problem["choices"]?.arrayValue, let answer = problem["answer"]?.intValue else {
                throw EvaluatorError.malformedFile(path: problemsPath, role: "ScienceQA problems.json", reason: "problem \(pid) needs choices and an integer answer")
            }
            let text: String, prompt: String
            if let record = byID[.string(pid)] {
                text = record.text
                prompt = record.prompt ?? ""
            } else {
                missing.append(.string(pid))
                text = "FAILED"
                prompt = "Unknown"
            }
            let letter = parseAnswer(text)
            if letter == "FAILED" { failed += 1 }
            let isCorrect = predictionIndex(letter, choiceCount: choices.count) == answer
            let isMultimodal = prompt.pyContains("<image>")
            total += 1
            if isCorrect { correct += 1 }
            if isMultimodal {
                imageTotal += 1
                if isCorrect { imageCorrect += 1 }
            }
        }
        guard total > 0, imageTotal > 0 else {
            throw EvaluatorError.officialScriptFails(benchmark: "sqa", reason: total == 0 ? "the split has no problems" : "no answer prompt contains <image>, so eval_science_qa.py divides by zero for IMG-Accuracy")
        }
        let imageAccuracy = Double(imageCorrect) / Double(imageTotal) * 100
        var report = ScoreReport(
            benchmark: .sqa, split: split, answersFile: request.answersFile, n: total, headlineName: "IMG-Accuracy",
            headlineValue: imageAccuracy,
            metrics: [("Total", .int(total)), ("Correct", .int(correct)),
                      ("Accuracy", .double(Double(correct) / Double(total) * 100)),
                      ("IMG-Total", .int(imageTotal)), ("IMG-Correct", .int(imageCorrect)),
                      ("IMG-Accuracy", .double(imageAccuracy)), ("FAILED-parses", .int(failed))],
            protocolSource: PinnedSource.llava)
        report.missingIDs = missing
        report.notes = ["missing answers count as FAILED in Total but leave the IMG denominator (their prompt is \"Unknown\")"]
        return report
    }
}
