import Foundation

// GQA testdev-balanced (benchmarks.md section 4).
// Mirrors: haotian-liu/LLaVA scripts/convert_gqa_for_eval.py (prediction = text.rstrip('.').lower())
// and the gist-edited GQA eval.py (afra-baas/LLaVA playground/data/eval/gqa/data/eval.py):
// exact-match accuracy over balanced questions, binary/open split, per-type and per-length
// accuracies and the distribution chi-square. Validity/plausibility are never reported.

enum GQAScorer {
    struct Question {
        var id: String
        var answer: String
        var isBalanced: Bool
        var structural: String
        var semantic: String
        var globalGroup: String?
        var words: Int
        var steps: Int
    }

    /// convert_gqa_for_eval.py: strip every trailing "." and lower-case; nothing else.
    public static func convertPrediction(_ text: String) -> String {
        text.pyStrip(".", leading: false).pyLower()
    }

    static func score(_ request: ScoringRequest) throws -> ScoreReport {
        let answers = try AnswersFile.read(request.answersFile)
        let annotationFile = request.annotationFile ?? request.path("data/testdev_balanced_questions.json")
        let questions = try readQuestions(annotationFile)
        let ids = Set(questions.map { QuestionID.string($0.id) })
        try answers.requireKnownIDs(ids, reference: annotationFile)
        var predictions: [String: String] = [:]
        for record in answers.records {
            if case .string(let id) = record.questionID { predictions[id] = convertPrediction(record.text) }
        }
        let missing = questions.filter { predictions[$0.id] == nil }.map { QuestionID.string($0.id) }
        if !missing.isEmpty {
            // eval.py raises "missing predictions" (balanced) or KeyError (any other question).
            throw EvaluatorError.officialScriptFails(benchmark: "gqa", reason: "\(missing.count) question(s) of \(annotationFile) have no answer (first: \(missing.prefix(5).map(\.description).joined(separator: ", "))); GQA eval.py stops with \"missing predictions\" rather than scoring them 0")
        }

        var accuracy: [Double] = [], binary: [Double] = [], open: [Double] = []
        var perStructural: [String: [Double]] = [:], perSemantic: [String: [Double]] = [:]
        var perSteps: [Int: [Double]] = [:], perLength: [Int: [Double]] = [:]
        var gold: [String: [String: Int]] = [:], predicted: [String: [String: Int]] = [:]
        var groupOrder: [String] = [], goldAnswerOrder: [String: [String]] = [:]
        for question in questions where question.isBalanced {
            let prediction = predictions[question.id]!
            let score: Double = prediction == question.answer ? 1 : 0
            accuracy.append(score)
            perLength[question.words, default: []].append(score)
            perSteps[question.steps, default: []].append(score)
            perStructural[question.structural, default: []].append(score)
            perSemantic[question.semantic, default: []].append(score)
            if question.structural == "query" { open.append(score) } else { binary.append(score) }
            if let group = question.globalGroup {
                if gold[group] == nil { groupOrder.append(group) }
                if gold[group]?[question.answer] == nil { goldAnswerOrder[group, default: []].append(question.answer) }
                gold[group, default: [:]][question.answer, default: 0] += 1
                predicted[group, default: [:]][prediction, default: 0] += 1
            }
        }
        func avg(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
        var sumScore = 0.0, sumOverall = 0.0
        for group in groupOrder {
            var chi = 0.0, overall = 0.0
            for answer in goldAnswerOrder[group]! {
                let e = Double(gold[group]![answer]!), o = Double(predicted[group]?[answer] ?? 0)
                chi += (o - e) * (o - e) / e
                overall += e
            }
            sumScore += chi * overall
            sumOverall += overall
        }
        guard sumOverall > 0 else {
            throw EvaluatorError.officialScriptFails(benchmark: "gqa", reason: "no balanced question has a global group, so eval.py's distribution score divides by zero")
        }
        func table<K>(_ values: [K: [Double]], key: (K) -> String, sorted: [K]) -> ScoreJSON {
            .object(sorted.map { (key($0), .object([("accuracy", .double(avg(values[$0]!) * 100)), ("count", .int(values[$0]!.count))])) })
        }
        let metrics: [(String, ScoreJSON)] = [
            ("Binary", .double(avg(binary) * 100)), ("Open", .double(avg(open) * 100)),
            ("Accuracy", .double(avg(accuracy) * 100)), ("Distribution", .double(sumScore / sumOverall / 100)),
            ("accuracyPerStructuralType", table(perStructural, key: { $0 }, sorted: perStructural.keys.sorted())),
            ("accuracyPerSemanticType", table(perSemantic, key: { $0 }, sorted: perSemantic.keys.sorted())),
            ("accuracyPerSteps", table(perSteps, key: { String($0) }, sorted: perSteps.keys.sorted())),
            ("accuracyPerLength", table(perLength, key: { String($0) }, sorted: perLength.keys.sorted())),
        ]
        var report = ScoreReport(benchmark: .gqa, split: "testdev_balanced", answersFile: request.answersFile, n: accuracy.count,
                                 headlineName: "Accuracy", headlineValue: avg(accuracy) * 100, metrics: metrics,
                                 protocolSource: PinnedSource.gqa + " + " + PinnedSource.llava)
        report.notes = ["eval.py prints each value with %.2f; Validity and Plausibility are not computed by the gist edit"]
        return report
    }

    /// `testdev_balanced_questions.json`: an object mapping question id to its annotation.
    static func readQuestions(_ path: String) throws -> [Question] {
        let role = "GQA questions JSON"
        guard let object = try readJSONFile(path, role: role).objectValue else {
            throw EvaluatorError.malformedFile(path: path, role: role, reason: "expected an object mapping question ids to questions")
        }
        return try object.keys.sorted().map { id in
            let item = object[id]!
            guard let answer = item["answer"]?.stringValue, let balanced = item["isBalanced"]?.boolValue,
                  let structural = item["types"]?["structural"]?.stringValue, let semanticType = item["types"]?["semantic"]?.stringValue,
                  let text = item["question"]?.stringValue, let operations = item["semantic"]?.arrayValue else {
                throw EvaluatorError.malformedFile(path: path, role: role, reason: "question \(id) needs answer, isBalanced, question, types.structural, types.semantic and semantic")
            }
            let steps = operations.filter { op in
                let described = "\(pythonStr(op["operation"] ?? .null)): \(pythonStr(op["argument"] ?? .null))"
                return !["exist", "query: name", "choose name"].contains { described.pyContains($0) }
            }.count
            return Question(id: id, answer: answer, isBalanced: balanced, structural: structural, semantic: semanticType,
                            globalGroup: item["groups"]?["global"]?.stringValue, words: text.pySplitWhitespace().count, steps: steps)
        }
    }

    /// Python `str(x)` for the JSON scalars found in GQA's semantic programs.
    static func pythonStr(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .null: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .double(let d): return ScoreJSON.pythonFloatRepr(d)
        default: return "\(value)"
        }
    }
}
