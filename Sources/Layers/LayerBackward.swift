import TensorCore

// Backward passes of the small layers, paired with their forwards' `Saved` values. Parameter
// gradients are accumulated (several examples share the buffers); nil buffers mean frozen.

extension RMSNorm {
    /// dy [T, C] -> dx [T, C]; weightGradient [C] += sum_rows dy * x * rstd when non-nil.
    public func backward(_ dy: Tensor, saved: Saved, weightGradient: inout Tensor?) -> Tensor {
        rmsNormBackward(dy, input: saved.input, weight: weight, statistics: saved.statistics, weightGradient: &weightGradient)
    }
}

extension LayerNorm {
    /// dy [T, C] -> dx [T, C]; weight and bias gradients accumulated when non-nil.
    public func backward(_ dy: Tensor, saved: Saved, weightGradient: inout Tensor?, biasGradient: inout Tensor?) -> Tensor {
        layerNormBackward(dy, input: saved.input, weight: weight, statistics: saved.statistics,
                          weightGradient: &weightGradient, biasGradient: &biasGradient)
    }
}

extension Activation {
    /// dy -> dy * f'(x)
    public func backward(_ dy: Tensor, saved: Saved) -> Tensor {
        switch self {
        case .gelu: return activationBackward(dy, input: saved.input, derivative: geluExactDerivative)
        case .quickGelu: return activationBackward(dy, input: saved.input, derivative: quickGeluDerivative)
        case .silu: return activationBackward(dy, input: saved.input, derivative: siluDerivative)
        }
    }
}

extension Embedding {
    /// weightGradient [V, C] row ids[t] += dy[t] (rows whose id is negative are skipped: they
    /// were not looked up in the table, e.g. spliced image features).
    public func backward(_ dy: Tensor, ids: [Int], weightGradient: inout Tensor) {
        let width = self.width
        precondition(dy.rowCount == ids.count && dy.lastDimension == width, "embedding backward: dy \(dy.shape) for \(ids.count) ids")
        precondition(weightGradient.shape == weight.shape, "embedding gradient \(weightGradient.shape) for table \(weight.shape)")
        dy.storage.withUnsafeBufferPointer { g in
            weightGradient.storage.withUnsafeMutableBufferPointer { w in
                for (t, id) in ids.enumerated() where id >= 0 {
                    let (src, dst) = (g.baseAddress! + t * width, w.baseAddress! + id * width)
                    for c in 0..<width { dst[c] += src[c] }
                }
            }
        }
    }
}

// MARK: - SwiGLU MLP

extension SwiGLUMLP {
    public struct TrainingSaved: @unchecked Sendable {
        public let gate: Linear.TrainingSaved
        public let up: Linear.TrainingSaved
        public let down: Linear.TrainingSaved  // its input is silu(g) * u
        public let gateOutput: Tensor          // g [T, I]
        public let upOutput: Tensor            // u [T, I]
    }

    public struct Gradients: @unchecked Sendable {
        public var gate: LinearGradients
        public var up: LinearGradients
        public var down: LinearGradients

        public init(gate: LinearGradients, up: LinearGradients, down: LinearGradients) {
            self.gate = gate
            self.up = up
            self.down = down
        }
    }

    /// x [T, C] -> [T, C], keeping g, u and the linears' tapes.
    public func trainingForward(_ x: Tensor, generator: inout SeededGenerator) -> (output: Tensor, saved: TrainingSaved) {
        let (g, gateSaved) = gate.trainingForward(x, generator: &generator)
        let (u, upSaved) = up.trainingForward(x, generator: &generator)
        var hidden = g
        let n = hidden.count
        hidden.storage.withUnsafeMutableBufferPointer { h in
            u.storage.withUnsafeBufferPointer { upValues in
                let (hp, up) = (h.baseAddress!, upValues.baseAddress!)
                parallelFor(n, minimumChunk: 1 << 14) { range in
                    for i in range { hp[i] = silu(hp[i]) * up[i] }
                }
            }
        }
        let (y, downSaved) = down.trainingForward(hidden, generator: &generator)
        return (y, TrainingSaved(gate: gateSaved, up: upSaved, down: downSaved, gateOutput: g, upOutput: u))
    }

    /// dy [T, C] -> dx [T, C] accumulated into `dx`:
    ///   dh = dy W_down;  dg = dh * u * silu'(g);  du = dh * silu(g);  dx += dg W_gate + du W_up
    public func backward(_ dy: Tensor, saved: TrainingSaved, gradients: inout Gradients, inputGradient dx: inout Tensor?) {
        var dh: Tensor? = Tensor(zeros: saved.gateOutput.shape)
        down.backward(dy, saved: saved.down, gradients: &gradients.down, inputGradient: &dh)
        var dg = dh!
        dh = nil
        var du = Tensor(zeros: dg.shape)
        let n = dg.count
        dg.storage.withUnsafeMutableBufferPointer { dgp in
            du.storage.withUnsafeMutableBufferPointer { dup in
                saved.gateOutput.storage.withUnsafeBufferPointer { gp in
                    saved.upOutput.storage.withUnsafeBufferPointer { upp in
                        let (dgb, dub, gb, ub) = (dgp.baseAddress!, dup.baseAddress!, gp.baseAddress!, upp.baseAddress!)
                        parallelFor(n, minimumChunk: 1 << 14) { range in
                            for i in range {
                                let (gi, d) = (gb[i], dgb[i])
                                let s = sigmoid(gi)
                                dub[i] = d * gi * s
                                dgb[i] = d * ub[i] * s * (1 + gi * (1 - s))
                            }
                        }
                    }
                }
            }
        }
        gate.backward(dg, saved: saved.gate, gradients: &gradients.gate, inputGradient: &dx)
        up.backward(du, saved: saved.up, gradients: &gradients.up, inputGradient: &dx)
    }
}
