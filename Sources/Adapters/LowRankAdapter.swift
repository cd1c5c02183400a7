import TensorCore

// A low-rank adapter on a frozen linear layer, as PEFT's `lora.Linear` computes it:
//   y = base(x) + scale * lora_B(lora_A(dropout(x)))  =  base + scale * drop(x) A^T B^T
// with A [R, in], B [out, R], scale = alpha / R (or alpha / sqrt(R) with rsLoRA). Dropout acts
// on the adapter branch's input only (inverted dropout: kept values scaled by 1 / (1 - p)), so
// the base path sees the undropped x. The base weight stays outside: the caller computes
// base(x) with its own (frozen, possibly bf16-mmapped) weight and passes the result in.

public struct LowRankAdapter: Sendable, Equatable {
    /// [R, in]
    public var a: Tensor
    /// [out, R]
    public var b: Tensor
    public var scale: Float
    /// Dropout probability on the adapter input during training.
    public var dropout: Float

    public init(a: Tensor, b: Tensor, scale: Float, dropout: Float = 0) {
        precondition(a.rank == 2 && b.rank == 2 && b.shape[1] == a.shape[0],
                     "adapter needs A [R, in] and B [out, R], got \(a.shape) and \(b.shape)")
        precondition(dropout >= 0 && dropout < 1, "dropout must lie in [0, 1), got \(dropout)")
        self.a = a
        self.b = b
        self.scale = scale
        self.dropout = dropout
    }

    public var rank: Int { a.shape[0] }
    public var inFeatures: Int { a.shape[1] }
    public var outFeatures: Int { b.shape[0] }

    /// What backward needs: the adapter's input after dropout and its rank-R projection.
    public struct Saved: Sendable {
        /// [T, in] drop(x)
        public var droppedInput: Tensor
        /// [T, in] 0 or 1/(1-p) per element; nil when no dropout was applied.
        public var mask: [Float]?
        /// [T, R] drop(x) A^T
        public var hidden: Tensor
    }

    /// Gradients of A and B, accumulated across calls.
    public struct Gradients: Sendable {
        public var a: Tensor
        public var b: Tensor
        public init(for adapter: LowRankAdapter) {
            a = Tensor(zeros: adapter.a.shape)
            b = Tensor(zeros: adapter.b.shape)
        }
    }

    /// Evaluation forward (no dropout). x [T, in], baseOutput [T, out] -> [T, out].
    public func forward(_ x: Tensor, baseOutput: Tensor) -> (Tensor, Saved) {
        forward(x, baseOutput: baseOutput, mask: nil)
    }

    /// Training forward: dropout on the adapter input drawn from `generator`.
    public func forward(_ x: Tensor, baseOutput: Tensor, dropoutGenerator generator: inout SeededGenerator) -> (Tensor, Saved) {
        guard dropout > 0 else { return forward(x, baseOutput: baseOutput, mask: nil) }
        let keep = 1 / (1 - dropout)
        var mask = [Float](repeating: 0, count: x.count)
        for i in 0..<mask.count where generator.nextUniform() >= dropout { mask[i] = keep }
        return forward(x, baseOutput: baseOutput, mask: mask)
    }

    private func forward(_ x: Tensor, baseOutput: Tensor, mask: [Float]?) -> (Tensor, Saved) {
        let rows = x.reshaped([x.rowCount, x.lastDimension])
        precondition(rows.shape[1] == inFeatures, "adapter input has width \(rows.shape[1]), A expects \(inFeatures)")
        precondition(baseOutput.count == rows.shape[0] * outFeatures, "base output \(baseOutput.shape) does not fit [\(rows.shape[0]), \(outFeatures)]")
        var dropped = rows
        if let mask { for i in 0..<dropped.count { dropped.storage[i] *= mask[i] } }
        let hidden = matmul(dropped, a, transposeB: true)                    // [T, R]
        var y = baseOutput.reshaped([rows.shape[0], outFeatures])
        matmulAccumulate(&y, hidden, b, alpha: scale, transposeB: true)     // += scale h B^T
        return (y.reshaped(baseOutput.shape), Saved(droppedInput: dropped, mask: mask, hidden: hidden))
    }

    /// dY [T, out] -> the adapter's contribution to dX [T, in]; accumulates dA and dB.
    ///   dH = scale dY B [T, R];  dB += scale dY^T H;  dA += dH^T drop(x);  dX = mask * (dH A)
    public func backward(_ dy: Tensor, saved: Saved, gradients: inout Gradients) -> Tensor {
        let t = saved.hidden.shape[0]
        let rows = dy.reshaped([t, outFeatures])
        var dHidden = matmul(rows, b)                                       // [T, R]
        dHidden.scale(by: scale)
        matmulAccumulate(&gradients.b, rows, saved.hidden, alpha: scale, transposeA: true)
        matmulAccumulate(&gradients.a, dHidden, saved.droppedInput, transposeA: true)
        var dx = matmul(dHidden, a)                                         // [T, in]
        if let mask = saved.mask { for i in 0..<dx.count { dx.storage[i] *= mask[i] } }
        return dx
    }

    /// scale * B A [out, in]: what merging adds to the base weight.
    public func delta() -> Tensor {
        var d = matmul(b, a)
        d.scale(by: scale)
        return d
    }

    /// W [out, in] += scale B A.
    public func merge(into weight: inout Tensor) {
        checkBase(weight)
        matmulAccumulate(&weight, b, a, alpha: scale)
    }

    /// W [out, in] -= scale B A (undoes `merge` up to rounding).
    public func unmerge(from weight: inout Tensor) {
        checkBase(weight)
        matmulAccumulate(&weight, b, a, alpha: -scale)
    }

    /// Typed check for user-supplied weights: the adapter must fit W [out, in].
    public func validate(againstBaseShape shape: [Int], module: String) throws {
        if shape.count != 2 || shape[0] != outFeatures {
            throw AdaptersError.shapeMismatch(module: module, tensor: "lora_B", expected: [shape.first ?? 0, rank], found: b.shape)
        }
        if shape[1] != inFeatures {
            throw AdaptersError.shapeMismatch(module: module, tensor: "lora_A", expected: [rank, shape[1]], found: a.shape)
        }
    }

    private func checkBase(_ weight: Tensor) {
        precondition(weight.shape == [outFeatures, inFeatures], "base weight \(weight.shape) does not fit adapter [\(outFeatures), \(inFeatures)]")
    }
}
