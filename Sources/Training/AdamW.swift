#if canImport(Glibc)
import Glibc
#endif
import TensorCore

/// AdamW with PyTorch's semantics (torch.optim.AdamW, single-tensor path):
///   p  <- p * (1 - lr * weight_decay)                 decoupled decay, before the moments
///   m  <- beta1 m + (1 - beta1) g
///   v  <- beta2 v + (1 - beta2) g^2
///   p  <- p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
/// with a step count t per parameter (as PyTorch keeps one per parameter state).
public struct AdamW: Sendable {
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float

    /// Per-parameter state, keyed by parameter name.
    public struct Moments: Sendable, Equatable {
        public var step: Int
        public var first: [Float]
        public var second: [Float]
    }
    public private(set) var state: [String: Moments] = [:]

    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// One update of `parameter` from `gradient`.
    public mutating func update(_ parameter: inout Tensor, name: String, gradient: Tensor,
                                learningRate: Float, weightDecay: Float = 0) {
        precondition(parameter.shape == gradient.shape, "\(name): gradient \(gradient.shape) for parameter \(parameter.shape)")
        let n = parameter.count
        var moments = state[name] ?? Moments(step: 0, first: .init(repeating: 0, count: n), second: .init(repeating: 0, count: n))
        moments.step += 1
        // Scalars in f64 as PyTorch computes them (Python floats), rounded once to f32 on use.
        let t = Double(moments.step)
        let biasCorrection1 = 1 - pow(Double(beta1), t)
        let biasCorrection2Root = Float((1 - pow(Double(beta2), t)).squareRoot())
        let stepSize = Float(Double(learningRate) / biasCorrection1)
        let decay = Float(1 - Double(learningRate) * Double(weightDecay))
        let (oneMinusB1, b2, oneMinusB2, eps) = (Float(1 - Double(beta1)), beta2, Float(1 - Double(beta2)), epsilon)
        parameter.storage.withUnsafeMutableBufferPointer { p in
            gradient.storage.withUnsafeBufferPointer { g in
                moments.first.withUnsafeMutableBufferPointer { m in
                    moments.second.withUnsafeMutableBufferPointer { v in
                        for i in 0..<n {
                            if weightDecay != 0 { p[i] *= decay }
                            m[i] += oneMinusB1 * (g[i] - m[i])          // exp_avg.lerp_(grad, 1 - beta1)
                            v[i] = b2 * v[i] + oneMinusB2 * (g[i] * g[i])
                            let denominator = v[i].squareRoot() / biasCorrection2Root + eps
                            p[i] -= stepSize * m[i] / denominator
                        }
                    }
                }
            }
        }
        state[name] = moments
    }

    /// Replace the state (checkpoint resume); shapes are checked on the next update.
    public mutating func restore(_ saved: [String: Moments]) { state = saved }
}

/// torch.nn.utils.clip_grad_norm_ (norm type 2): the global norm over all gradients, and every
/// gradient multiplied by min(1, maxNorm / (norm + 1e-6)). Returns the norm before clipping.
/// `maxNorm <= 0` disables clipping (the norm is still returned, for logging).
@discardableResult
public func clipGradientNorm(_ gradients: inout [Tensor], maxNorm: Float) -> Float {
    var squares = 0.0
    for g in gradients { for x in g.storage { squares += Double(x) * Double(x) } }
    let norm = Float(squares.squareRoot())
    guard maxNorm > 0 else { return norm }
    let coefficient = min(1, maxNorm / (norm + 1e-6))
    for i in gradients.indices { gradients[i].scale(by: coefficient) }
    return norm
}
