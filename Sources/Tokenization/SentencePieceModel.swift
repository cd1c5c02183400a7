// SentencePiece's BPE tokenizer read from `tokenizer.model` (google/sentencepiece: src/normalizer.cc
// `Normalizer::Normalize` with the identity rule, src/bpe_model.cc `Model::SampleEncode`,
// src/sentencepiece_processor.cc byte fallback in `PopulateSentencePieceText` and `Decode`).
import Foundation

public struct SentencePieceModel: Sendable {
    public let proto: SentencePieceModelProto
    /// NORMAL, USER_DEFINED and UNUSED pieces (SentencePiece's `pieces_`).
    let pieceIds: [String: Int]
    /// CONTROL, UNKNOWN and BYTE pieces (`reserved_id_map_`).
    let reservedIds: [String: Int]
    private let scalarIds: [UInt32: Int32]
    private let merges: PairTable
    private let userDefined: [[Unicode.Scalar]]
    private let byteIds: [Int]?
    private let hasUnused: Bool
    public let unkId: Int
    /// Normaliser switch; transformers' non-legacy slow LlamaTokenizer turns it off.
    public var addDummyPrefix: Bool

    public init(contentsOf path: String) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw TokenizationError.unreadableFile(path: path, reason: error.localizedDescription)
        }
        try self.init(proto: SentencePieceModelProto(data: data, path: path), path: path)
    }

    public init(proto: SentencePieceModelProto, path: String) throws {
        guard proto.modelType == 2 else {
            throw TokenizationError.unsupportedComponent(path: path, component: "SentencePiece model type \(proto.modelType) (only BPE = 2 is implemented)")
        }
        guard proto.precompiledCharsmapSize == 0 else {
            throw TokenizationError.unsupportedComponent(path: path, component: "normaliser '\(proto.normalizerName)' (only the identity normaliser of LLaMA is implemented)")
        }
        guard !proto.treatWhitespaceAsSuffix else {
            throw TokenizationError.unsupportedComponent(path: path, component: "treat_whitespace_as_suffix")
        }
        self.proto = proto
        addDummyPrefix = proto.addDummyPrefix
        var normal: [String: Int] = [:], reserved: [String: Int] = [:]
        var unk: Int?
        var users: [[Unicode.Scalar]] = []
        for (id, p) in proto.pieces.enumerated() {
            switch p.kind {
            case .normal, .userDefined, .unused:
                guard normal.updateValue(id, forKey: p.piece) == nil else {
                    throw TokenizationError.malformedModel(path: path, reason: "piece \(p.piece) is defined twice")
                }
                if p.kind == .userDefined { users.append(Array(p.piece.unicodeScalars)) }
            case .unknown, .control, .byte:
                guard reserved.updateValue(id, forKey: p.piece) == nil else {
                    throw TokenizationError.malformedModel(path: path, reason: "piece \(p.piece) is defined twice")
                }
                if p.kind == .unknown { unk = id }
            }
        }
        guard let unkId = unk else { throw TokenizationError.malformedModel(path: path, reason: "it defines no unknown piece") }
        self.unkId = unkId
        pieceIds = normal
        reservedIds = reserved
        userDefined = users.sorted { $0.count > $1.count }
        hasUnused = proto.pieces.contains { $0.kind == .unused }
        if proto.byteFallback {
            let ids = (0..<256).compactMap { reserved[BPEModel.bytePiece(UInt8($0))] }
            guard ids.count == 256 else {
                throw TokenizationError.malformedModel(path: path, reason: "byte_fallback is set but not all 256 <0xNN> pieces exist")
            }
            byteIds = ids
        } else {
            byteIds = nil
        }
        var scalars: [UInt32: Int32] = [:]
        var entries: [(Int32, Int32, MergeRule)] = []
        for (piece, id) in normal {
            let s = Array(piece.unicodeScalars)
            if s.count == 1 { scalars[s[0].value] = Int32(id); continue }
            // Every way of writing this piece as two pieces is a merge into it.
            let rule = MergeRule(priority: -Double(proto.pieces[id].score), mergedId: Int32(id))
            for k in 1..<s.count {
                guard let l = normal[SentencePieceModel.string(s[..<k])], let r = normal[SentencePieceModel.string(s[k...])] else { continue }
                entries.append((Int32(l), Int32(r), rule))
            }
        }
        scalarIds = scalars
        var table = PairTable(capacity: entries.count)
        for (l, r, rule) in entries { table.set(l, r, rule) }
        merges = table
    }

    static func string(_ s: ArraySlice<Unicode.Scalar>) -> String {
        var v = String.UnicodeScalarView()
        v.append(contentsOf: s)
        return String(v)
    }

    public var pieceCount: Int { proto.pieces.count }

    // MARK: encoding

    /// The normalised text: identity rule, optional dummy prefix, spaces escaped as U+2581.
    func normalize(_ text: String) -> [Unicode.Scalar] {
        var input = Array(text.unicodeScalars)[...]
        if proto.removeExtraWhitespaces { while input.first == " " { input = input.dropFirst() } }
        guard !input.isEmpty else { return [] }
        let space: Unicode.Scalar = proto.escapeWhitespaces ? "\u{2581}" : " "
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(input.count + 1)
        if addDummyPrefix { out.append(space) }
        var previousWasSpace = proto.removeExtraWhitespaces
        for c in input {
            if c == " " {
                if previousWasSpace { continue }
                out.append(space)
                previousWasSpace = proto.removeExtraWhitespaces
            } else {
                out.append(c)
                previousWasSpace = false
            }
        }
        if proto.removeExtraWhitespaces { while out.last == space { out.removeLast() } }
        return out
    }

    /// Piece ids of `text` (SentencePieceProcessor::Encode).
    public func encode(_ text: String) -> [Int] {
        let normalized = normalize(text)
        guard !normalized.isEmpty else { return [] }
        // Initial symbols: user-defined pieces whole (never merged), otherwise one character each.
        // Negative ids do not merge: -1 an unknown character, -(id + 2) a frozen user-defined piece.
        var symbols: [Int32] = []
        var symbolScalars: [ArraySlice<Unicode.Scalar>] = []
        var i = 0
        while i < normalized.count {
            if let user = userDefined.first(where: { u in
                i + u.count <= normalized.count && normalized[i..<(i + u.count)].elementsEqual(u)
            }) {
                symbols.append(Int32(-(pieceIds[SentencePieceModel.string(user[...])]! + 2)))
                symbolScalars.append(normalized[i..<(i + user.count)])
                i += user.count
                continue
            }
            symbols.append(scalarIds[normalized[i].value] ?? -1)
            symbolScalars.append(normalized[i...i])
            i += 1
        }
        let merged = mergeSymbols(symbols, keepTree: hasUnused) { a, b in merges.get(a, b) }
        var ids: [Int] = []
        ids.reserveCapacity(merged.ids.count)
        var previousUnknown = false
        for (k, id) in merged.ids.enumerated() {
            if id >= 0 {
                previousUnknown = false
                if hasUnused { resegment(node: merged.nodeOfSymbol[k], nodes: merged.nodes, into: &ids) } else { ids.append(Int(id)) }
            } else if id < -1 {
                previousUnknown = false
                ids.append(Int(-id) - 2)
            } else if let bytes = byteIds {
                previousUnknown = false
                for b in SentencePieceModel.string(symbolScalars[Int(merged.starts[k])]).utf8 { ids.append(bytes[Int(b)]) }
            } else {
                // Runs of unknown characters become one unknown piece.
                if !previousUnknown { ids.append(unkId) }
                previousUnknown = true
            }
        }
        return ids
    }

    /// An UNUSED piece is split back into the pieces it was merged from.
    private func resegment(node: Int32, nodes: [(id: Int32, left: Int32, right: Int32)], into ids: inout [Int]) {
        let n = nodes[Int(node)]
        if proto.pieces[Int(n.id)].kind == .unused && n.left >= 0 {
            resegment(node: n.left, nodes: nodes, into: &ids)
            resegment(node: n.right, nodes: nodes, into: &ids)
        } else {
            ids.append(Int(n.id))
        }
    }

    // MARK: decoding

    public func pieceToId(_ piece: String) -> Int { reservedIds[piece] ?? pieceIds[piece] ?? unkId }

    public func piece(_ id: Int) -> String? { id >= 0 && id < proto.pieces.count ? proto.pieces[id].piece : nil }

    /// SentencePieceProcessor::Decode over ids; out-of-range ids are skipped.
    public func decode(_ ids: [Int]) -> String { decode(pieces: ids.compactMap(piece)) }

    /// SentencePieceProcessor::Decode over piece strings.
    public func decode(pieces: [String]) -> String {
        var text = String.UnicodeScalarView()
        var pendingBytes: [UInt8] = []
        var isBosWhitespace = true
        var bosWhitespaceSeen = false
        func flushBytes() {
            var offset = 0
            while offset < pendingBytes.count {
                let (scalar, consumed) = SentencePieceModel.decodeUTF8(pendingBytes, at: offset)
                text.append(scalar ?? "\u{FFFD}")
                offset += consumed
            }
            pendingBytes.removeAll()
        }
        for piece in pieces {
            let id = pieceToId(piece)
            let kind = proto.pieces[id].kind
            if kind == .byte, let b = HFTokenizer.parseBytePiece(piece) { pendingBytes.append(b); continue }
            flushBytes()
            if bosWhitespaceSeen || !text.isEmpty { isBosWhitespace = false }
            switch kind {
            case .control:
                bosWhitespaceSeen = false
            case .unknown:
                text.append(contentsOf: (proto.pieces[id].piece == piece ? proto.unkSurface : piece).unicodeScalars)
                bosWhitespaceSeen = false
            default:
                var scalars = Substring(piece).unicodeScalars[...]
                var consumed = false
                if isBosWhitespace && (addDummyPrefix || proto.removeExtraWhitespaces) && scalars.first == "\u{2581}" {
                    scalars = scalars.dropFirst()
                    consumed = !proto.removeExtraWhitespaces
                }
                for s in scalars { text.append(s == "\u{2581}" ? " " : s) }
                bosWhitespaceSeen = consumed
            }
        }
        flushBytes()
        return String(text)
    }

    /// SentencePiece's `DecodeUTF8`: one character, or nil and 1 byte when malformed.
    static func decodeUTF8(_ b: [UInt8], at i: Int) -> (Unicode.Scalar?, Int) {
        let left = b.count - i
        let c0 = UInt32(b[i])
        func cont(_ k: Int) -> Bool { b[i + k] & 0xC0 == 0x80 }
        func valid(_ cp: UInt32) -> Bool { cp < 0xD800 || (cp >= 0xE000 && cp <= 0x10FFFF) }
        if c0 < 0x80 { return (Unicode.Scalar(c0), 1) }
        if left >= 2 && c0 & 0xE0 == 0xC0 && cont(1) {
            let cp = (c0 & 0x1F) << 6 | UInt32(b[i + 1] & 0x3F)
            if cp >= 0x80 && valid(cp) { return (Unicode.Scalar(cp), 2) }
        } else if left >= 3 && c0 & 0xF0 == 0xE0 && cont(1) && cont(2) {
            let cp = (c0 & 0x0F) << 12 | UInt32(b[i + 1] & 0x3F) << 6 | UInt32(b[i + 2] & 0x3F)
            if cp >= 0x800 && valid(cp) { return (Unicode.Scalar(cp), 3) }
        } else if left >= 4 && c0 & 0xF8 == 0xF0 && cont(1) && cont(2) && cont(3) {
            let cp = (c0 & 0x07) << 18 | UInt32(b[i + 1] & 0x3F) << 12 | UInt32(b[i + 2] & 0x3F) << 6 | UInt32(b[i + 3] & 0x3F)
            if cp >= 0x10000 && valid(cp) { return (Unicode.Scalar(cp), 4) }
        }
        return (nil, 1)
    }
}
