// The parts of a Hugging Face `tokenizer.json` (huggingface/tokenizers, tokenizer/serialization.rs)
// that LLaMA-family tokenizers use, decoded into typed values. Anything else is rejected with the
// component's name rather than silently mis-tokenised.
import Foundation

/// Thrown from inside `Decodable` initialisers; the loader turns it into
/// `TokenizationError.unsupportedComponent` naming the file.
struct UnsupportedComponent: Error { var component: String }

struct TokenizerJSONFile: Decodable {
    var addedTokens: [AddedTokenSpec]
    var normalizer: NormalizerSpec?
    var preTokenizer: PreTokenizerSpec?
    var postProcessor: PostProcessorSpec?
    var decoder: DecoderSpec?
    var model: BPEModelSpec

    enum CodingKeys: String, CodingKey {
        case addedTokens = "added_tokens", normalizer, preTokenizer = "pre_tokenizer"
        case postProcessor = "post_processor", decoder, model
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        addedTokens = try c.decodeIfPresent([AddedTokenSpec].self, forKey: .addedTokens) ?? []
        normalizer = try c.decodeIfPresent(NormalizerSpec.self, forKey: .normalizer)
        preTokenizer = try c.decodeIfPresent(PreTokenizerSpec.self, forKey: .preTokenizer)
        postProcessor = try c.decodeIfPresent(PostProcessorSpec.self, forKey: .postProcessor)
        self.decoder = try c.decodeIfPresent(DecoderSpec.self, forKey: .decoder)
        model = try c.decode(BPEModelSpec.self, forKey: .model)
    }
}

/// One entry of `added_tokens`.
public struct AddedTokenSpec: Decodable, Sendable, Equatable {
    public var id: Int
    public var content: String
    public var singleWord: Bool
    public var lstrip: Bool
    public var rstrip: Bool
    public var normalized: Bool
    public var special: Bool

    enum CodingKeys: String, CodingKey {
        case id, content, singleWord = "single_word", lstrip, rstrip, normalized, special
    }

    public init(id: Int, content: String, singleWord: Bool = false, lstrip: Bool = false, rstrip: Bool = false,
                normalized: Bool = false, special: Bool = true) {
        self.id = id
        self.content = content
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized
        self.special = special
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int.self, forKey: .id)
        content = try c.decode(String.self, forKey: .content)
        singleWord = try c.decodeIfPresent(Bool.self, forKey: .singleWord) ?? false
        lstrip = try c.decodeIfPresent(Bool.self, forKey: .lstrip) ?? false
        rstrip = try c.decodeIfPresent(Bool.self, forKey: .rstrip) ?? false
        special = try c.decodeIfPresent(Bool.self, forKey: .special) ?? false
        // tokenizers' default: special tokens are matched on the raw text.
        normalized = try c.decodeIfPresent(Bool.self, forKey: .normalized) ?? !special
    }
}

private struct TypeOnly: Decodable { var type: String }

/// `{"String": " "}` patterns only; a `Regex` pattern is not supported.
private struct StringPattern: Decodable {
    var value: String
    enum CodingKeys: String, CodingKey { case string = "String", regex = "Regex" }
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let s = try c.decodeIfPresent(String.self, forKey: .string) { value = s; return }
        throw UnsupportedComponent(component: "a Regex pattern in Replace")
    }
}

indirect enum NormalizerSpec: Decodable {
    case sequence([NormalizerSpec])
    case prepend(String)
    case replace(pattern: String, content: String)
    case nfc, nfd, nfkc, nfkd

    enum CodingKeys: String, CodingKey { case type, normalizers, prepend, pattern, content }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "Sequence": self = .sequence(try c.decode([NormalizerSpec].self, forKey: .normalizers))
        case "Prepend": self = .prepend(try c.decode(String.self, forKey: .prepend))
        case "Replace":
            self = .replace(pattern: try c.decode(StringPattern.self, forKey: .pattern).value,
                            content: try c.decode(String.self, forKey: .content))
        case "NFC": self = .nfc
        case "NFD": self = .nfd
        case "NFKC": self = .nfkc
        case "NFKD": self = .nfkd
        default: throw UnsupportedComponent(component: "normalizer \(type)")
        }
    }
}

