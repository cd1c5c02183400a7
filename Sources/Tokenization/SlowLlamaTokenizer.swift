// The "slow" LlamaTokenizer that LLaVA trained with: transformers 4.37.2,
// models/llama/tokenization_llama.py (`tokenize`, `_tokenize`, `convert_tokens_to_string`) on top of
// tokenization_utils.py (`PreTrainedTokenizer.tokenize` splitting on special tokens), over the
// SentencePiece model in `tokenizer.model`.

public struct SlowLlamaTokenizer: Sendable {
    /// The SentencePiece model as transformers loads it: the non-legacy tokenizer switches off
    /// the dummy prefix and adds the "▁" itself.
    public let sentencePiece: SentencePieceModel
    public let legacy: Bool
    public let addBosToken: Bool
    public let addEosToken: Bool
    public let bosId: Int?
    public let eosId: Int?
    /// Special tokens (content -> id) that the text is split on before SentencePiece sees it.
    let specialTokens: [String: Int]
    private let specialMatcher: AddedTokenMatcher
    /// Pieces `unk_token` encodes into; `_tokenize` drops that many after encoding "<unk>" + text.
    private let unkTokenLength: Int
    private let unkToken: String

    init(model: SentencePieceModel, legacy: Bool, addBosToken: Bool, addEosToken: Bool,
         bosToken: String?, eosToken: String?, unkToken: String?) {
        var sp = model
        if !legacy { sp.addDummyPrefix = false }
        sentencePiece = sp
        self.legacy = legacy
        self.addBosToken = addBosToken
        self.addEosToken = addEosToken
        var specials: [String: Int] = [:]
        for name in [unkToken, bosToken, eosToken].compactMap({ $0 }) { specials[name] = model.pieceToId(name) }
        specialTokens = specials
        bosId = bosToken.map { model.pieceToId($0) }
        eosId = eosToken.map { model.pieceToId($0) }
        specialMatcher = AddedTokenMatcher(specials.map { content, id in
            AddedTokenSpec(id: id, content: content, singleWord: false, lstrip: false, rstrip: false, normalized: false, special: true)
        })
        self.unkToken = unkToken ?? "<unk>"
        unkTokenLength = sp.encode(self.unkToken).count
    }

    public func encode(_ text: String, addSpecialTokens: Bool) -> [Int] {
        var ids: [Int] = []
        if addSpecialTokens && addBosToken, let bos = bosId { ids.append(bos) }
        for piece in tokenize(text) {
            if let special = specialTokens[piece.text], piece.isSpecial { ids.append(special) } else { ids.append(piece.id) }
        }
        if addSpecialTokens && addEosToken, let eos = eosId { ids.append(eos) }
        return ids
    }

    private struct Piece { var text: String; var id: Int; var isSpecial: Bool }

    /// `LlamaTokenizer.tokenize`.
    private func tokenize(_ text: String) -> [Piece] {
        if legacy || text.isEmpty { return baseTokenize(text) }
        var pieces = baseTokenize("\u{2581}" + text.replacingOccurrences(of: "\u{2581}", with: " "))
        if pieces.count > 1 && pieces[0].text == "\u{2581}" && !pieces[0].isSpecial && pieces[1].isSpecial {
            pieces.removeFirst()
        }
        return pieces
    }

    /// `PreTrainedTokenizer.tokenize`: special tokens are kept whole, the rest goes to `_tokenize`.
    private func baseTokenize(_ text: String) -> [Piece] {
        var out: [Piece] = []
        for split in specialMatcher.split(text, startsInput: true) {
            if let id = split.tokenId { out.append(Piece(text: split.text, id: id, isSpecial: true)); continue }
            for id in sentencePieceTokenize(split.text) {
                out.append(Piece(text: sentencePiece.piece(id) ?? "", id: id, isSpecial: false))
            }
        }
        return out
    }

    /// `LlamaTokenizer._tokenize`.
    private func sentencePieceTokenize(_ text: String) -> [Int] {
        if legacy || !(text.hasPrefix("\u{2581}") || text.hasPrefix(" ")) { return sentencePiece.encode(text) }
        let ids = sentencePiece.encode(unkToken + text)
        return ids.count >= unkTokenLength ? Array(ids[unkTokenLength...]) : ids
    }

    /// `PreTrainedTokenizer._decode` with LLaMA's `convert_tokens_to_string` (no added tokens
    /// beyond the special ones, so no sub-text joining).
    public func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        var tokens: [String] = []
        for id in ids {
            guard let piece = sentencePiece.piece(id) else { continue }
            if skipSpecialTokens && specialTokens[piece] == id { continue }
            tokens.append(piece)
        }
        guard !tokens.isEmpty else { return "" }
        if tokens[0].hasPrefix("\u{2581}") { tokens[0] = String(tokens[0].unicodeScalars.dropFirst()) }
        var out = ""
        var current: [String] = []
        var previousIsSpecial = false
        for (i, token) in tokens.enumerated() {
            if specialTokens[token] != nil {
                if !previousIsSpecial && i != 0 && legacy { out += " " }
                out += sentencePiece.decode(pieces: current) + token
                previousIsSpecial = true
                current = []
            } else {
                current.append(token)
                previousIsSpecial = false
            }
        }
        return out + sentencePiece.decode(pieces: current)
    }
}
