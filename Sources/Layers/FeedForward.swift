import TensorCore

/// LLaMA's MLP: down(silu(gate(x)) * up(x)) (transformers' LlamaMLP).
public struct SwiGLUMLP: @unchecked Sendable {
    public var gate: Linear  // [I, C]
    public var up: Linear    // [I, C]
    public var down: Linear  // [C, I]

    public struct Saved {
        public let gate: Linear.Saved
        public let up: Linear.Saved
        public let down: Linear.Saved
        public let gateOutput: Tensor  // [T, I] before silu
        public let upOutput: Tensor    // [T, I]
    }

    public init(gate: Linear, up: Linear, down: Linear) {
        self.gate = gate
        self.up = up
        self.down = down
    }

    /// x [T, C] -> [T, C]
    public func forward(_ x: Tensor) -> (output: Tensor, saved: Saved) {
        let (g, gateSaved) = gate.forwardSaving(x)
        let (u, upSaved) = up.forwardSaving(x)
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
        let (y, downSaved) = down.forwardSaving(hidden)
        return (y, Saved(gate: gateSaved, up: upSaved, down: downSaved, gateOutput: g, upOutput: u))
    }
}

/// CLIP's MLP: fc2(act(fc1(x))) (transformers' CLIPMLP).
public struct TwoLayerMLP: @unchecked Sendable {
    public var fc1: Linear  // [I, C]
    public var fc2: Linear  // [C, I]
    public var activation: Activation

    public struct Saved {
        public let fc1: Linear.Saved
        public let activation: Activation.Saved
        public let fc2: Linear.Saved
    }

    public init(fc1: Linear, fc2: Linear, activation: Activation) {
        self.fc1 = fc1
        self.fc2 = fc2
        self.activation = activation
    }

    /// x [T, C] -> [T, C_out]
    public func forward(_ x: Tensor) -> (output: Tensor, saved: Saved) {
        let (h, s1) = fc1.forwardSaving(x)
        let (a, s2) = activation.forward(h)
        let (y, s3) = fc2.forwardSaving(a)
        return (y, Saved(fc1: s1, activation: s2, fc2: s3))
    }
}
