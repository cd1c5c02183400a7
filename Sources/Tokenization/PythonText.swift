// Text helpers that behave as Python's str methods do, because LLaVA's preprocessing is Python and
// its label masks depend on exactly which characters `strip()` removes and how `split()` cuts.

extension Unicode.Scalar {
    /// Python's `str.isspace()` for one character (bidirectional class WS/B/S or category Zs).
    var isPythonWhitespace: Bool {
        switch value {
        case 0x09...0x0D, 0x1C...0x1F, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// Rust's `char::is_whitespace` (the Unicode White_Space property), used by `tokenizers`.
    var isUnicodeWhiteSpace: Bool { properties.isWhitespace }
}

extension String {
    /// Python's `str.strip()` with no argument.
    func pythonStripped() -> String {
        let scalars = Array(unicodeScalars)
        var start = 0
        var end = scalars.count
        while start < end && scalars[start].isPythonWhitespace { start += 1 }
        while end > start && scalars[end - 1].isPythonWhitespace { end -= 1 }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars[start..<end])
        return String(result)
    }

    /// Python's `str.split(separator)`: exact, non-overlapping, left to right, keeps empty parts.
    func pythonSplit(_ separator: String) -> [String] {
        precondition(!separator.isEmpty, "empty separator")
        let text = Array(utf8)
        let sep = Array(separator.utf8)
        var parts: [String] = []
        var start = 0
        var i = 0
        while i + sep.count <= text.count {
            if text[i] == sep[0] && Array(text[i..<(i + sep.count)]) == sep {
                parts.append(String(decoding: text[start..<i], as: UTF8.self))
                i += sep.count
                start = i
            } else {
                i += 1
            }
        }
        parts.append(String(decoding: text[start...], as: UTF8.self))
        return parts
    }
}
