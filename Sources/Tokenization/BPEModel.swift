// Hugging Face's BPE model (huggingface/tokenizers, models/bpe/model.rs): vocab + ranked merges,
// byte fallback to `<0xNN>` pieces, and the unknown token (optionally fused).

struct BPEModel: Sendable {
    let vocab: [String: Int]
    let idToToken: [Int: String]
    /// (left id, right id) -> (rank as priority, merged id).
    private let merges: PairTable
    /// Single-character vocabulary entries by scalar value, to avoid building a String per character.
    private let scalarIds: [UInt32: Int32]
    /// The same for the Basic Multilingual Plane as a flat table (-1: not in the vocabulary).
    private let bmpIds: [Int32]
    private let byteIds: [Int32]?          // the 256 `<0xNN>` ids when byte_fallback and all present
    let unkId: Int?
    let fuseUnk: Bool
    let ignoreMerges: Bool

    init(spec: BPEModelSpec, path: String) throws {
        vocab = spec.vocab
        var reverse: [Int: String] = [:]
        reverse.reserveCapacity(spec.vocab.count)
        var scalars: [UInt32: Int32] = [:]
        for (token, id) in spec.vocab {
            reverse[id] = token
            let s = token.unicodeScalars
            if s.count == 1, let only = s.first { scalars[only.value] = Int32(id) }
        }
        idToToken = reverse
        scalarIds = scalars
        var bmp = [Int32](repeating: -1, count: 0x10000)
        for (scalar, id) in scalars where scalar < 0x10000 { bmp[Int(scalar)] = id }
        bmpIds = bmp
        var table = PairTable(capacity: spec.merges.count)
        for (rank, (a, b)) in spec.merges.enumerated() {
            guard let ia = spec.vocab[a], let ib = spec.vocab[b] else {
                throw TokenizationError.malformedJSON(path: path, reason: "merge \(rank) (\(a) \(b)) uses a token missing from model.vocab")
            }
            guard let merged = spec.vocab[a + b] else {
                throw TokenizationError.malformedJSON(path: path, reason: "merge \(rank) (\(a) \(b)) makes \(a + b), which is missing from model.vocab")
            }
            table.set(Int32(ia), Int32(ib), MergeRule(priority: Double(rank), mergedId: Int32(merged)))
        }
        merges = table
        if spec.byteFallback {
            let ids = (0..<256).compactMap { spec.vocab[BPEModel.bytePiece(UInt8($0))].map(Int32.init) }
            byteIds = ids.count == 256 ? ids : nil
        } else {
            byteIds = nil
        }
        if let unk = spec.unkToken {
            guard let id = spec.vocab[unk] else {
                throw TokenizationError.malformedJSON(path: path, reason: "model.unk_token \(unk) is not in model.vocab")
            }
            unkId = id
        } else {
            unkId = nil
        }
        fuseUnk = spec.fuseUnk
        ignoreMerges = spec.ignoreMerges
    }

    @inline(__always) static func key(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    /// `<0x0A>`: the spelling tokenizers (`format!("<{:#04X}>")`) and SentencePiece use.
    static func bytePiece(_ b: UInt8) -> String {
        let hex = String(b, radix: 16, uppercase: true)
        return "<0x" + (hex.count == 1 ? "0" + hex : hex) + ">"
    }

    /// Token ids of one pre-tokenized word.
    func tokenize(_ word: String, into output: inout [Int]) {
        if ignoreMerges, let id = vocab[word] { output.append(id); return }
        var symbols: [Int32] = []
        symbols.reserveCapacity(word.unicodeScalars.count)
        // An unknown run waiting to be emitted (fused when fuse_unk).
        var pendingUnk = false
        for scalar in word.unicodeScalars {
            let known = scalar.value < 0x10000 ? bmpIds[Int(scalar.value)] : scalarIds[scalar.value] ?? -1
            if known >= 0 {
                let id = known
                pendingUnk = false
                symbols.append(id)
                continue
            }
            if let bytes = byteIds {
                pendingUnk = false
                for b in String(scalar).utf8 { symbols.append(bytes[Int(b)]) }
                continue
            }
            guard let unk = unkId else { continue }   // no unk token: the character is dropped
            if pendingUnk && fuseUnk { continue }
            symbols.append(Int32(unk))
            pendingUnk = true
        }
        let merged = mergeSymbols(symbols) { a, b in merges.get(a, b) }
        for id in merged.ids { output.append(Int(id)) }
    }
}
