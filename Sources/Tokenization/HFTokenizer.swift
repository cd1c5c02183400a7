// A Hugging Face fast tokenizer read from `tokenizer.json`, for the LLaMA family: the pipeline of
// huggingface/tokenizers (tokenizer/mod.rs `encode_single_sequence` and `decode`): added tokens
// cut out, normaliser, Metaspace pre-tokeniser, BPE, template post-processor; decoding runs the
// decoder chain over the token strings.
import Foundation

public struct HFTokenizer: Sendable {
    let model: BPEModel
    let addedById: [Int: AddedTokenSpec]
    let addedByContent: [String: Int]
    let specialContents: Set<String>
    let rawMatcher: AddedTokenMatcher
    let normalizedMatcher: AddedTokenMatcher
    var normalizer: NormalizerSpec?
    var preTokenizer: PreTokenizerSpec?
    var postProcessor: PostProcessorSpec?
    var decoder: DecoderSpec?
    /// transformers' `clean_up_tokenization_spaces` (false for LLaMA tokenizers).
    var cleanUpTokenizationSpaces = false

    init(file: TokenizerJSONFile, path: String) throws {
        model = try BPEModel(spec: file.model, path: path)
        var byId: [Int: AddedTokenSpec] = [:]
        var byContent: [String: Int] = [:]
        for token in file.addedTokens {
            byId[token.id] = token
            byContent[token.content] = token.id
        }
        addedById = byId
        addedByContent = byContent
        specialContents = Set(file.addedTokens.filter(\.special).map(\.content))
        rawMatcher = AddedTokenMatcher(file.addedTokens.filter { !$0.normalized })
        normalizedMatcher = AddedTokenMatcher(file.addedTokens.filter { $0.normalized })
        normalizer = file.normalizer
        preTokenizer = file.preTokenizer
        postProcessor = file.postProcessor
        decoder = file.decoder
    }

    /// What transformers 5's `LlamaTokenizer` does with a `tokenizer.json`: it keeps the vocabulary,
    /// merges and added tokens but rebuilds the rest from `tokenizer_config.json`
    /// (transformers/models/llama/tokenization_llama.py, `_get_prepend_scheme`).
    func rebuiltAsTransformersLlama(legacy: Bool, addPrefixSpace: Bool, addBos: Bool?, addEos: Bool?,
                                    bosId: Int?, eosId: Int?) -> HFTokenizer {
        var copy = self
        let scheme: PrependScheme = addPrefixSpace ? (legacy ? .always : .first) : .never
        copy.normalizer = nil
        copy.preTokenizer = .metaspace(replacement: "\u{2581}", prependScheme: scheme, split: false)
        copy.decoder = .sequence([.replace(pattern: "\u{2581}", content: " "), .byteFallback, .fuse]
                                 + (addPrefixSpace ? [.strip(content: " ", start: 1, stop: 0)] : []))
        if addBos != nil || addEos != nil {
            let prefix = (addBos ?? false) ? bosId.map { [$0] } ?? [] : []
            let suffix = (addEos ?? false) ? eosId.map { [$0] } ?? [] : []
            copy.postProcessor = PostProcessorSpec(prefix: prefix, suffix: suffix)
        }
        return copy
    }

    // MARK: encoding

    public func encode(_ text: String, addSpecialTokens: Bool) -> [Int] {
        var ids: [Int] = []
        ids.reserveCapacity(text.utf8.count / 2 + 2)
        if addSpecialTokens, let p = postProcessor { ids += p.prefix }
        for split in rawMatcher.split(text, startsInput: true) {
            if let id = split.tokenId { ids.append(id); continue }
            let normalized = normalize(split.text, with: normalizer)
            for piece in normalizedMatcher.split(normalized, startsInput: split.startsInput) {
                if let id = piece.tokenId { ids.append(id); continue }
                for word in preTokenize(piece.text, startsInput: piece.startsInput, with: preTokenizer) {
                    model.tokenize(word, into: &ids)
                }
            }
        }
        if addSpecialTokens, let p = postProcessor { ids += p.suffix }
        return ids
    }

    private func normalize(_ text: String, with spec: NormalizerSpec?) -> String {
        guard let spec else { return text }
        switch spec {
        case .sequence(let list): return list.reduce(text) { normalize($0, with: $1) }
        case .prepend(let prefix): return text.isEmpty ? text : prefix + text
        case .replace(let pattern, let content): return text.replacingOccurrences(of: pattern, with: content, options: .literal)
        case .nfc: return text.precomposedStringWithCanonicalMapping
        case .nfd: return text.decomposedStringWithCanonicalMapping
        case .nfkc: return text.precomposedStringWithCompatibilityMapping
        case .nfkd: return text.decomposedStringWithCompatibilityMapping
        }
    }

