import Foundation

/// Tests/Fixtures/tokenization, found from this file's path.
let fixtureRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/tokenization")

func tokenizerFolder(_ name: String) -> String { fixtureRoot.appendingPathComponent("tokenizers/\(name)").path }

/// One JSON object per line.
func readJSONLines(_ name: String) throws -> [[String: Any]] {
    let text = try String(contentsOf: fixtureRoot.appendingPathComponent(name), encoding: .utf8)
    return try text.split(separator: "\n").map { line in
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        return object
    }
}

func readJSON(_ name: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(contentsOf: fixtureRoot.appendingPathComponent(name)))
}

/// An integer array field, or nil when absent or null.
func ints(_ row: [String: Any], _ key: String) -> [Int]? {
    (row[key] as? [Any])?.map { ($0 as! NSNumber).intValue }
}

func string(_ row: [String: Any], _ key: String) -> String? { row[key] as? String }

/// Collects mismatches so one failing test reports the first few of them.
struct Mismatches {
    var count = 0
    var examples: [String] = []
    mutating func check<T: Equatable>(_ got: T, _ expected: T, _ what: @autoclosure () -> String) {
        guard got != expected else { return }
        count += 1
        if examples.count < 5 { examples.append("\(what()): got \(got), expected \(expected)") }
    }
    var summary: String { "\(count) mismatches, e.g.\n" + examples.joined(separator: "\n") }
}
