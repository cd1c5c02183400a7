// Reader for SentencePiece's `tokenizer.model`, a protobuf `ModelProto`
// (google/sentencepiece, src/sentencepiece_model.proto), parsed from the wire format directly:
// only the fields tokenisation needs are kept, everything else is skipped by wire type.
import Foundation

/// One vocabulary entry (`ModelProto.SentencePiece`).
public struct SentencePiece: Sendable, Equatable {
    public enum Kind: Int, Sendable { case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6 }
    public var piece: String
    public var score: Float
    public var kind: Kind
}

/// The parts of `ModelProto` a BPE tokenizer needs, with proto2 defaults for absent fields.
public struct SentencePieceModelProto: Sendable {
    public var pieces: [SentencePiece] = []
    // TrainerSpec
    public var modelType = 1                 // UNIGRAM = 1, BPE = 2, WORD = 3, CHAR = 4
    public var byteFallback = false
    public var treatWhitespaceAsSuffix = false
    public var unkId = 0, bosId = 1, eosId = 2, padId = -1
    public var unkSurface = " \u{2047} "
    // NormalizerSpec
    public var normalizerName = ""
    public var precompiledCharsmapSize = 0
    public var addDummyPrefix = true
    public var removeExtraWhitespaces = true
    public var escapeWhitespaces = true

    /// Parses `data`; `path` only names the file in errors.
    public init(data: Data, path: String) throws {
        var reader = ProtoReader(bytes: [UInt8](data), path: path)
        var sawTrainer = false
        while let (field, wire) = try reader.nextField() {
            switch (field, wire) {
            case (1, 2): pieces.append(try parsePiece(reader.subMessage(), index: pieces.count))
            case (2, 2): try parseTrainer(reader.subMessage()); sawTrainer = true
            case (3, 2): try parseNormalizer(reader.subMessage())
            default: try reader.skip(wire)
            }
        }
        guard !pieces.isEmpty else { throw TokenizationError.malformedModel(path: path, reason: "it has no pieces") }
        guard sawTrainer else { throw TokenizationError.malformedModel(path: path, reason: "it has no trainer_spec") }
    }

    private func parsePiece(_ r0: ProtoReader, index: Int) throws -> SentencePiece {
        var r = r0
        var p = SentencePiece(piece: "", score: 0, kind: .normal)
        while let (field, wire) = try r.nextField() {
            switch (field, wire) {
            case (1, 2): p.piece = try r.string()
            case (2, 5): p.score = Float(bitPattern: try r.fixed32())
            case (3, 0):
                let raw = Int(try r.varint())
                guard let kind = SentencePiece.Kind(rawValue: raw) else {
                    throw TokenizationError.malformedModel(path: r.path, reason: "piece \(index) has unknown type \(raw)")
                }
                p.kind = kind
            default: try r.skip(wire)
            }
        }
        guard !p.piece.isEmpty else { throw TokenizationError.malformedModel(path: r.path, reason: "piece \(index) is empty") }
        return p
    }

    private mutating func parseTrainer(_ r0: ProtoReader) throws {
        var r = r0
        while let (field, wire) = try r.nextField() {
            switch (field, wire) {
            case (3, 0): modelType = Int(try r.varint())
            case (24, 0): treatWhitespaceAsSuffix = try r.varint() != 0
            case (35, 0): byteFallback = try r.varint() != 0
            case (40, 0): unkId = Int(Int32(truncatingIfNeeded: try r.varint()))
            case (41, 0): bosId = Int(Int32(truncatingIfNeeded: try r.varint()))
            case (42, 0): eosId = Int(Int32(truncatingIfNeeded: try r.varint()))
            case (43, 0): padId = Int(Int32(truncatingIfNeeded: try r.varint()))
            case (44, 2): unkSurface = try r.string()
            default: try r.skip(wire)
            }
        }
    }

    private mutating func parseNormalizer(_ r0: ProtoReader) throws {
        var r = r0
        while let (field, wire) = try r.nextField() {
            switch (field, wire) {
            case (1, 2): normalizerName = try r.string()
            case (2, 2): precompiledCharsmapSize = try r.lengthDelimitedBytes().count
            case (3, 0): addDummyPrefix = try r.varint() != 0
            case (4, 0): removeExtraWhitespaces = try r.varint() != 0
            case (5, 0): escapeWhitespaces = try r.varint() != 0
            default: try r.skip(wire)
            }
        }
    }
}

/// Protobuf wire-format cursor over a byte range.
struct ProtoReader {
    let bytes: [UInt8]
    var position: Int
    let end: Int
    let path: String

    init(bytes: [UInt8], path: String) {
        self.bytes = bytes
        position = 0
        end = bytes.count
        self.path = path
    }

    private init(bytes: [UInt8], start: Int, end: Int, path: String) {
        self.bytes = bytes
        position = start
        self.end = end
        self.path = path
    }

    private func corrupt(_ what: String) -> TokenizationError {
        .malformedModel(path: path, reason: "\(what) at byte \(position)")
    }

    /// The next (field number, wire type), or nil at the end.
    mutating func nextField() throws -> (Int, Int)? {
        guard position < end else { return nil }
        let key = try varint()
        let field = Int(key >> 3)
        guard field > 0 else { throw corrupt("field number 0") }
        return (field, Int(key & 7))
    }

    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw corrupt("truncated varint") }
            let b = bytes[position]
            position += 1
            if shift < 64 { result |= UInt64(b & 0x7F) << shift }
            if b & 0x80 == 0 { return result }
            shift += 7
            guard shift < 70 else { throw corrupt("varint longer than 10 bytes") }
        }
    }

    mutating func fixed32() throws -> UInt32 {
        guard end - position >= 4 else { throw corrupt("truncated fixed32") }
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(bytes[position + k]) << (8 * UInt32(k)) }
        position += 4
        return v
    }

    private mutating func lengthDelimited() throws -> Range<Int> {
        let length = try varint()
        guard length <= UInt64(end - position) else { throw corrupt("length \(length) past the end") }
        let range = position..<(position + Int(length))
        position += Int(length)
        return range
    }

    mutating func lengthDelimitedBytes() throws -> ArraySlice<UInt8> { bytes[try lengthDelimited()] }

    mutating func string() throws -> String {
        let slice = try lengthDelimitedBytes()
        guard let s = String(validatingUTF8Bytes: Array(slice)) else { throw corrupt("invalid UTF-8 string") }
        return s
    }

    mutating func subMessage() throws -> ProtoReader {
        let range = try lengthDelimited()
        return ProtoReader(bytes: bytes, start: range.lowerBound, end: range.upperBound, path: path)
    }

    mutating func skip(_ wire: Int) throws {
        switch wire {
        case 0: _ = try varint()
        case 1: guard end - position >= 8 else { throw corrupt("truncated fixed64") }; position += 8
        case 2: _ = try lengthDelimited()
        case 5: guard end - position >= 4 else { throw corrupt("truncated fixed32") }; position += 4
        default: throw corrupt("unsupported wire type \(wire)")
        }
    }
}
