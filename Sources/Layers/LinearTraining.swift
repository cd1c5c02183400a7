import TensorCore

// Training path of `Linear`: a forward that keeps what backward needs (the input and the
// adapter's tape), and a backward that
//   - always lets the gradient through the frozen base:     dX += dY W          (sgemm)
//   - accumulates a weight gradient only when asked:         dW += dY^T X        (--tune full)
//   - accumulates a bias gradient when asked:                db += sum_rows dY
//   - runs the adapter's own backward (LoRA's A and B).
// Frozen weights get no gradient buffer at all; a mapped F16/BF16 weight is widened block by
// block, as in the forward, so a large lm_head never needs a full f32 copy.

/// What a trainable adapter keeps from its training forward; the layout is the adapter's own.
public struct AdapterTape: @unchecked Sendable {
    public var tensors: [Tensor]
    public init(_ tensors: [Tensor]) { self.tensors = tensors }
}

/// An adapter that trains: named tensors, a forward that records a tape, and a backward.
public protocol TrainableLinearAdapter: LinearAdapter {
    /// Names of the trainable tensors relative to the module, as PEFT spells them
    /// (e.g. ["lora_A.weight", "lora_B.weight"]).
    var parameterNames: [String] { get }
    /// The trainable tensors, in the order of `parameterNames`.
    var parameterValues: [Tensor] { get set }
    /// y [T, out] += the adapter's contribution for x [T, in]; dropout (if any) drawn from
    /// `generator`.
    func trainingForward(_ x: Tensor, addingTo y: inout Tensor, generator: inout SeededGenerator) -> AdapterTape
    /// dy [T, out] -> dx [T, in] += the adapter's input gradient (skipped when dx is nil);
    /// gradients (order of `parameterValues`) += the parameter gradients.
    func trainingBackward(_ dy: Tensor, tape: AdapterTape, inputGradient dx: inout Tensor?, gradients: inout [Tensor])
}

/// Gradient buffers of one linear layer; nil means frozen.
public struct LinearGradients: @unchecked Sendable {
    /// [out, in]
    public var weight: Tensor?
    /// [out]
    public var bias: Tensor?
    /// The adapter's gradients, in the order of its `parameterValues`; empty without an adapter.
    public var adapter: [Tensor]

    /// Zeroed buffers for what trains: the weight and bias when asked, the adapter when the
    /// linear has a trainable one.
    public init(for linear: Linear, trainWeight: Bool = false, trainBias: Bool = false) {
        weight = trainWeight ? Tensor(zeros: linear.weight.shape) : nil
        bias = trainBias && linear.bias != nil ? Tensor(zeros: [linear.outputFeatures]) : nil
        adapter = (linear.adapter as? any TrainableLinearAdapter)?.parameterValues.map { Tensor(zeros: $0.shape) } ?? []
    }
}

extension Linear {
    public struct TrainingSaved: @unchecked Sendable {
        public let input: Tensor  // [T, in]
        public let adapterTape: AdapterTape?
    }

    /// The adapter as a trainable one; a linear with a frozen-only adapter cannot train.
    var trainableAdapter: (any TrainableLinearAdapter)? {
        guard let adapter else { return nil }
        guard let trainable = adapter as? any TrainableLinearAdapter else {
            preconditionFailure("the adapter \(type(of: adapter)) of this linear layer has no training path")
        }
        return trainable
    }

    /// x [T, in] -> y [T, out], keeping the input (shared, not copied) and the adapter's tape.
    public func trainingForward(_ x: Tensor, generator: inout SeededGenerator) -> (output: Tensor, saved: TrainingSaved) {
        var y = baseForward(x)
        let tape = trainableAdapter.map { $0.trainingForward(x, addingTo: &y, generator: &generator) }
        return (y, TrainingSaved(input: x, adapterTape: tape))
    }

    /// dy [T, out] -> dx [T, in] accumulated into `dx` (skipped when nil: the input is frozen
    /// data, e.g. the projector's vision features); parameter gradients into `gradients`.
    public func backward(_ dy: Tensor, saved: TrainingSaved, gradients: inout LinearGradients, inputGradient dx: inout Tensor?) {
        let (inputs, outputs, rows) = (inputFeatures, outputFeatures, saved.input.rowCount)
        precondition(dy.rowCount == rows && dy.lastDimension == outputs, "linear backward: dy \(dy.shape) for \(rows) rows of \(outputs)")
        if dx != nil {
            precondition(dx!.rowCount == rows && dx!.lastDimension == inputs, "linear backward: dx \(dx!.shape)")
            dy.storage.withUnsafeBufferPointer { g in
                dx!.storage.withUnsafeMutableBufferPointer { out in
                    accumulateInputGradient(g.baseAddress!, rows: rows, into: out.baseAddress!)
                }
            }
        }
        if gradients.weight != nil {
            // dW [out, in] += dY^T [out, T] X [T, in]
            dy.storage.withUnsafeBufferPointer { g in
                saved.input.storage.withUnsafeBufferPointer { x in
                    gradients.weight!.storage.withUnsafeMutableBufferPointer { w in
                        sgemm(transposeA: true, transposeB: false, m: outputs, n: inputs, k: rows,
                              a: g.baseAddress!, lda: outputs, b: x.baseAddress!, ldb: inputs,
                              beta: 1, c: w.baseAddress!, ldc: inputs)
                    }
                }
            }
        }
        if gradients.bias != nil {
            dy.storage.withUnsafeBufferPointer { g in
                gradients.bias!.storage.withUnsafeMutableBufferPointer { b in
                    for r in 0..<rows { for c in 0..<outputs { b[c] += g[r * outputs + c] } }
                }
            }
        }
        if let adapter = trainableAdapter, let tape = saved.adapterTape {
            adapter.trainingBackward(dy, tape: tape, inputGradient: &dx, gradients: &gradients.adapter)
        }
    }

    /// dX [T, in] += dY [T, out] W [out, in], widening converted weights a block of rows at a time.
    private func accumulateInputGradient(_ dy: UnsafePointer<Float>, rows: Int, into dx: UnsafeMutablePointer<Float>) {
        let (inputs, outputs) = (inputFeatures, outputFeatures)
        if weight.needsConversion {
            let block = max(1, min(outputs, (1 << 22) / max(1, inputs)))
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: block * inputs)
            defer { scratch.deallocate() }
            for start in stride(from: 0, to: outputs, by: block) {
                let n = min(block, outputs - start)
                weight.convertRows(start..<(start + n), into: scratch)
                sgemm(transposeA: false, transposeB: false, m: rows, n: inputs, k: n,
                      a: dy + start, lda: outputs, b: scratch, ldb: inputs, beta: 1, c: dx, ldc: inputs)
            }
        } else {
            weight.withFloats { w in
                sgemm(transposeA: false, transposeB: false, m: rows, n: inputs, k: outputs,
                      a: dy, lda: outputs, b: w, ldb: inputs, beta: 1, c: dx, ldc: inputs)
            }
        }
    }
}
