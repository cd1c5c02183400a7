// Added tokens (huggingface/tokenizers, tokenizer/added_vocabulary.rs): they are cut out of the text
// before the model sees it, first those with normalized=false on the raw text, then those with
// normalized=true on each normalised piece. lstrip/rstrip swallow neighbouring whitespace and
// single_word only matches at word boundaries.

/// A stretch of text: either an added token's id or text still to be tokenised.
struct TextSplit {
    var text: String
    var tokenId: Int?
    /// Whether the split starts at offset 0 of the original input (Metaspace's "first" scheme).
    var startsInput: Bool
}

struct AddedTokenMatcher: Sendable {
    private let tokens: [(scalars: [Unicode.Scalar], spec: AddedTokenSpec)]
    /// First UTF-8 bytes of the tokens: text without any of them has no match (the common case).
    private let firstBytes: [Bool]

    init(_ specs: [AddedTokenSpec]) {
        // Longest first, so the first hit at a position is the leftmost-longest match.
        tokens = specs.filter { !$0.content.isEmpty }
            .map { (Array($0.content.unicodeScalars), $0) }
            .sorted { $0.scalars.count > $1.scalars.count }
        var first = [Bool](repeating: false, count: 256)
        for t in tokens { first[Int(t.spec.content.utf8.first!)] = true }
        firstBytes = first
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// Splits `text` around the added tokens it contains (`AddedVocabulary::find_matches`).
    /// Empty pieces are dropped, as `PreTokenizedString::split` does.
    func split(_ text: String, startsInput: Bool) -> [TextSplit] {
        if text.isEmpty { return [] }
        if !text.utf8.contains(where: { firstBytes[Int($0)] }) {
            return [TextSplit(text: text, tokenId: nil, startsInput: startsInput)]
        }
        let s = Array(text.unicodeScalars)
        if tokens.isEmpty || s.isEmpty { return s.isEmpty ? [] : [TextSplit(text: text, tokenId: nil, startsInput: startsInput)] }
        var out: [TextSplit] = []
        var startOffset = 0
        var i = 0
        func piece(_ a: Int, _ b: Int) -> String {
            var v = String.UnicodeScalarView()
            v.append(contentsOf: s[a..<b])
            return String(v)
        }
        while i < s.count {
            guard let hit = tokens.first(where: { matches($0.scalars, in: s, at: i) }) else { i += 1; continue }
            var start = i
            var stop = i + hit.scalars.count
            let spec = hit.spec
            if spec.singleWord {
                let startOK = start == 0 || !isWordCharacter(s[start - 1])
                let stopOK = stop == s.count || !isWordCharacter(s[stop])
                // Aho-Corasick resumes after the discarded match, not inside it.
                if !startOK || !stopOK { i = stop; continue }
            }
            if spec.lstrip {
                var j = start
                while j > 0 && s[j - 1].isUnicodeWhiteSpace { j -= 1 }
                start = max(j, startOffset)
            }
            if spec.rstrip {
                while stop < s.count && s[stop].isUnicodeWhiteSpace { stop += 1 }
            }
            if startOffset < start {
                out.append(TextSplit(text: piece(startOffset, start), tokenId: nil, startsInput: startsInput && startOffset == 0))
            }
            out.append(TextSplit(text: piece(start, stop), tokenId: spec.id, startsInput: startsInput && start == 0))
            startOffset = stop
            i = max(stop, i + 1)
        }
        if startOffset < s.count {
            out.append(TextSplit(text: piece(startOffset, s.count), tokenId: nil, startsInput: startsInput && startOffset == 0))
        }
        return out
    }

    @inline(__always) private func matches(_ token: [Unicode.Scalar], in s: [Unicode.Scalar], at i: Int) -> Bool {
        guard i + token.count <= s.count else { return false }
        for k in 0..<token.count where s[i + k] != token[k] { return false }
        return true
    }

    /// Rust regex's Unicode `\w`: Alphabetic, marks, decimal digits, connector punctuation, join controls.
    private func isWordCharacter(_ c: Unicode.Scalar) -> Bool {
        if c.properties.isAlphabetic || c.properties.isJoinControl { return true }
        switch c.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }
}
