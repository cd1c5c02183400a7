import Layers
import TensorCore

// LowRankAdapter as the adapter hook of a Linear (Layers' LinearAdapter / TrainableLinearAdapter).
// Same arithmetic as `forward`/`backward` in LowRankAdapter.swift, written against raw buffers
// so a training step makes no copy of the [T, in] input or the [T, out] output:
//   forward   H = drop(X) A^T [T, R];  Y += scale H B^T
//   backward  dB += scale dY^T H;  dH = scale dY B [T, R];  dA += dH^T drop(X);  dX += mask * (dH A)
// Tape: [drop(X) [T, in], H [T, R]] and, with dropout, the mask [T, in] (0 or 1/(1-p)).

extension LowRankAdapter: TrainableLinearAdapter {
    /// The evaluation-mode branch (no dropout), as PEFT's lora.Linear in eval(): scale x A^T B^T.
    public func delta(_ x: Tensor) -> Tensor {
        let rows = x.reshaped([x.rowCount, x.lastDimension])
        var y = matmul(matmul(rows, a, transposeB: true), b, transposeB: true)
        y.scale(by: scale)
        var shape = x.shape
        shape[shape.count - 1] = outFeatures
        return y.reshaped(shape)
    }

    public var parameterNames: [String] { ["lora_A.weight", "lora_B.weight"] }

    public var parameterValues: [Tensor] {
        get { [a, b] }
        set {
            precondition(newValue.count == 2 && newValue[0].shape == a.shape && newValue[1].shape == b.shape,
                         "LoRA parameters must be A \(a.shape) and B \(b.shape)")
            a = newValue[0]
            b = newValue[1]
        }
    }

    public func trainingForward(_ x: Tensor, addingTo y: inout Tensor, generator: inout SeededGenerator) -> AdapterTape {
        let (rows, inputs, outputs, r) = (x.rowCount, inFeatures, outFeatures, rank)
        precondition(x.lastDimension == inputs && y.rowCount == rows && y.lastDimension == outputs,
                     "adapter [\(outputs), \(inputs)] on x \(x.shape), y \(y.shape)")
        var dropped = x
        var mask: Tensor?
        if dropout > 0 {
            let keep = 1 / (1 - dropout)
            var m = Tensor(zeros: x.shape)
            for i in 0..<m.count where generator.nextUniform() >= dropout { m.storage[i] = keep }
            for i in 0..<dropped.count { dropped.storage[i] *= m.storage[i] }
            mask = m
        }
        var hidden = Tensor(zeros: [rows, r])
        dropped.storage.withUnsafeBufferPointer { xp in
            a.storage.withUnsafeBufferPointer { ap in
                hidden.storage.withUnsafeMutableBufferPointer { hp in
                    // H [T, R] = drop(X) [T, in] A^T [in, R]
                    sgemm(transposeA: false, transposeB: true, m: rows, n: r, k: inputs,
                          a: xp.baseAddress!, lda: inputs, b: ap.baseAddress!, ldb: inputs, c: hp.baseAddress!, ldc: r)
                }
            }
        }
        hidden.storage.withUnsafeBufferPointer { hp in
            b.storage.withUnsafeBufferPointer { bp in
                y.storage.withUnsafeMutableBufferPointer { yp in
                    // Y [T, out] += scale H [T, R] B^T [R, out]
                    sgemm(transposeA: false, transposeB: true, m: rows, n: outputs, k: r, alpha: scale,
                          a: hp.baseAddress!, lda: r, b: bp.baseAddress!, ldb: r, beta: 1, c: yp.baseAddress!, ldc: outputs)
                }
            }
        }
        return AdapterTape(mask.map { [dropped, hidden, $0] } ?? [dropped, hidden])
    }

    public func trainingBackward(_ dy: Tensor, tape: AdapterTape, inputGradient dx: inout Tensor?, gradients: inout [Tensor]) {
        let (dropped, hidden) = (tape.tensors[0], tape.tensors[1])
        let (rows, inputs, outputs, r) = (hidden.rowCount, inFeatures, outFeatures, rank)
        precondition(gradients.count == 2 && dy.rowCount == rows && dy.lastDimension == outputs, "adapter backward: dy \(dy.shape)")
        var dHidden = Tensor(zeros: [rows, r])
        dy.storage.withUnsafeBufferPointer { g in
            hidden.storage.withUnsafeBufferPointer { hp in
                gradients[1].storage.withUnsafeMutableBufferPointer { db in
                    // dB [out, R] += scale dY^T [out, T] H [T, R]
                    sgemm(transposeA: true, transposeB: false, m: outputs, n: r, k: rows, alpha: scale,
                          a: g.baseAddress!, lda: outputs, b: hp.baseAddress!, ldb: r, beta: 1, c: db.baseAddress!, ldc: r)
                }
            }
            b.storage.withUnsafeBufferPointer { bp in
                dHidden.storage.withUnsafeMutableBufferPointer { dh in
                    // dH [T, R] = scale dY [T, out] B [out, R]
                    sgemm(transposeA: false, transposeB: false, m: rows, n: r, k: outputs, alpha: scale,
                          a: g.baseAddress!, lda: outputs, b: bp.baseAddress!, ldb: r, c: dh.baseAddress!, ldc: r)
                }
            }
        }
        dHidden.storage.withUnsafeBufferPointer { dh in
            dropped.storage.withUnsafeBufferPointer { xp in
                gradients[0].storage.withUnsafeMutableBufferPointer { da in
                    // dA [R, in] += dH^T [R, T] drop(X) [T, in]
                    sgemm(transposeA: true, transposeB: false, m: r, n: inputs, k: rows,
                          a: dh.baseAddress!, lda: r, b: xp.baseAddress!, ldb: inputs, beta: 1, c: da.baseAddress!, ldc: inputs)
                }
            }
        }
        guard dx != nil else { return }
        precondition(dx!.rowCount == rows && dx!.lastDimension == inputs, "adapter backward: dx \(dx!.shape)")
        if tape.tensors.count > 2 {
            // dX += mask * (dH A): the product needs its own buffer before masking.
            var product = Tensor(zeros: [rows, inputs])
            multiply(dHidden, a, into: &product, beta: 0)
            let mask = tape.tensors[2]
            for i in 0..<product.count { dx!.storage[i] += mask.storage[i] * product.storage[i] }
        } else {
            multiply(dHidden, a, into: &dx!, beta: 1)
        }
    }
}

/// c [T, in] = dH [T, R] A [R, in] + beta c
private func multiply(_ dHidden: Tensor, _ a: Tensor, into c: inout Tensor, beta: Float) {
    let (rows, r, inputs) = (dHidden.rowCount, dHidden.lastDimension, a.lastDimension)
    dHidden.storage.withUnsafeBufferPointer { dh in
        a.storage.withUnsafeBufferPointer { ap in
            c.storage.withUnsafeMutableBufferPointer { cp in
                sgemm(transposeA: false, transposeB: false, m: rows, n: inputs, k: r,
                      a: dh.baseAddress!, lda: r, b: ap.baseAddress!, ldb: inputs, beta: beta, c: cp.baseAddress!, ldc: inputs)
            }
        }
    }
}
