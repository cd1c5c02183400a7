// Loading a checkpoint's tokenizer folder: `tokenizer.json` (+ `tokenizer_config.json`) as
// transformers 5's LlamaTokenizer reads it, or `tokenizer.model` alone as transformers 4.37's slow
// LlamaTokenizer (what haotian-liu/LLaVA trained with) reads it.
import Foundation

/// `tokenizer_config.json`, the keys that change tokenisation.
public struct TokenizerConfig: Decodable, Sendable {
    public var addBosToken: Bool?
    public var addEosToken: Bool?
    public var legacy: Bool?
    public var addPrefixSpace: Bool?
    public var modelMaxLength: Int?
    public var cleanUpTokenizationSpaces: Bool?
    public var tokenizerClass: String?
    public var bosToken: String?
    public var eosToken: String?
    public var unkToken: String?
    public var padToken: String?

    enum CodingKeys: String, CodingKey {
        case addBosToken = "add_bos_token", addEosToken = "add_eos_token", legacy, addPrefixSpace = "add_prefix_space"
        case modelMaxLength = "model_max_length", cleanUpTokenizationSpaces = "clean_up_tokenization_spaces"
        case tokenizerClass = "tokenizer_class", bosToken = "bos_token", eosToken = "eos_token"
        case unkToken = "unk_token", padToken = "pad_token"
    }

    /// A token given as a string or as an AddedToken object `{"content": ...}`.
    private struct TokenName: Decodable {
        var content: String
        enum CodingKeys: String, CodingKey { case content }
        init(from decoder: Decoder) throws {
            if let s = try? decoder.singleValueContainer().decode(String.self) { content = s; return }
            content = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .content)
        }
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        addBosToken = try c.decodeIfPresent(Bool.self, forKey: .addBosToken)
        addEosToken = try c.decodeIfPresent(Bool.self, forKey: .addEosToken)
        legacy = try c.decodeIfPresent(Bool.self, forKey: .legacy)
        addPrefixSpace = try c.decodeIfPresent(Bool.self, forKey: .addPrefixSpace)
        // transformers writes "no limit" as 1e30, which no Int holds.
        if let length = try c.decodeIfPresent(Double.self, forKey: .modelMaxLength) {
            modelMaxLength = length < 1e15 ? Int(length) : nil
        }
        cleanUpTokenizationSpaces = try c.decodeIfPresent(Bool.self, forKey: .cleanUpTokenizationSpaces)
        tokenizerClass = try c.decodeIfPresent(String.self, forKey: .tokenizerClass)
        bosToken = try c.decodeIfPresent(TokenName.self, forKey: .bosToken)?.content
        eosToken = try c.decodeIfPresent(TokenName.self, forKey: .eosToken)?.content
        unkToken = try c.decodeIfPresent(TokenName.self, forKey: .unkToken)?.content
        padToken = try c.decodeIfPresent(TokenName.self, forKey: .padToken)?.content
    }

    /// Fills the token names this config lacks from `special_tokens_map.json`.
    mutating func merge(specialTokensMap other: TokenizerConfig) {
        bosToken = bosToken ?? other.bosToken
        eosToken = eosToken ?? other.eosToken
        unkToken = unkToken ?? other.unkToken
        padToken = padToken ?? other.padToken
    }
}

/// A LLaMA SentencePiece BPE tokenizer, either backend.
public struct Tokenizer: Sendable {
    public enum Backend: Sendable {
        /// `tokenizer.json`, Hugging Face tokenizers semantics.
        case tokenizerJSON(HFTokenizer)
        /// `tokenizer.model`, SentencePiece as transformers 4.37's slow LlamaTokenizer drives it.
        case sentencePiece(SlowLlamaTokenizer)
    }

    /// Which file to read when a folder has both.
    public enum Source: Sendable { case automatic, tokenizerJSON, sentencePiece }

    /// How to read `tokenizer.json`.
    public enum JSONSemantics: Sendable {
        /// As transformers 5 `AutoTokenizer` does for `tokenizer_class` LlamaTokenizer(Fast): the
        /// normaliser, pre-tokeniser and decoder are rebuilt from `legacy` / `add_prefix_space`,
        /// and `add_bos_token` / `add_eos_token` (when present) replace the post-processor.
        case transformers
        /// Exactly as the file says, as `tokenizers.Tokenizer.from_file` does.
        case file
    }

    public let backend: Backend
    public let config: TokenizerConfig
    /// transformers' `tokenizer.legacy` (LLaVA's preprocess_v1 reads it).
    public let legacy: Bool
    public let bosTokenId: Int?
    public let eosTokenId: Int?
    public let unkTokenId: Int?
    public let padTokenId: Int?
    /// `model_max_length`; nil when the config gives none (or transformers' 1e30 "no limit").
    public var modelMaxLength: Int?

