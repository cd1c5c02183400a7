import Foundation

// Letter extraction of VLMEvalKit (benchmarks.md section 9).
// Mirrors: open-compass/VLMEvalKit vlmeval/utils/matching_util.py `can_infer_option`,
// `can_infer_text`, `can_infer` (legacy @ c6bdffd); the newer rule versions follow the version
// note of benchmarks.md section 9.

public enum MMBenchRules: String, CaseIterable, Sendable {
    /// VLMEvalKit through mid-2025 (closest to the 2023 server): the default.
    case legacy
    /// From 2025-08 (c3371551): the letter must be among the last 4 tokens; long texts skip the text pass.
    case v2025_08 = "2025-08"
    /// From 2026-06 (a67ace50): plus an "answer is X" regex fallback.
    case v2026_06 = "2026-06"
}

enum MMBenchMatching {
    static let rejections = ["Sorry, I can't help with images of people yet.", "I can't process this file.",
                             "I'm sorry, but without the image provided", "Cannot determine the answer"]
    static let answerIsPattern = PyRegex("(?i)(?:correct\\s+)?answer\\s+is\\s+\\**([ABCD])\\**")

    /// `can_infer_option`: a letter, "Z", or nil for Python's False.
    static func inferOption(_ answer: String, letters: [String], rules: MMBenchRules) -> String? {
        if answer.pyContains("Failed to obtain answer via API") { return nil }
        for rejection in rejections where answer.pyContains(rejection) { return "Z" }
        var modified = answer
        for c in ".()[],:;!*#{}" { modified = modified.pyReplace(String(c), " ") }
        let splits = modified.pySplitWhitespace()
        let count = letters.filter { splits.contains($0) }.count
        if count == 1 {
            for letter in letters {
                guard let position = splits.firstIndex(of: letter) else { continue }
                if rules != .legacy && !(position > splits.count - 5) { return nil }
                return letter
            }
        } else if count == 0 && splits.contains("Z") {
            return "Z"
        }
        return nil
    }

    /// `can_infer_text`: the one option whose lower-cased text occurs in the lower-cased answer.
    static func inferText(_ answer: String, choices: [(letter: String, text: String)], rules: MMBenchRules) -> String? {
        let lowered = answer.pyLower()
        if rules != .legacy {
            let total = choices.reduce(0) { $0 + $1.text.pyLength }
            if answer.pyLength > 2 * total { return nil }
        }
        let candidates = choices.filter { lowered.pyContains($0.text.pyLower()) }
        return candidates.count == 1 ? candidates[0].letter : nil
    }

    /// `can_infer(answer, choices)`.
    static func infer(_ answer: String, choices: [(letter: String, text: String)], rules: MMBenchRules) -> String? {
        if let option = inferOption(answer, letters: choices.map(\.letter), rules: rules) { return option }
        if let text = inferText(answer, choices: choices, rules: rules) { return text }
        if rules == .v2026_06, let letter = answerIsPattern.firstMatch(answer, group: 1) { return letter.uppercased() }
        return nil
    }
}
