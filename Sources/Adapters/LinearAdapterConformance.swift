import Layers
import TensorCore

// A LowRankAdapter plugs into `Layers.Linear.adapter`: the linear computes base(x) and adds
// `delta(x)`, the evaluation-mode adapter branch (no dropout), as PEFT's lora.Linear does in
// eval(): scale * (x A^T) B^T.

extension LowRankAdapter: LinearAdapter {
    /// x [.., in] -> scale * x A^T B^T [.., out]
    public func delta(_ x: Tensor) -> Tensor {
        let rows = x.reshaped([x.rowCount, x.lastDimension])
        precondition(rows.shape[1] == inFeatures, "adapter input has width \(rows.shape[1]), A expects \(inFeatures)")
        let hidden = matmul(rows, a, transposeB: true)                 // [T, R]
        var y = Tensor(zeros: [rows.shape[0], outFeatures])
        matmulAccumulate(&y, hidden, b, alpha: scale, transposeB: true) // [T, out]
        var shape = x.shape
        shape[shape.count - 1] = outFeatures
        return y.reshaped(shape)
    }
}
