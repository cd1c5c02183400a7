import Foundation

// MiLoRA inference/grader.py `math_equal` (benchmarks.md section 11), in the MiLoRA
// environment: sympy 1.12 without antlr4, so `parse_latex` always fails and `parse_expr` is the
// only parser. The symbolic step is reproduced for the expressions `SympyExpression` can read
// (numbers, names, + - * / ** ^, parentheses, sqrt, pi, E); anything else is treated as a
// string that sympy could not parse, whose comparisons are all False.

enum MathGrader {
    /// `math_equal(prediction, reference)` with include_percentage and is_close, no timeout.
    static func mathEqual(_ prediction: String, _ reference: String) -> Bool {
        // 1. numerical equality (is_digit: float() after removing commas)
        if let p = pythonFloat(prediction.pyReplace(",", "")), let r = pythonFloat(reference.pyReplace(",", "")) {
            for item in [r / 100, r, r * 100] where pythonIsClose(item, p, relativeTolerance: 1e-4) { return true }
            return false
        }
        if prediction.isEmpty { return false }
        // 2. brackets
        let ref = reference.pyStrip(), pred = prediction.pyStrip()
        var predText = pred, refText = ref
        if (pred.pyHasPrefix("[") && pred.pyHasSuffix("]") && !ref.pyHasPrefix("(")) ||
            (pred.pyHasPrefix("(") && pred.pyHasSuffix(")") && !ref.pyHasPrefix("[")) {
            predText = predText.pyStrip("[]()")
            refText = refText.pyStrip("[]()")
        }
        for s in ["{", "}", "(", ")"] {
            refText = refText.pyReplace(s, "")
            predText = predText.pyReplace(s, "")
        }
        if predText == refText { return true }
        // 3. [a, b] vs [c, d] (Python's `and`/`or` precedence kept)
        if (pred.pyHasPrefix("[") && pred.pyHasSuffix("]")) && (ref.pyHasPrefix("[") && ref.pyHasSuffix("]")) ||
            (pred.pyHasPrefix("(") && pred.pyHasSuffix(")")) && (ref.pyHasPrefix("(") && ref.pyHasSuffix(")")) {
            let predParts = String(scalars: pred.scalarArray.dropFirst().dropLast()).pySplit(",")
            let refParts = String(scalars: ref.scalarArray.dropFirst().dropLast()).pySplit(",")
            if predParts.count == refParts.count && zip(predParts, refParts).allSatisfy({ mathEqual($0, $1) }) { return true }
        }
        // 4. symbolic
        return symbolicEqual(pred, ref)
    }

    /// grader.py `symbolic_equal`: simplify(a - b) == 0, else isclose(N(a), N(b), rel_tol=1e-3).
    static func symbolicEqual(_ a: String, _ b: String) -> Bool {
        let x = SympyExpression.parse(a, convertXor: false), y = SympyExpression.parse(b, convertXor: false)
        if let x, let y, SympyExpression.differenceIsZero(x, y) { return true }
        // N(s) of an unparsed string re-parses it with sympify, which converts "^" to "**".
        let nx = x ?? SympyExpression.parse(a, convertXor: true), ny = y ?? SympyExpression.parse(b, convertXor: true)
        guard let nx, let ny, nx.symbols.isEmpty, ny.symbols.isEmpty,
              let vx = nx.evaluate([:]), let vy = ny.evaluate([:]), vx.isFinite, vy.isFinite else { return false }
        return pythonIsClose(vx, vy, relativeTolerance: 1e-3)
    }
}

