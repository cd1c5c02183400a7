// A dense f32 tensor in row-major order. Value semantics: `storage` is a Swift Array, so copies
// are cheap until written (copy-on-write). Heavy math reaches the raw buffer through
// `withUnsafe...` and hands it to BLAS or to the kernels in this module.

public struct Tensor: Equatable, Sendable {
    public private(set) var shape: [Int]
    public var storage: [Float]

    public init(shape: [Int], storage: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(shape.reduce(1, *) == storage.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) elements, got \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, storage: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, storage: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    public var count: Int { storage.count }
    public var rank: Int { shape.count }

    /// Size of the last dimension (the "row" length for row-wise kernels).
    public var lastDimension: Int { shape.last ?? 1 }
    /// Number of rows when the tensor is viewed as [count / lastDimension, lastDimension].
    public var rowCount: Int { lastDimension == 0 ? 0 : count / lastDimension }

    /// Same elements, new shape (row-major order unchanged).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, storage: storage)
    }

    public subscript(flat index: Int) -> Float {
        get { storage[index] }
        set { storage[index] = newValue }
    }

    /// Row `i` of a tensor viewed as [rowCount, lastDimension].
    public func row(_ i: Int) -> ArraySlice<Float> {
        storage[(i * lastDimension)..<((i + 1) * lastDimension)]
    }

    /// Swap the two dimensions of a rank-2 tensor.
    public func transposed() -> Tensor {
        precondition(rank == 2, "transposed() needs a matrix, got shape \(shape)")
        let (rows, cols) = (shape[0], shape[1])
        var out = [Float](repeating: 0, count: count)
        storage.withUnsafeBufferPointer { src in
            for r in 0..<rows {
                for c in 0..<cols { out[c * rows + r] = src[r * cols + c] }
            }
        }
        return Tensor(shape: [cols, rows], storage: out)
    }

    /// Largest absolute elementwise difference; shapes must match.
    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(shape == other.shape, "shape \(shape) vs \(other.shape)")
        var worst: Float = 0
        for i in 0..<count { worst = max(worst, abs(storage[i] - other.storage[i])) }
        return worst
    }
}