    /// Reads the folder. `adjustConfig` changes tokenizer_config.json's settings before use, as
    /// keyword arguments to `from_pretrained` do (e.g. `add_eos_token`).
    public static func load(directory: String, source: Source = .automatic,
                            jsonSemantics: JSONSemantics = .transformers,
                            adjustConfig: (inout TokenizerConfig) -> Void = { _ in }) throws -> Tokenizer {
        let folder = URL(fileURLWithPath: directory)
        let jsonPath = folder.appendingPathComponent("tokenizer.json").path
        let modelPath = folder.appendingPathComponent("tokenizer.model").path
        let fm = FileManager.default
        var config = try readJSON(TokenizerConfig.self, at: folder.appendingPathComponent("tokenizer_config.json").path) ?? TokenizerConfig()
        if let map = try readJSON(TokenizerConfig.self, at: folder.appendingPathComponent("special_tokens_map.json").path) {
            config.merge(specialTokensMap: map)
        }
        adjustConfig(&config)
        let useJSON: Bool
        switch source {
        case .automatic:
            guard fm.fileExists(atPath: jsonPath) || fm.fileExists(atPath: modelPath) else {
                throw TokenizationError.missingTokenizerFiles(directory: directory)
            }
            useJSON = fm.fileExists(atPath: jsonPath)
        case .tokenizerJSON: useJSON = true
        case .sentencePiece: useJSON = false
        }
        let bosName = config.bosToken ?? "<s>", eosName = config.eosToken ?? "</s>", unkName = config.unkToken ?? "<unk>"
        if useJSON {
            guard let file = try readJSON(TokenizerJSONFile.self, at: jsonPath) else {
                throw TokenizationError.unreadableFile(path: jsonPath, reason: "no such file")
            }
            var fast = try HFTokenizer(file: file, path: jsonPath)
            fast.cleanUpTokenizationSpaces = config.cleanUpTokenizationSpaces ?? false
            let legacy = config.legacy ?? false
            let isLlama = ["LlamaTokenizer", "LlamaTokenizerFast"].contains(config.tokenizerClass ?? "")
            if jsonSemantics == .transformers && isLlama {
                fast = fast.rebuiltAsTransformersLlama(legacy: legacy, addPrefixSpace: config.addPrefixSpace ?? true,
                                                       addBos: config.addBosToken, addEos: config.addEosToken,
                                                       bosId: fast.tokenId(bosName), eosId: fast.tokenId(eosName))
            }
            return Tokenizer(backend: .tokenizerJSON(fast), config: config, legacy: legacy,
                             bosTokenId: fast.tokenId(bosName), eosTokenId: fast.tokenId(eosName),
                             unkTokenId: fast.tokenId(unkName), padTokenId: config.padToken.flatMap(fast.tokenId),
                             modelMaxLength: config.modelMaxLength)
        }
        guard fm.fileExists(atPath: modelPath) else { throw TokenizationError.missingTokenizerFiles(directory: directory) }
        let model = try SentencePieceModel(contentsOf: modelPath)
        // transformers 4.37: legacy unset means legacy (with a warning); <s> added, </s> not.
        let legacy = config.legacy ?? true
        let slow = SlowLlamaTokenizer(model: model, legacy: legacy, addBosToken: config.addBosToken ?? true,
                                      addEosToken: config.addEosToken ?? false,
                                      bosToken: bosName, eosToken: eosName, unkToken: unkName)
        let id: (String) -> Int? = { name in
            let i = model.pieceToId(name)
            return i == model.unkId && name != unkName ? nil : i
        }
        return Tokenizer(backend: .sentencePiece(slow), config: config, legacy: legacy,
                         bosTokenId: id(bosName), eosTokenId: id(eosName), unkTokenId: model.unkId,
                         padTokenId: config.padToken.flatMap(id), modelMaxLength: config.modelMaxLength)
    }

    /// Decodes a JSON file, nil when it does not exist.
    static func readJSON<T: Decodable>(_ type: T.Type, at path: String) throws -> T? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw TokenizationError.unreadableFile(path: path, reason: error.localizedDescription)
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let unsupported as UnsupportedComponent {
            throw TokenizationError.unsupportedComponent(path: path, component: unsupported.component)
        } catch let error as TokenizationError {
            throw error
        } catch let DecodingError.keyNotFound(key, context) {
            throw TokenizationError.malformedJSON(path: path, reason: "missing key \(codingPath(context.codingPath + [key]))")
        } catch let DecodingError.typeMismatch(_, context) {
            throw TokenizationError.malformedJSON(path: path, reason: "wrong type at \(codingPath(context.codingPath)): \(context.debugDescription)")
        } catch let DecodingError.valueNotFound(_, context) {
            throw TokenizationError.malformedJSON(path: path, reason: "null at \(codingPath(context.codingPath))")
        } catch let DecodingError.dataCorrupted(context) {
            let at = context.codingPath.isEmpty ? "" : " at \(codingPath(context.codingPath))"
            throw TokenizationError.malformedJSON(path: path, reason: "\(context.debugDescription)\(at)")
        } catch {
            throw TokenizationError.malformedJSON(path: path, reason: "\(error)")
        }
    }

    private static func codingPath(_ path: [CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    // MARK: the tokenizer interface

    /// `tokenizer(text, add_special_tokens=...).input_ids`.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        switch backend {
        case .tokenizerJSON(let t): return t.encode(text, addSpecialTokens: addSpecialTokens)
        case .sentencePiece(let t): return t.encode(text, addSpecialTokens: addSpecialTokens)
        }
    }

    /// `tokenizer.decode(ids, skip_special_tokens=...)`.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        switch backend {
        case .tokenizerJSON(let t): return t.decode(ids, skipSpecialTokens: skipSpecialTokens)
        case .sentencePiece(let t): return t.decode(ids, skipSpecialTokens: skipSpecialTokens)
        }
    }

    public func tokenId(_ token: String) -> Int? {
        switch backend {
        case .tokenizerJSON(let t): return t.tokenId(token)
        case .sentencePiece(let t):
            let id = t.sentencePiece.pieceToId(token)
            return id == t.sentencePiece.unkId && t.sentencePiece.piece(id) != token ? nil : id
        }
    }

    public func token(_ id: Int) -> String? {
        switch backend {
        case .tokenizerJSON(let t): return t.token(id)
        case .sentencePiece(let t): return t.sentencePiece.piece(id)
        }
    }

    public var vocabularySize: Int {
        switch backend {
        case .tokenizerJSON(let t): return t.vocabularySize
        case .sentencePiece(let t): return t.sentencePiece.pieceCount
        }
    }
}
