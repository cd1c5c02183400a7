import Foundation

// Python `str` semantics for the official scoring scripts, which are all Python.
// Python strings are sequences of code points, so every operation here works on Unicode
// scalars, never on Swift's grapheme clusters (where "a\u{301}".contains("a") is false) and never
// with Foundation's canonical-equivalence comparisons.

/// The characters Python's `str.isspace()` accepts: what `split()` and `strip()` remove.
let pythonWhitespace: Set<Unicode.Scalar> = {
    var set = Set<Unicode.Scalar>()
    for value: UInt32 in [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0,
                          0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000] {
        set.insert(Unicode.Scalar(value)!)
    }
    for value: UInt32 in 0x2000...0x200A { set.insert(Unicode.Scalar(value)!) }
    return set
}()

extension String {
    var scalarArray: [Unicode.Scalar] { Array(unicodeScalars) }

    init(scalars: some Sequence<Unicode.Scalar>) {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        self = String(view)
    }

    /// Python `s.strip()` (no argument).
    func pyStrip() -> String {
        let scalars = scalarArray
        var start = 0, end = scalars.count
        while start < end, pythonWhitespace.contains(scalars[start]) { start += 1 }
        while end > start, pythonWhitespace.contains(scalars[end - 1]) { end -= 1 }
        return String(scalars: scalars[start..<end])
    }

    /// Python `s.strip(chars)` / `rstrip(chars)`.
    func pyStrip(_ characters: String, leading: Bool = true, trailing: Bool = true) -> String {
        let set = Set(characters.unicodeScalars)
        let scalars = scalarArray
        var start = 0, end = scalars.count
        if leading { while start < end, set.contains(scalars[start]) { start += 1 } }
        if trailing { while end > start, set.contains(scalars[end - 1]) { end -= 1 } }
        return String(scalars: scalars[start..<end])
    }

    /// Python `s.split()` (runs of whitespace, no empty pieces).
    func pySplitWhitespace() -> [String] {
        var pieces: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            if pythonWhitespace.contains(scalar) {
                if !current.isEmpty { pieces.append(String(current)); current = String.UnicodeScalarView() }
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { pieces.append(String(current)) }
        return pieces
    }

    /// Python `s.split(separator)` with a non-empty separator (keeps empty pieces).
    func pySplit(_ separator: String) -> [String] {
        let scalars = scalarArray, sep = separator.scalarArray
        precondition(!sep.isEmpty, "empty separator")
        var pieces: [String] = []
        var start = 0, i = 0
        while i + sep.count <= scalars.count {
            if scalars[i..<(i + sep.count)].elementsEqual(sep) {
                pieces.append(String(scalars: scalars[start..<i]))
                i += sep.count
                start = i
            } else {
                i += 1
            }
        }
        pieces.append(String(scalars: scalars[start...]))
        return pieces
    }

    /// Python `s.replace(old, new)` with a non-empty `old`.
    func pyReplace(_ old: String, _ new: String) -> String {
        let pieces = pySplit(old)
        return pieces.count == 1 ? self : pieces.joined(separator: new)
    }

    /// Python `sub in s`.
    func pyContains(_ needle: String) -> Bool {
        if needle.isEmpty { return true }
        return pySplit(needle).count > 1
    }

    /// Python `s.find(sub)` in code points, or nil for -1.
    func pyFind(_ needle: String) -> Int? {
        let scalars = scalarArray, sub = needle.scalarArray
        if sub.isEmpty { return 0 }
        guard scalars.count >= sub.count else { return nil }
        for i in 0...(scalars.count - sub.count) where scalars[i..<(i + sub.count)].elementsEqual(sub) { return i }
        return nil
    }

    /// Python `s.lower()`.
    func pyLower() -> String { lowercased() }

    /// Number of code points (Python `len`).
    var pyLength: Int { unicodeScalars.count }

    func pyHasPrefix(_ prefix: String) -> Bool { unicodeScalars.starts(with: prefix.unicodeScalars) }
    func pyHasSuffix(_ suffix: String) -> Bool {
        let a = scalarArray, b = suffix.scalarArray
        return a.count >= b.count && a[(a.count - b.count)...].elementsEqual(b)
    }
}

/// Python regular expressions used by the official scripts, on NSRegularExpression (ICU).
/// The patterns used here have the same meaning in both engines; positions are converted
/// from UTF-16 offsets so that callers never see them.
struct PyRegex: @unchecked Sendable {
    let regex: NSRegularExpression

    init(_ pattern: String, dotAll: Bool = false) {
        // The patterns are literals in this module; a bad one is a programmer error.
        do {
            regex = try NSRegularExpression(pattern: pattern, options: dotAll ? [.dotMatchesLineSeparators] : [])
        } catch {
            preconditionFailure("invalid regex \(pattern): \(error)")
        }
    }

    /// `re.findall` for a pattern with at most one group: the group (or whole match) texts.
    func findAll(_ text: String) -> [String] {
        let ns = text as NSString
        return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { match in
            let range = match.numberOfRanges > 1 ? match.range(at: 1) : match.range
            return range.location == NSNotFound ? "" : ns.substring(with: range)
        }
    }

    /// `re.search(...).group(group)`, or nil when there is no match.
    func firstMatch(_ text: String, group: Int = 0) -> String? {
        let ns = text as NSString
        guard let match = regex.firstMatch(in: text, range: NSRange(location: 0, length: ns.length)) else { return nil }
        let range = match.range(at: group)
        return range.location == NSNotFound ? "" : ns.substring(with: range)
    }

    func matches(_ text: String) -> Bool { firstMatch(text) != nil }
}

/// Python 3 `round(x, digits)`: correctly rounded, ties to even on the exact binary value.
/// glibc's printf rounds the same way, and parsing the text back gives the nearest double,
/// as Python does.
public func pythonRound(_ value: Double, digits: Int) -> Double {
    guard value.isFinite else { return value }
    return Double(String(format: "%.\(digits)f", value)) ?? value
}

/// Python 3 `round(x)` to an integer: ties to even.
func pythonRoundToInt(_ value: Double) -> Double { value.rounded(.toNearestOrEven) }
