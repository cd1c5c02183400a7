import Foundation

// GSM8K and MATH (benchmarks.md section 11).
// Mirrors: sufenlp/MiLoRA inference/gsm8k_inference.py (`extract_answer_number`, gold parsing,
// `float(pred) == float(gold) or math_equal(pred, gold)`) and inference/MATH_inference.py
// (`process_results`, gold = remove_boxed(last_boxed_only_string(output))). The answers' question_id
// is the 0-based line index of the question file; `text` is the completion.

enum GSM8KScorer {
    static let numberPattern = PyRegex("[\\-+]?\\d*[\\.,/]?\\d+")

    /// `extract_answer_number`: the rounded number after the last "The answer is: ", or nil
    /// (invalid). Returned as a Double holding Python's int result.
    public static func extractAnswerNumber(_ completion: String) -> Double? {
        let pieces = completion.pySplit("The answer is: ")
        guard pieces.count > 1, let match = numberPattern.firstMatch(pieces.last!.pyStrip()) else { return nil }
        if match.pyContains("/") {
            let parts = match.pySplit("/")
            let numerator = parts[0], denominator = parts[1]
            guard isNumber(numerator), isNumber(denominator) else { return nil }
            if denominator == "0" { return pythonFloat(numerator.pyReplace(",", "")).map(pythonRoundToInt) }
            // PyPI `Fraction` reduces n/d; round(float(n / d)) is the same correctly rounded quotient.
            guard let n = pythonFloat(numerator), let d = pythonFloat(denominator), d != 0 else { return nil }
            return pythonRoundToInt(n / d)
        }
        guard let value = pythonFloat(match.pyReplace(",", "")), value != .infinity else { return nil }
        return pythonRoundToInt(value)
    }

    /// gsm8k_inference.py `is_number`: float() works, or a single character with a numeric value.
    static func isNumber(_ s: String) -> Bool {
        if pythonFloat(s) != nil { return true }
        let scalars = s.scalarArray
        return scalars.count == 1 && scalars[0].properties.numericType != nil
    }

    /// Python's `str(int)` of an integral double.
    static func intString(_ value: Double) -> String { String(format: "%.0f", value) }

    static func score(_ request: ScoringRequest) throws -> ScoreReport {
        let answers = try AnswersFile.read(request.answersFile)
        let questionFile = request.questionFile ?? request.path("gsm8k_test.jsonl")
        var golds: [Int] = []
        for (line, value, _) in try readJSONLines(questionFile, role: "GSM8K question file") {
            guard let answer = value?["answer"]?.stringValue, value?["question"]?.stringValue != nil else {
                throw EvaluatorError.malformedFile(path: questionFile, role: "GSM8K question file", reason: "line \(line) needs question and answer")
            }
            let pieces = answer.pySplit("#### ")
            guard pieces.count > 1, let gold = pythonInt(pieces[1].pyReplace(",", "")) else {
                throw EvaluatorError.malformedFile(path: questionFile, role: "GSM8K question file", reason: "line \(line): the answer has no integer after '#### '")
            }
            golds.append(gold)
        }
        let ids = golds.indices.map(QuestionID.int)
        try answers.requireKnownIDs(Set(ids), reference: "\(questionFile) (question_id = 0-based line index)")
        let byID = answers.byID
        var correct = 0, invalid = 0
        for (index, gold) in golds.enumerated() {
            guard let record = byID[.int(index)], let prediction = extractAnswerNumber(record.text) else { invalid += 1; continue }
            if prediction == Double(gold) || MathGrader.mathEqual(intString(prediction), String(gold)) { correct += 1 }
        }
        guard !golds.isEmpty else { throw EvaluatorError.malformedFile(path: questionFile, role: "GSM8K question file", reason: "no questions") }
        let accuracy = Double(correct) / Double(golds.count)
        var report = ScoreReport(benchmark: .gsm8k, split: "test", answersFile: request.answersFile, n: golds.count,
                                 headlineName: "accuracy (%)", headlineValue: 100 * accuracy,
                                 metrics: [("length", .int(golds.count)), ("correct", .int(correct)), ("acc", .double(accuracy)),
                                           ("invalid_outputs", .int(invalid))],
                                 protocolSource: PinnedSource.milora)
        report.missingIDs = answers.missingIDs(ids)
        report.notes = ["a missing answer counts as an invalid output (wrong)",
                        "math_equal accepts gold/100 and gold*100 within rel_tol 1e-4, as MiLoRA does"]
        return report
    }
}

enum MATHScorer {
    static func score(_ request: ScoringRequest) throws -> ScoreReport {
        if request.latexParse {
            throw EvaluatorError.missingOption("--latex-parse (sympy parse_latex with antlr4) is not implemented; the default MiLoRA environment has no LaTeX parsing")
        }
        let answers = try AnswersFile.read(request.answersFile)
        let questionFile = request.questionFile ?? request.path("MATH_test.jsonl")
        var golds: [String?] = []
        for (line, value, _) in try readJSONLines(questionFile, role: "MATH question file") {
            guard let output = value?["output"]?.stringValue, value?["instruction"]?.stringValue != nil else {
                throw EvaluatorError.malformedFile(path: questionFile, role: "MATH question file", reason: "line \(line) needs instruction and output")
            }
            golds.append(MathEquivalence.removeBoxed(MathEquivalence.lastBoxedOnlyString(output)))
        }
        let ids = golds.indices.map(QuestionID.int)
        try answers.requireKnownIDs(Set(ids), reference: "\(questionFile) (question_id = 0-based line index)")
        let byID = answers.byID
        var correct = 0, invalid = 0
        for (index, gold) in golds.enumerated() {
            guard let record = byID[.int(index)], let prediction = MathEquivalence.extractAnswer(record.text) else { invalid += 1; continue }
            if MathEquivalence.isEquivalent(prediction, gold) { correct += 1 }
        }
        guard !golds.isEmpty else { throw EvaluatorError.malformedFile(path: questionFile, role: "MATH question file", reason: "no questions") }
        let accuracy = Double(correct) / Double(golds.count)
        var report = ScoreReport(benchmark: .math, split: "test", answersFile: request.answersFile, n: golds.count,
                                 headlineName: "accuracy (%)", headlineValue: 100 * accuracy,
                                 metrics: [("length", .int(golds.count)), ("correct", .int(correct)), ("acc", .double(accuracy)),
                                           ("invalid_outputs", .int(invalid))],
                                 protocolSource: PinnedSource.milora)
        report.switches = [("latex_parse", .bool(false))]
        report.missingIDs = answers.missingIDs(ids)
        report.notes = ["a missing answer counts as an invalid output (wrong)",
                        "sympy's symbolic step is reproduced for a subset of expressions (see MathGrader.swift)"]
        return report
    }
}
