import Foundation

// MMBench question files: the TSV that pandas `read_table` reads (tab separated, fields may be
// double-quoted with "" as an escaped quote). pandas turns a set of texts into NaN, which
// upstream code then treats as "no option": that set is reproduced here.

/// pandas 2.x default `na_values` (plus the empty field).
let pandasNAValues: Set<String> = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
                                   "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]

public struct MMBenchRow: Sendable {
    public var index: Int
    public var fields: [String: String?]

    /// A column value; nil when the column is absent or the value is NaN for pandas.
    public subscript(column: String) -> String? {
        guard let value = fields[column], let text = value else { return nil }
        return text
    }
}

enum MMBenchTSV {
    static func read(_ path: String) throws -> [MMBenchRow] {
        let role = "MMBench TSV"
        let data = try readFile(path, role: role)
        guard let text = String(data: data, encoding: .utf8) else {
            throw EvaluatorError.malformedFile(path: path, role: role, reason: "not UTF-8 text")
        }
        let records = parseRecords(text)
        guard let header = records.first else {
            throw EvaluatorError.malformedFile(path: path, role: role, reason: "empty file")
        }
        guard let indexColumn = header.firstIndex(of: "index"), header.contains("answer") else {
            throw EvaluatorError.malformedFile(path: path, role: role, reason: "the header needs index and answer columns")
        }
        var rows: [MMBenchRow] = []
        for (number, record) in records.dropFirst().enumerated() where !(record.count == 1 && record[0].isEmpty) {
            guard record.count == header.count else {
                throw EvaluatorError.malformedFile(path: path, role: role, reason: "row \(number + 1) has \(record.count) fields, the header \(header.count)")
            }
            guard let index = Int(record[indexColumn]) else {
                throw EvaluatorError.malformedFile(path: path, role: role, reason: "row \(number + 1) has a non-integer index")
            }
            var fields: [String: String?] = [:]
            for (column, value) in zip(header, record) { fields[column] = pandasNAValues.contains(value) ? String?.none : value }
            rows.append(MMBenchRow(index: index, fields: fields))
        }
        return rows
    }

    /// Splits TSV text into records of fields, honouring double quotes (pandas' default
    /// QUOTE_MINIMAL reading). Rows end at "\n" (a preceding "\r" is dropped).
    static func parseRecords(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var inQuotes = false, atFieldStart = true
        let scalars = text.scalarArray
        var i = 0
        func endField() { fields.append(String(field)); field = String.UnicodeScalarView(); atFieldStart = true }
        while i < scalars.count {
            let c = scalars[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < scalars.count && scalars[i + 1] == "\"" { field.append("\""); i += 1 } else { inQuotes = false }
                } else {
                    field.append(c)
                }
            } else if c == "\"" && atFieldStart {
                inQuotes = true
                atFieldStart = false
            } else if c == "\t" {
                endField()
            } else if c == "\n" {
                if field.last == "\r" { field.removeLast() }
                endField()
                records.append(fields)
                fields = []
            } else {
                field.append(c)
                atFieldStart = false
            }
            i += 1
        }
        if !field.isEmpty || !fields.isEmpty { endField(); records.append(fields) }
        return records
    }
}