/// Metaspace's `prepend_scheme`.
public enum PrependScheme: String, Decodable, Sendable {
    case always, first, never
}

indirect enum PreTokenizerSpec: Decodable {
    case sequence([PreTokenizerSpec])
    case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme, split: Bool)

    enum CodingKeys: String, CodingKey {
        case type, pretokenizers, replacement, prependScheme = "prepend_scheme", addPrefixSpace = "add_prefix_space", split
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "Sequence": self = .sequence(try c.decode([PreTokenizerSpec].self, forKey: .pretokenizers))
        case "Metaspace":
            let replacement = try c.decodeIfPresent(String.self, forKey: .replacement) ?? "\u{2581}"
            guard replacement.unicodeScalars.count == 1, let scalar = replacement.unicodeScalars.first else {
                throw DecodingError.dataCorruptedError(forKey: .replacement, in: c,
                                                       debugDescription: "Metaspace replacement must be one character")
            }
            var scheme = try c.decodeIfPresent(PrependScheme.self, forKey: .prependScheme)
            if scheme == nil {
                // tokenizers < 0.14 wrote `add_prefix_space` instead of a scheme.
                let add = try c.decodeIfPresent(Bool.self, forKey: .addPrefixSpace) ?? true
                scheme = add ? .always : .never
            }
            self = .metaspace(replacement: scalar, prependScheme: scheme!,
                              split: try c.decodeIfPresent(Bool.self, forKey: .split) ?? true)
        default: throw UnsupportedComponent(component: "pre-tokenizer \(type)")
        }
    }
}

/// `TemplateProcessing` reduced to what encoding one sequence needs.
struct PostProcessorSpec: Decodable {
    /// Ids to put before and after the sequence `$A`.
    var prefix: [Int]
    var suffix: [Int]

    private struct Piece: Decodable {
        var specialId: String?
        var isSequence: Bool
        enum CodingKeys: String, CodingKey { case specialToken = "SpecialToken", sequence = "Sequence" }
        struct IdOnly: Decodable { var id: String }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            specialId = try c.decodeIfPresent(IdOnly.self, forKey: .specialToken)?.id
            isSequence = c.contains(.sequence)
        }
    }
    private struct SpecialEntry: Decodable { var ids: [Int] }
    enum CodingKeys: String, CodingKey { case type, single, specialTokens = "special_tokens" }

    init(prefix: [Int], suffix: [Int]) {
        self.prefix = prefix
        self.suffix = suffix
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        guard type == "TemplateProcessing" else { throw UnsupportedComponent(component: "post-processor \(type)") }
        let single = try c.decode([Piece].self, forKey: .single)
        let specials = try c.decodeIfPresent([String: SpecialEntry].self, forKey: .specialTokens) ?? [:]
        var prefix: [Int] = [], suffix: [Int] = []
        var seenSequence = false
        for piece in single {
            if piece.isSequence { seenSequence = true; continue }
            guard let name = piece.specialId else { continue }
            guard let entry = specials[name] else {
                throw DecodingError.dataCorruptedError(forKey: .specialTokens, in: c,
                                                       debugDescription: "template names \(name) but special_tokens lacks it")
            }
            if seenSequence { suffix += entry.ids } else { prefix += entry.ids }
        }
        self.prefix = prefix
        self.suffix = suffix
    }
}