/// A real expression as sympy's `parse_expr` (standard transformations) reads a small subset of
/// Python syntax. `parse` returns nil where parse_expr fails or yields something this subset does
/// not model (tuples, relations, functions other than sqrt, complex constants).
indirect enum SympyExpression {
    case number(Double, isInteger: Bool)
    case symbol(String)
    case constant(Double)
    case unary(Character, SympyExpression)
    case binary(Character, SympyExpression, SympyExpression)   // + - * / ^(power) x(xor)
    case sqrt(SympyExpression)

    var symbols: Set<String> {
        switch self {
        case .symbol(let name): return [name]
        case .number, .constant: return []
        case .unary(_, let e), .sqrt(let e): return e.symbols
        case .binary(_, let l, let r): return l.symbols.union(r.symbols)
        }
    }

    func evaluate(_ values: [String: Double]) -> Double? {
        switch self {
        case .number(let v, _), .constant(let v): return v
        case .symbol(let name): return values[name]
        case .unary(let op, let e): return e.evaluate(values).map { op == "-" ? -$0 : $0 }
        case .sqrt(let e): return e.evaluate(values).map { $0.squareRoot() }
        case .binary(let op, let l, let r):
            guard let a = l.evaluate(values), let b = r.evaluate(values) else { return nil }
            switch op {
            case "+": return a + b
            case "-": return a - b
            case "*": return a * b
            case "/": return a / b
            case "^": return pow(a, b)
            default: return Double(Int(a) ^ Int(b))
            }
        }
    }

    /// simplify(a - b) == 0: exact for constants up to rounding, and for expressions with
    /// symbols checked at several points (an identity test, as simplify would conclude).
    static func differenceIsZero(_ a: SympyExpression, _ b: SympyExpression) -> Bool {
        let names = Array(a.symbols.union(b.symbols)).sorted()
        let points: [[Double]] = names.isEmpty ? [[]] : [0.37, 1.91, -2.53, 3.17].map { seed in
            names.indices.map { seed + 0.61 * Double($0) } }
        for point in points {
            let values = Dictionary(uniqueKeysWithValues: zip(names, point))
            guard let x = a.evaluate(values), let y = b.evaluate(values), x.isFinite, y.isFinite else { return false }
            if abs(x - y) > 1e-12 * max(1, abs(x), abs(y)) { return false }
        }
        return true
    }

    static func parse(_ text: String, convertXor: Bool) -> SympyExpression? {
        var parser = Parser(scalars: text.scalarArray, convertXor: convertXor)
        guard let expression = parser.parseXor(), parser.atEnd else { return nil }
        return expression
    }

    private struct Parser {
        var scalars: [Unicode.Scalar]
        var convertXor: Bool
        var position = 0

        var atEnd: Bool { mutating get { skipSpaces(); return position == scalars.count } }
        mutating func skipSpaces() { while position < scalars.count, scalars[position] == " " { position += 1 } }
        mutating func peek() -> Unicode.Scalar? { skipSpaces(); return position < scalars.count ? scalars[position] : nil }

        // Python precedence: ^ (xor) < + - < * / < unary < ** (right associative, binds tighter than unary on its left).
        mutating func parseXor() -> SympyExpression? {
            guard var left = parseSum() else { return nil }
            while peek() == "^" {
                position += 1
                guard let right = parseSum() else { return nil }
                if convertXor { return nil }   // handled in parsePower
                guard case .number(let a, true) = left, case .number(let b, true) = right else { return nil }
                left = .number(Double(Int(a) ^ Int(b)), isInteger: true)
            }
            return left
        }

        mutating func parseSum() -> SympyExpression? {
            guard var left = parseProduct() else { return nil }
            while let c = peek(), c == "+" || c == "-" {
                position += 1
                guard let right = parseProduct() else { return nil }
                left = .binary(Character(c), left, right)
            }
            return left
        }

        mutating func parseProduct() -> SympyExpression? {
            guard var left = parseUnary() else { return nil }
            while let c = peek(), c == "*" || c == "/" {
                if c == "*", position + 1 < scalars.count, scalars[position + 1] == "*" { break }
                position += 1
                guard let right = parseUnary() else { return nil }
                left = .binary(Character(c), left, right)
            }
            return left
        }

        mutating func parseUnary() -> SympyExpression? {
            if let c = peek(), c == "+" || c == "-" {
                position += 1
                return parseUnary().map { .unary(Character(c), $0) }
            }
            return parsePower()
        }

        mutating func parsePower() -> SympyExpression? {
            guard let base = parseAtom() else { return nil }
            skipSpaces()
            let isPower = position + 1 < scalars.count && scalars[position] == "*" && scalars[position + 1] == "*"
            let isConvertedXor = convertXor && position < scalars.count && scalars[position] == "^"
            if isPower || isConvertedXor {
                position += isPower ? 2 : 1
                guard let exponent = parseUnary() else { return nil }
                return .binary("^", base, exponent)
            }
            return base
        }

        mutating func parseAtom() -> SympyExpression? {
            guard let c = peek() else { return nil }
            if c == "(" {
                position += 1
                guard let inner = parseXor(), peek() == ")" else { return nil }
                position += 1
                return inner
            }
            if isPythonDigit(c) || c == "." { return parseNumber() }
            if c.properties.isAlphabetic || c == "_" {
                var name = ""
                while position < scalars.count, scalars[position].properties.isAlphabetic || scalars[position] == "_" || isPythonDigit(scalars[position]) {
                    name.unicodeScalars.append(scalars[position]); position += 1
                }
                switch name {
                case "pi": return .constant(Double.pi)
                case "E": return .constant(M_E)
                case "sqrt":
                    guard peek() == "(" else { return nil }
                    position += 1
                    guard let inner = parseXor(), peek() == ")" else { return nil }
                    position += 1
                    return .sqrt(inner)
                case "I", "N", "O", "Q", "S", "oo", "zoo", "nan", "lambda", "and", "or", "not", "in", "is", "if", "else",
                     "True", "False", "None", "for", "def", "class", "return", "import", "from", "as", "with":
                    return nil
                default:
                    // A name followed by "(" is a function call this subset does not model.
                    if peek() == "(" { return nil }
                    return .symbol(name)
                }
            }
            return nil
        }

        mutating func parseNumber() -> SympyExpression? {
            let start = position
            var sawDot = false, sawExponent = false
            while position < scalars.count {
                let c = scalars[position]
                if c.isASCII && isPythonDigit(c) { position += 1 }
                else if c == "." && !sawDot && !sawExponent { sawDot = true; position += 1 }
                else if (c == "e" || c == "E") && !sawExponent && position + 1 < scalars.count &&
                            (scalars[position + 1].isASCII && isPythonDigit(scalars[position + 1]) ||
                             ((scalars[position + 1] == "+" || scalars[position + 1] == "-") && position + 2 < scalars.count && isPythonDigit(scalars[position + 2]))) {
                    sawExponent = true; position += 2
                } else { break }
            }
            let text = String(scalars: scalars[start..<position])
            // Python rejects decimal integers with leading zeros ("01").
            if !sawDot && !sawExponent && text.count > 1 && text.hasPrefix("0") && text.contains(where: { $0 != "0" }) { return nil }
            if position < scalars.count, scalars[position].properties.isAlphabetic || scalars[position] == "_" { return nil }
            guard text != ".", let value = Double(text) else { return nil }
            return .number(value, isInteger: !sawDot && !sawExponent)
        }
    }
}
