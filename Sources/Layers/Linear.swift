import CLinearAlgebra
import TensorCore

// Linear layer y = x W^T + b (torch.nn.Linear), with W [out, in] frozen in its file dtype.
//
// Adapters plug in through `LinearAdapter`: a linear with an adapter returns
// base(x) + adapter.delta(x). Methods that change the base weight (PiSSA/MiLoRA's residual)
// assign a new `weight`. Models expose their linears by module path (see Architectures'
// `namedLinears`) so that adapters can be attached by name.

/// Anything that maps [T, in] to [T, out] like a linear layer.
public protocol LinearTransform {
    var inputFeatures: Int { get }
    var outputFeatures: Int { get }
    /// x [T, in] -> [T, out]
    func forward(_ x: Tensor) -> Tensor
}

/// A trainable addition to a frozen linear layer (LoRA and relatives).
public protocol LinearAdapter: Sendable {
    /// x [T, in] -> the adapter's contribution [T, out], added to the base output.
    func delta(_ x: Tensor) -> Tensor
}

public struct Linear: LinearTransform, @unchecked Sendable {
    /// [out, in]
    public var weight: WeightMatrix
    /// [out], or nil
    public var bias: Tensor?
    /// Added to the base output when set.
    public var adapter: (any LinearAdapter)?

    /// What a backward pass needs: the input.
    public struct Saved {
        public let input: Tensor  // [T, in]
    }

    public init(weight: WeightMatrix, bias: Tensor? = nil) {
        precondition(weight.shape.count == 2, "linear weight must be [out, in], got \(weight.shape)")
        precondition(bias == nil || bias!.count == weight.shape[0], "bias of \(bias!.count) for \(weight.shape[0]) outputs")
        self.weight = weight
        self.bias = bias
    }

    public init(weight: Tensor, bias: Tensor? = nil) {
        self.init(weight: WeightMatrix(weight), bias: bias)
    }

    public var inputFeatures: Int { weight.shape[1] }
    public var outputFeatures: Int { weight.shape[0] }

    /// x [T, in] -> y [T, out]
    public func forward(_ x: Tensor) -> Tensor { forwardSaving(x).output }

    public func callAsFunction(_ x: Tensor) -> Tensor { forwardSaving(x).output }

    /// x [T, in] -> (y [T, out], saved)
    public func forwardSaving(_ x: Tensor) -> (output: Tensor, saved: Saved) {
        var y = baseForward(x)
        if let adapter { y.add(adapter.delta(x)) }
        return (y, Saved(input: x))
    }

    /// x W^T + b without the adapter.
    public func baseForward(_ x: Tensor) -> Tensor {
        let (inputs, outputs) = (inputFeatures, outputFeatures)
        precondition(x.lastDimension == inputs, "linear expects \(inputs) input features, got shape \(x.shape)")
        let rows = x.rowCount
        var out = [Float](unsafeUninitializedCapacity: rows * outputs) { buffer, initialized in
            x.storage.withUnsafeBufferPointer { px in
                if weight.needsConversion {
                    // Widen F16/BF16 weights a block of output rows at a time: the scratch stays
                    // small (a 32000 x 4096 lm_head would need 0.5 GB at once) and cache-warm.
                    let block = max(1, min(outputs, (1 << 22) / max(1, inputs)))
                    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: block * inputs)
                    defer { scratch.deallocate() }
                    for start in stride(from: 0, to: outputs, by: block) {
                        let n = min(block, outputs - start)
                        weight.convertRows(start..<(start + n), into: scratch)
                        // y[:, start..<start+n] = x [T, in] W_block^T [in, n]
                        product(px.baseAddress!, rows: rows, scratch, outputs: n, inputs: inputs,
                                into: buffer.baseAddress! + start, outputStride: outputs)
                    }
                } else {
                    weight.withFloats { w in
                        product(px.baseAddress!, rows: rows, w, outputs: outputs, inputs: inputs, into: buffer.baseAddress!)
                    }
                }
            }
            initialized = rows * outputs
        }
        if let bias {
            bias.storage.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { o in
                    for r in 0..<rows { for c in 0..<outputs { o[r * outputs + c] += b[c] } }
                }
            }
        }
        var shape = x.shape
        shape[shape.count - 1] = outputs
        return Tensor(shape: shape, storage: out)
    }
}

/// y [rows, outputs] (row stride `outputStride`) = x [rows, inputs] W^T, W [outputs, inputs].
/// One row goes to sgemv: OpenBLAS before 0.3.27 packs all of W for an M=1 sgemm, which
/// doubles the memory traffic of token-by-token decoding.
@inline(__always)
private func product(_ x: UnsafePointer<Float>, rows: Int, _ w: UnsafePointer<Float>, outputs: Int, inputs: Int,
                     into y: UnsafeMutablePointer<Float>, outputStride: Int? = nil) {
    let ldc = outputStride ?? outputs
    if rows == 1 && outputs > 0 && inputs > 0 {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, blasint(outputs), blasint(inputs), 1, w, blasint(inputs), x, 1, 0, y, 1)
    } else {
        sgemm(transposeA: false, transposeB: true, m: rows, n: outputs, k: inputs, a: x, lda: inputs, b: w, ldb: inputs, c: y, ldc: ldc)
    }
}