indirect enum DecoderSpec: Decodable {
    case sequence([DecoderSpec])
    case replace(pattern: String, content: String)
    case byteFallback
    case fuse
    case strip(content: Unicode.Scalar, start: Int, stop: Int)
    case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme)

    enum CodingKeys: String, CodingKey {
        case type, decoders, pattern, content, start, stop, replacement
        case prependScheme = "prepend_scheme", addPrefixSpace = "add_prefix_space"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "Sequence": self = .sequence(try c.decode([DecoderSpec].self, forKey: .decoders))
        case "Replace":
            self = .replace(pattern: try c.decode(StringPattern.self, forKey: .pattern).value,
                            content: try c.decode(String.self, forKey: .content))
        case "ByteFallback": self = .byteFallback
        case "Fuse": self = .fuse
        case "Strip":
            let content = try c.decode(String.self, forKey: .content)
            guard content.unicodeScalars.count == 1, let ch = content.unicodeScalars.first else {
                throw DecodingError.dataCorruptedError(forKey: .content, in: c, debugDescription: "Strip content must be one character")
            }
            self = .strip(content: ch, start: try c.decode(Int.self, forKey: .start), stop: try c.decode(Int.self, forKey: .stop))
        case "Metaspace":
            let replacement = try c.decodeIfPresent(String.self, forKey: .replacement) ?? "\u{2581}"
            var scheme = try c.decodeIfPresent(PrependScheme.self, forKey: .prependScheme)
            if scheme == nil { scheme = (try c.decodeIfPresent(Bool.self, forKey: .addPrefixSpace) ?? true) ? .always : .never }
            self = .metaspace(replacement: replacement.unicodeScalars.first ?? "\u{2581}", prependScheme: scheme!)
        default: throw UnsupportedComponent(component: "decoder \(type)")
        }
    }
}

/// The `model` section: a BPE with vocab and merges.
struct BPEModelSpec: Decodable {
    var vocab: [String: Int]
    /// Merges as pairs, whichever of the two encodings the file uses ("a b" or ["a", "b"]).
    var merges: [(String, String)]
    var unkToken: String?
    var byteFallback: Bool
    var fuseUnk: Bool
    var ignoreMerges: Bool

    enum CodingKeys: String, CodingKey {
        case type, vocab, merges, unkToken = "unk_token", byteFallback = "byte_fallback", fuseUnk = "fuse_unk"
        case ignoreMerges = "ignore_merges", dropout, continuingSubwordPrefix = "continuing_subword_prefix"
        case endOfWordSuffix = "end_of_word_suffix"
    }

    private enum MergeEntry: Decodable {
        case joined(String), pair([String])
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .joined(s) } else { self = .pair(try c.decode([String].self)) }
        }
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decodeIfPresent(String.self, forKey: .type) ?? "BPE"
        guard type == "BPE" else { throw UnsupportedComponent(component: "model \(type) (only BPE is implemented)") }
        if let dropout = try c.decodeIfPresent(Double.self, forKey: .dropout), dropout > 0 {
            throw UnsupportedComponent(component: "BPE dropout \(dropout)")
        }
        for key in [CodingKeys.continuingSubwordPrefix, .endOfWordSuffix] {
            if let value = try c.decodeIfPresent(String.self, forKey: key), !value.isEmpty {
                throw UnsupportedComponent(component: "BPE \(key.stringValue) \"\(value)\"")
            }
        }
        vocab = try c.decode([String: Int].self, forKey: .vocab)
        let entries = try c.decodeIfPresent([MergeEntry].self, forKey: .merges) ?? []
        merges = try entries.enumerated().map { index, entry in
            switch entry {
            case .joined(let s):
                let parts = s.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw DecodingError.dataCorruptedError(forKey: .merges, in: c, debugDescription: "merge \(index) \"\(s)\" is not \"a b\"")
                }
                return (String(parts[0]), String(parts[1]))
            case .pair(let p):
                guard p.count == 2 else {
                    throw DecodingError.dataCorruptedError(forKey: .merges, in: c, debugDescription: "merge \(index) has \(p.count) parts")
                }
                return (p[0], p[1])
            }
        }
        unkToken = try c.decodeIfPresent(String.self, forKey: .unkToken)
        byteFallback = try c.decodeIfPresent(Bool.self, forKey: .byteFallback) ?? false
        fuseUnk = try c.decodeIfPresent(Bool.self, forKey: .fuseUnk) ?? false
        ignoreMerges = try c.decodeIfPresent(Bool.self, forKey: .ignoreMerges) ?? false
    }
}
