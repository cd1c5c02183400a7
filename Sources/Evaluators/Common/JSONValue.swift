import Foundation

/// A parsed JSON value, as Python's `json.loads` would hand it to the official scripts.
public enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null; return }
        if let value = try? container.decode(Bool.self) { self = .bool(value); return }
        if let value = try? container.decode(Int.self) { self = .int(value); return }
        if let value = try? container.decode(Double.self) { self = .double(value); return }
        if let value = try? container.decode(String.self) { self = .string(value); return }
        if let value = try? container.decode([JSONValue].self) { self = .array(value); return }
        self = .object(try container.decode([String: JSONValue].self))
    }

    /// Parses one JSON document.
    public static func parse(_ data: Data) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: data)
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let dict) = self { return dict[key] }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e15: return Int(d)
        default: return nil
        }
    }
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o }; return nil }
    public var isNull: Bool { self == .null }

    /// Python truthiness (`if value:`).
    public var isTruthy: Bool {
        switch self {
        case .null: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .object(let o): return !o.isEmpty
        }
    }
}

/// A question id as the answers and question files carry it: Python keeps ints and strings
/// apart (a GQA id "201307251" never equals 201307251), and so do we.
public enum QuestionID: Hashable, Sendable, CustomStringConvertible, Comparable {
    case int(Int)
    case string(String)

    init?(_ value: JSONValue) {
        switch value {
        case .string(let s): self = .string(s)
        default:
            guard let i = value.intValue else { return nil }
            self = .int(i)
        }
    }

    public var description: String {
        switch self {
        case .int(let i): return String(i)
        case .string(let s): return "\"\(s)\""
        }
    }

    public var json: ScoreJSON {
        switch self {
        case .int(let i): return .int(i)
        case .string(let s): return .string(s)
        }
    }

    public static func < (a: QuestionID, b: QuestionID) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y
        case (.string(let x), .string(let y)): return x < y
        case (.int, .string): return true
        case (.string, .int): return false
        }
    }
}

/// Reads a whole JSON file, with errors that name it.
func readJSONFile(_ path: String, role: String) throws -> JSONValue {
    let data = try readFile(path, role: role)
    do {
        return try JSONValue.parse(data)
    } catch {
        throw EvaluatorError.malformedFile(path: path, role: role, reason: "not valid JSON (\(describe(error)))")
    }
}

func readFile(_ path: String, role: String) throws -> Data {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
        throw EvaluatorError.missingFile(path: path, role: role)
    }
    do {
        return try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
        throw EvaluatorError.unreadableFile(path: path, role: role, reason: describe(error))
    }
}

/// Reads a JSON-lines file; `parseLine` sees each non-blank line (1-based line numbers).
/// Python's `json.loads` accepts a line that is only whitespace around a document; a blank
/// line is an error there, which the caller decides on.
func readJSONLines(_ path: String, role: String) throws -> [(line: Int, value: JSONValue?, raw: String)] {
    let data = try readFile(path, role: role)
    guard let text = String(data: data, encoding: .utf8) else {
        throw EvaluatorError.malformedFile(path: path, role: role, reason: "not UTF-8 text")
    }
    var result: [(Int, JSONValue?, String)] = []
    // Python iterates a text file by "\n" (universal newlines also split "\r"; LLaVA's files use "\n").
    let lines = text.pySplit("\n")
    for (index, line) in lines.enumerated() {
        if index == lines.count - 1 && line.isEmpty { break }
        let value = try? JSONValue.parse(Data(line.utf8))
        result.append((index + 1, value, line))
    }
    return result
}

func describe(_ error: Error) -> String {
    if let decoding = error as? DecodingError {
        switch decoding {
        case .dataCorrupted(let context): return context.debugDescription
        case .keyNotFound(let key, _): return "missing key \(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return context.debugDescription
        @unknown default: return String(describing: error)
        }
    }
    return String(describing: error)
}
