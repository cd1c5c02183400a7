import Foundation

// MMBench dev (benchmarks.md section 9): circular evaluation, exact matching.
// Mirrors: haotian-liu/LLaVA scripts/convert_mmbench_for_submission.py (prediction = raw text by
// index; an empty or missing text comes back from the xlsx as NaN, read as "nan") and
// open-compass/VLMEvalKit vlmeval/evaluate/multiple_choice.py (legacy): `prefetch_sub_data`
// per circular group, `exact_matching` (unresolved groups score 0) and `report_acc`.

enum MMBenchScorer {
    static let l2Abbreviations = ["coarse_perception": "CP", "finegrained_perception (instance-level)": "FP-S",
                                  "finegrained_perception (cross-instance)": "FP-C", "logic_reasoning": "LR",
                                  "relation_reasoning": "RR", "attribute_reasoning": "AR"]

    /// The prediction as VLMEvalKit reads it back from the upload xlsx: pandas turns empty and
    /// NA-looking texts into NaN, and `str(NaN)` is "nan".
    static func predictionAfterUpload(_ text: String?) -> String {
        guard let text, !pandasNAValues.contains(text) else { return "nan" }
        return text
    }

    /// The verdict of one circular group (`prefetch_sub_data` + exact matching): rows in index order.
    static func groupHit(_ rows: [(answer: String, prediction: String, choices: [(letter: String, text: String)])],
                         rules: MMBenchRules) -> Int {
        var allMatch = true
        for row in rows {
            let letter = MMBenchMatching.infer(row.prediction, choices: row.choices, rules: rules)
            if let letter, letter != row.answer { return 0 }
            if letter != row.answer { allMatch = false }
        }
        return allMatch ? 1 : 0
    }

    static func score(_ request: ScoringRequest) throws -> ScoreReport {
        let answers = try AnswersFile.read(request.answersFile)
        let questionFile = request.questionFile ?? request.path("mmbench_dev_20230712.tsv")
        let rows = try MMBenchTSV.read(questionFile).sorted { $0.index < $1.index }
        try answers.requireKnownIDs(Set(rows.map { QuestionID.int($0.index) }), reference: questionFile)
        var textByIndex: [Int: String] = [:]
        for record in answers.records { if case .int(let i) = record.questionID { textByIndex[i] = record.text } }

        var groups: [Int: [(answer: String, prediction: String, choices: [(letter: String, text: String)])]] = [:]
        for row in rows {
            guard let answer = row["answer"] else {
                throw EvaluatorError.malformedFile(path: questionFile, role: "MMBench TSV", reason: "row \(row.index) has no answer")
            }
            let choices = "ABCDEFGHIJKLMNOPQRSTUVWXYZ".map(String.init).compactMap { letter in row[letter].map { (letter, $0) } }
            groups[row.index % 1_000_000, default: []].append((answer, predictionAfterUpload(textByIndex[row.index]), choices))
        }
        let mainRows = rows.filter { $0.index < 1_000_000 }
        var hits: [(row: MMBenchRow, hit: Int)] = []
        for row in mainRows { hits.append((row, groupHit(groups[row.index] ?? [], rules: request.mmbenchRules))) }

        // report_acc: Overall, then l2-category (abbreviated), then category, per split.
        let splits = Array(Set(mainRows.map { $0["split"] ?? "none" })).sorted()
        func mean(_ selected: [(row: MMBenchRow, hit: Int)]) -> ScoreJSON {
            selected.isEmpty ? .double(.nan) : .double(Double(selected.reduce(0) { $0 + $1.hit }) / Double(selected.count))
        }
        var perSplit: [(String, ScoreJSON)] = []
        for split in splits {
            let inSplit = hits.filter { ($0.row["split"] ?? "none") == split }
            var table: [(String, ScoreJSON)] = [("Overall", mean(inSplit))]
            for column in ["l2-category", "category"] where rows.first?.fields[column] != nil {
                for ability in Set(hits.compactMap { $0.row[column] }).sorted() {
                    let name = column == "l2-category" ? (l2Abbreviations[ability] ?? ability) : ability
                    table.append((name, mean(inSplit.filter { $0.row[column] == ability })))
                }
            }
            perSplit.append((split, .object(table)))
        }
        let headlineSplit = splits.contains("dev") ? "dev" : splits.first ?? "none"
        let headlineHits = hits.filter { ($0.row["split"] ?? "none") == headlineSplit }
        var report = ScoreReport(
            benchmark: .mmbench, split: "dev", answersFile: request.answersFile, n: mainRows.count,
            headlineName: "Overall (circular, \(headlineSplit)) x100",
            headlineValue: headlineHits.isEmpty ? nil : 100 * Double(headlineHits.reduce(0) { $0 + $1.hit }) / Double(headlineHits.count),
            metrics: [("groups", .int(mainRows.count)), ("hits", .int(hits.reduce(0) { $0 + $1.hit }))] + perSplit,
            protocolSource: PinnedSource.vlmevalLegacy + " (exact_matching) + " + PinnedSource.llava)
        report.switches = [("mmbench_rules", .string(request.mmbenchRules.rawValue)), ("judge", .string("exact_matching"))]
        report.missingIDs = answers.missingIDs(rows.map { QuestionID.int($0.index) })
        report.notes = ["missing or empty answers are read as \"nan\", as after the upload xlsx round trip",
                        "a group whose rows are not all resolved scores 0 (exact matching); the OpenCompass server's ChatGPT judge may rescue such groups"]
        return report
    }
}
