import Foundation

// Python's `float(str)`, `int(str)` and `math.isclose`, as MiLoRA's grader relies on them.

/// Python `float(s)`: surrounding whitespace, sign, Unicode decimal digits, "_" between digits,
/// "inf"/"infinity"/"nan" in any case; nil where Python raises ValueError.
func pythonFloat(_ text: String) -> Double? {
    let s = text.pyStrip()
    guard !s.isEmpty else { return nil }
    let lowered = s.lowercased()
    let body = lowered.hasPrefix("+") || lowered.hasPrefix("-") ? String(lowered.dropFirst()) : lowered
    let negative = lowered.hasPrefix("-")
    if body == "inf" || body == "infinity" { return negative ? -.infinity : .infinity }
    if body == "nan" { return .nan }
    guard let ascii = asciiNumber(s, allowFraction: true) else { return nil }
    return Double(ascii)
}

/// Python `int(s)` (base 10); nil where Python raises ValueError.
func pythonInt(_ text: String) -> Int? {
    let s = text.pyStrip()
    guard let ascii = asciiNumber(s, allowFraction: false) else { return nil }
    return Int(ascii.hasPrefix("+") ? String(ascii.dropFirst()) : ascii)
}

/// Validates Python numeric-literal syntax (digits may be any Unicode decimal digit, "_" only
/// between digits) and returns the ASCII spelling, or nil.
private func asciiNumber(_ s: String, allowFraction: Bool) -> String? {
    var out = ""
    var scalars = s.scalarArray[...]
    if let first = scalars.first, first == "+" || first == "-" { out.unicodeScalars.append(first); scalars = scalars.dropFirst() }
    var sawDigit = false, sawDot = false, sawExponent = false, previous: Unicode.Scalar? = nil
    var digitsAfterExponent = false
    for scalar in scalars {
        if isPythonDigit(scalar) {
            out += String(scalar.properties.numericValue.map { Int($0) } ?? 0)
            if sawExponent { digitsAfterExponent = true } else { sawDigit = true }
        } else if scalar == "_" {
            guard let p = previous, isPythonDigit(p) else { return nil }
        } else if scalar == "." && allowFraction && !sawDot && !sawExponent {
            if previous == "_" { return nil }
            sawDot = true
            out += "."
        } else if (scalar == "e" || scalar == "E") && allowFraction && !sawExponent && sawDigit {
            if previous == "_" { return nil }
            sawExponent = true
            out += "e"
        } else if (scalar == "+" || scalar == "-") && (previous == "e" || previous == "E") {
            out.unicodeScalars.append(scalar)
        } else {
            return nil
        }
        previous = scalar
    }
    if previous == "_" || !sawDigit || (sawExponent && !digitsAfterExponent) { return nil }
    return out
}

/// Python `math.isclose(a, b, rel_tol=tolerance)` (abs_tol 0).
func pythonIsClose(_ a: Double, _ b: Double, relativeTolerance: Double) -> Bool {
    if a == b { return true }
    if a.isInfinite || b.isInfinite { return false }
    let difference = abs(a - b)
    return difference <= abs(relativeTolerance * b) || difference <= abs(relativeTolerance * a)
}