    private func preTokenize(_ text: String, startsInput: Bool, with spec: PreTokenizerSpec?) -> [String] {
        guard let spec else { return text.isEmpty ? [] : [text] }
        switch spec {
        case .sequence(let list):
            var words = [text]
            for p in list { words = words.flatMap { preTokenize($0, startsInput: startsInput, with: p) } }
            return words
        case .metaspace(let replacement, let scheme, let split):
            var scalars = String.UnicodeScalarView()
            for s in text.unicodeScalars { scalars.append(s == " " ? replacement : s) }
            let startsWithReplacement = scalars.first == replacement
            switch scheme {
            case .always where !startsWithReplacement, .first where !startsWithReplacement && startsInput:
                scalars.insert(replacement, at: scalars.startIndex)
            default: break
            }
            guard split else { return scalars.isEmpty ? [] : [String(scalars)] }
            // MergedWithNext: every replacement character starts a new word.
            var words: [String] = []
            var current = String.UnicodeScalarView()
            for s in scalars {
                if s == replacement && !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
                current.append(s)
            }
            if !current.isEmpty { words.append(String(current)) }
            return words
        }
    }

    // MARK: decoding

    public func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            // Unknown ids are dropped, as tokenizers' `id_to_token` filter does.
            guard let token = addedById[id]?.content ?? model.idToToken[id] else { continue }
            if skipSpecialTokens && specialContents.contains(token) { continue }
            tokens.append(token)
        }
        let text = decoder.map { runDecoder($0, on: tokens).joined() } ?? tokens.joined(separator: " ")
        return cleanUpTokenizationSpaces ? HFTokenizer.cleanUpTokenization(text) : text
    }

    private func runDecoder(_ spec: DecoderSpec, on tokens: [String]) -> [String] {
        switch spec {
        case .sequence(let list):
            return list.reduce(tokens) { runDecoder($1, on: $0) }
        case .replace(let pattern, let content):
            return tokens.map { $0.replacingOccurrences(of: pattern, with: content, options: .literal) }
        case .fuse:
            return [tokens.joined()]
        case .strip(let content, let start, let stop):
            return tokens.map { token in
                var chars = Array(token.unicodeScalars)
                var head = 0
                while head < min(start, chars.count) && chars[head] == content { head += 1 }
                chars.removeFirst(head)
                var tail = 0
                while tail < min(stop, chars.count) && chars[chars.count - 1 - tail] == content { tail += 1 }
                chars.removeLast(tail)
                var v = String.UnicodeScalarView()
                v.append(contentsOf: chars)
                return String(v)
            }
        case .metaspace(let replacement, let scheme):
            return tokens.enumerated().map { index, token in
                var out = String.UnicodeScalarView()
                for (k, ch) in token.unicodeScalars.enumerated() {
                    if ch == replacement {
                        if !(index == 0 && k == 0 && scheme != .never) { out.append(" ") }
                    } else {
                        out.append(ch)
                    }
                }
                return String(out)
            }
        case .byteFallback:
            return HFTokenizer.byteFallbackDecode(tokens)
        }
    }

    /// tokenizers' ByteFallback decoder: a run of `<0xNN>` tokens becomes its UTF-8 text, or one
    /// U+FFFD per byte when the run is not valid UTF-8 as a whole.
    static func byteFallbackDecode(_ tokens: [String]) -> [String] {
        var out: [String] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            if let s = String(validatingUTF8Bytes: pending) { out.append(s) } else {
                out.append(contentsOf: repeatElement("\u{FFFD}", count: pending.count))
            }
            pending.removeAll()
        }
        for token in tokens {
            if let b = parseBytePiece(token) { pending.append(b) } else { flush(); out.append(token) }
        }
        flush()
        return out
    }

    /// `<0xNN>` -> NN.
    static func parseBytePiece(_ token: String) -> UInt8? {
        let u = Array(token.utf8)
        guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E else { return nil }
        return UInt8(String(decoding: u[3..<5], as: UTF8.self), radix: 16)
    }

    /// transformers' `clean_up_tokenization`.
    static func cleanUpTokenization(_ text: String) -> String {
        var s = text
        for (a, b) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                       (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            s = s.replacingOccurrences(of: a, with: b, options: .literal)
        }
        return s
    }

    // MARK: vocabulary

    public func tokenId(_ token: String) -> Int? { addedByContent[token] ?? model.vocab[token] }
    public func token(_ id: Int) -> String? { addedById[id]?.content ?? model.idToToken[id] }
    public var vocabularySize: Int {
        let maxModel = model.idToToken.keys.max() ?? -1
        let maxAdded = addedById.keys.max() ?? -1
        return max(maxModel, maxAdded) + 1
    }
}

extension String {
    /// Decodes UTF-8 bytes, or nil when they are not valid UTF-8.
    init?(validatingUTF8Bytes bytes: [UInt8]) {
        var it = bytes.makeIterator()
        var decoder = UTF8()
        var scalars = String.UnicodeScalarView()
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue(let s): scalars.append(s)
            case .emptyInput: break loop
            case .error: return nil
            }
        }
        self = String(scalars)
    }
}
