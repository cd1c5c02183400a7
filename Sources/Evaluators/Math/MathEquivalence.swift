import Foundation

// MATH answer normalisation and equivalence (benchmarks.md section 11).
// Mirrors: sufenlp/MiLoRA inference/util.py (`strip_string` and helpers from Hendrycks' MATH,
// `is_equiv`, `last_boxed_only_string`) and inference/MATH_inference.py (`remove_boxed`).
// `strip_string` raises on some inputs; `is_equiv` then falls back to a test that is true for
// any non-empty prediction, which changes numbers and is reproduced.

struct StripStringFailure: Error {}

enum MathEquivalence {
    /// util.py `strip_string`; throws where the Python code raises.
    static func stripString(_ input: String) throws -> String {
        var s = input.pyReplace("\n", "").pyReplace("\\!", "").pyReplace("\\\\", "\\")
        s = s.pyReplace("tfrac", "frac").pyReplace("dfrac", "frac")
        s = s.pyReplace("\\left", "").pyReplace("\\right", "")
        s = s.pyReplace("^{\\circ}", "").pyReplace("^\\circ", "")
        s = s.pyReplace("\\$", "")
        if s.pyContains("\\text{ ") {                                   // remove_right_units
            let splits = s.pySplit("\\text{ ")
            guard splits.count == 2 else { throw StripStringFailure() }
            s = splits[0]
        }
        s = s.pyReplace("\\%", "")
        s = s.pyReplace(" .", " 0.").pyReplace("{.", "{0.")
        if s.isEmpty { return s }
        if s.pyHasPrefix(".") { s = "0" + s }
        let equalsSplit = s.pySplit("=")
        if equalsSplit.count == 2 && equalsSplit[0].pyLength <= 2 { s = equalsSplit[1] }
        s = try fixSqrt(s)
        s = s.pyReplace(" ", "")
        s = try fixFracs(s)
        if s == "0.5" { s = "\\frac{1}{2}" }
        return try fixSlash(s)
    }

    private static func fixSqrt(_ s: String) throws -> String {
        guard s.pyContains("\\sqrt") else { return s }
        let splits = s.pySplit("\\sqrt")
        var result = splits[0]
        for piece in splits.dropFirst() {
            let scalars = piece.scalarArray
            guard let first = scalars.first else { throw StripStringFailure() }   // IndexError upstream
            if first != "{" {
                result += "\\sqrt{" + String(first) + "}" + String(scalars: scalars.dropFirst())
            } else {
                result += "\\sqrt" + piece
            }
        }
        return result
    }

    private static func fixFracs(_ s: String) throws -> String {
        let pieces = s.pySplit("\\frac")
        var result = pieces[0]
        for piece in pieces.dropFirst() {
            result += "\\frac"
            let scalars = piece.scalarArray
            guard let first = scalars.first else { throw StripStringFailure() }   // IndexError upstream
            if first == "{" { result += piece; continue }
            guard scalars.count >= 2 else { return s }
            let a = String(first), b = String(scalars[1]), rest = String(scalars: scalars.dropFirst(2))
            result += b != "{" ? "{" + a + "}{" + b + "}" + rest : "{" + a + "}" + b + rest
        }
        return result
    }

    private static func fixSlash(_ s: String) throws -> String {
        let parts = s.pySplit("/")
        guard parts.count == 2 else { return s }
        guard let a = pythonInt(parts[0]), let b = pythonInt(parts[1]) else { throw StripStringFailure() }   // ValueError upstream
        guard s == "\(a)/\(b)" else { return s }
        return "\\frac{\(a)}{\(b)}"
    }

    /// util.py `is_equiv(str1, str2)`; `latexParse` is the --latex-parse switch (not supported).
    static func isEquivalent(_ prediction: String?, _ gold: String?) -> Bool {
        guard let prediction, let gold else { return prediction == nil && gold == nil }
        do {
            let a = try stripString(prediction), b = try stripString(gold)
            return MathGrader.mathEqual(a, b) || a == b
        } catch {
            return MathGrader.mathEqual(prediction, prediction) || prediction == gold
        }
    }

    /// util.py `last_boxed_only_string`.
    static func lastBoxedOnlyString(_ text: String) -> String? {
        let scalars = text.scalarArray
        func rfind(_ needle: String) -> Int? {
            let n = needle.scalarArray
            guard scalars.count >= n.count else { return nil }
            for i in stride(from: scalars.count - n.count, through: 0, by: -1) where scalars[i..<(i + n.count)].elementsEqual(n) { return i }
            return nil
        }
        guard let start = rfind("\\boxed") ?? rfind("\\fbox") else { return nil }
        var open = 0
        for i in start..<scalars.count {
            if scalars[i] == "{" { open += 1 }
            if scalars[i] == "}" {
                open -= 1
                if open == 0 { return String(scalars: scalars[start...i]) }
            }
        }
        return nil
    }

    /// MATH_inference.py `remove_boxed`: the inside of "\boxed{...}", else nil.
    static func removeBoxed(_ boxed: String?) -> String? {
        guard let boxed, boxed.pyHasPrefix("\\boxed{"), boxed.pyHasSuffix("}") else { return nil }
        let scalars = boxed.scalarArray
        guard scalars.count >= 8 else { return boxed.pyLength == 7 ? nil : "" }
        return String(scalars: scalars[7..<(scalars.count - 1)])
    }

    /// MATH_inference.py `process_results` answer extraction: the text after the last
    /// "The answer is: ", cut at the first ".\n", stripped, one trailing "." dropped; nil when
    /// the completion has no "The answer is: " (the item is then wrong).
    static func extractAnswer(_ completion: String) -> String? {
        let pieces = completion.pySplit("The answer is: ")
        guard pieces.count > 1 else { return nil }
        var answer = pieces.last!.pySplit(".\n")[0].pyStrip()
        if answer.pyHasSuffix(".") { answer = String(scalars: answer.scalarArray.dropLast()) }
        return answer.pyStrip()
    }
}
