import Foundation

/// JSON written by the evaluators (score files, upload files): objects keep insertion order.
public indirect enum ScoreJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([ScoreJSON])
    case object([(String, ScoreJSON)])

    public static func == (a: ScoreJSON, b: ScoreJSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.double(let x), .double(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public subscript(key: String) -> ScoreJSON? {
        if case .object(let pairs) = self { return pairs.first { $0.0 == key }?.1 }
        return nil
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// Pretty text (2-space indent) for score files.
    public func rendered(indent: Int = 0) -> String {
        let pad = String(repeating: "  ", count: indent + 1), closePad = String(repeating: "  ", count: indent)
        switch self {
        case .array(let items) where !items.isEmpty:
            return "[\n" + items.map { pad + $0.rendered(indent: indent + 1) }.joined(separator: ",\n") + "\n" + closePad + "]"
        case .object(let pairs) where !pairs.isEmpty:
            return "{\n" + pairs.map { pad + ScoreJSON.quote($0.0, asciiOnly: false) + ": " + $0.1.rendered(indent: indent + 1) }
                .joined(separator: ",\n") + "\n" + closePad + "}"
        default:
            return compact(asciiOnly: false)
        }
    }

    /// Python `json.dumps(value)` with default settings: ", " and ": " separators, non-ASCII
    /// escaped as \uXXXX (surrogate pairs beyond the BMP). Used for byte-exact upload files.
    public func pythonDumps() -> String { compact(asciiOnly: true) }

    func compact(asciiOnly: Bool) -> String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return ScoreJSON.pythonFloatRepr(d)
        case .string(let s): return ScoreJSON.quote(s, asciiOnly: asciiOnly)
        case .array(let items): return "[" + items.map { $0.compact(asciiOnly: asciiOnly) }.joined(separator: ", ") + "]"
        case .object(let pairs):
            return "{" + pairs.map { ScoreJSON.quote($0.0, asciiOnly: asciiOnly) + ": " + $0.1.compact(asciiOnly: asciiOnly) }
                .joined(separator: ", ") + "}"
        }
    }

    /// Python's float repr: shortest round-trip digits, "1.0" for integral values, NaN/Infinity.
    static func pythonFloatRepr(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
        var text = "\(d)"
        if text.hasSuffix(".0") == false, !text.contains("."), !text.contains("e") { text += ".0" }
        // Swift writes 1e-05 as "1e-05", as Python does; large values: Swift "1e+16", Python "1e+16".
        return text
    }

    static func quote(_ s: String, asciiOnly: Bool) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || (asciiOnly && scalar.value > 0x7E) {
                    if scalar.value > 0xFFFF {
                        let v = scalar.value - 0x10000
                        out += String(format: "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF))
                    } else {
                        out += String(format: "\\u%04x", scalar.value)
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Writes the pretty form atomically.
    public func write(to path: String) throws {
        try writeText(rendered() + "\n", to: path)
    }
}

/// Writes text atomically (temp file + rename), creating the parent folder.
func writeText(_ text: String, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    do {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url, options: .atomic)
    } catch {
        throw EvaluatorError.unwritableFile(path: path, reason: describe(error))
    }
}
