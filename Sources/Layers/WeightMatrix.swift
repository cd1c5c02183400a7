import TensorCore

// Frozen weights in the element type of the checkpoint file. A `WeightMatrix` either owns f32
// values or points into a memory-mapped safetensors buffer (F32, F16 or BF16) that `owner`
// keeps alive. Mapped F16/BF16 weights are widened to an f32 scratch buffer just before the
// GEMM that uses them: at T tokens that costs O(out*in) against the GEMM's O(T*out*in).

/// Element types a mapped weight may have.
public enum WeightElementType: String, Sendable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16"

    public var byteWidth: Int { self == .f32 ? 4 : 2 }
}

public struct WeightMatrix: @unchecked Sendable {
    // @unchecked: a mapped weight points into read-only memory that `owner` keeps mapped.
    enum Storage {
        case dense(Tensor)
        case mapped(base: UnsafeRawPointer, type: WeightElementType, owner: AnyObject)
    }

    /// Logical shape, e.g. [out, in] for a linear layer or [V, C] for an embedding.
    public let shape: [Int]
    let storage: Storage

    /// Owned f32 values.
    public init(_ tensor: Tensor) {
        shape = tensor.shape
        storage = .dense(tensor)
    }

    /// Values read in place from `base` (little-endian `type`), kept alive by `owner`.
    public init(mapped base: UnsafeRawPointer, type: WeightElementType, shape: [Int], owner: AnyObject) {
        self.shape = shape
        storage = .mapped(base: base, type: type, owner: owner)
    }

    public var count: Int { shape.reduce(1, *) }
    /// Number of rows when viewed as [rows, lastDimension].
    public var rowCount: Int { shape.isEmpty ? 1 : shape[0] }
    public var lastDimension: Int { shape.count < 2 ? count : count / shape[0] }

    public var elementType: WeightElementType {
        switch storage {
        case .dense: return .f32
        case let .mapped(_, type, _): return type
        }
    }

    /// True when the values live in a memory-mapped file (nothing copied at load).
    public var isMapped: Bool {
        if case .mapped = storage { return true }
        return false
    }

    /// The values as f32 in place, when no conversion is needed (owned, or mapped aligned F32).
    public var directFloats: UnsafePointer<Float>? {
        switch storage {
        case .dense: return nil  // an Array's buffer is only valid inside withUnsafeBufferPointer
        case let .mapped(base, type, _):
            guard type == .f32, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 else { return nil }
            return base.assumingMemoryBound(to: Float.self)
        }
    }

    /// True when `withFloats` must convert (mapped F16/BF16 or unaligned F32).
    public var needsConversion: Bool {
        if case .dense = storage { return false }
        return directFloats == nil
    }

    /// Call `body` with all values as f32: in place when they are f32 and aligned, otherwise
    /// from a scratch buffer that lives for the duration of the call.
    public func withFloats<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        switch storage {
        case let .dense(tensor):
            return try tensor.storage.withUnsafeBufferPointer { try body($0.baseAddress!) }
        case let .mapped(base, type, _):
            if type == .f32 && Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
                return try body(base.assumingMemoryBound(to: Float.self))
            }
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
            defer { scratch.deallocate() }
            convertRows(0..<rowCount, into: scratch)
            return try body(UnsafePointer(scratch))
        }
    }

    /// Convert rows `range` (of the [rowCount, lastDimension] view) to f32 into `out`.
    public func convertRows(_ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= rowCount, "rows \(range) outside \(rowCount)")
        let width = lastDimension
        let n = range.count * width
        let first = range.lowerBound * width
        switch storage {
        case let .dense(tensor):
            tensor.storage.withUnsafeBufferPointer { src in
                out.update(from: src.baseAddress! + first, count: n)
            }
        case let .mapped(base, type, _):
            let start = base + first * type.byteWidth
            let aligned = Int(bitPattern: start) % type.byteWidth == 0
            switch type {
            case .f32:
                UnsafeMutableRawPointer(out).copyMemory(from: start, byteCount: n * 4)
            case .bf16 where aligned:
                parallelConvert(n) { r in convertBF16ToFloat(start.assumingMemoryBound(to: UInt16.self) + r.lowerBound, out + r.lowerBound, count: r.count) }
            case .f16 where aligned:
                parallelConvert(n) { r in convertF16ToFloat(start.assumingMemoryBound(to: UInt16.self) + r.lowerBound, out + r.lowerBound, count: r.count) }
            case .bf16:
                for i in 0..<n { out[i] = bf16BitsToFloat(start.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            case .f16:
                for i in 0..<n { out[i] = f16BitsToFloat(start.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            }
        }
    }

    /// All values as an owned f32 tensor (for adapters' decompositions, tests, merging).
    public func materialized() -> Tensor {
        if case let .dense(tensor) = storage { return tensor }
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBufferPointer { convertRows(0..<rowCount, into: $0.baseAddress!) }
        return Tensor(shape: shape, storage: values)
    }
}

private func parallelConvert(_ n: Int, _ body: (Range<Int>) -> Void) {
    parallelFor(n, minimumChunk: 1 << 18, body)
}
