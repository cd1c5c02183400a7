import TensorCore

/// torch.nn.LayerNorm over the last dimension (CLIP).
public struct LayerNorm: Sendable {
    public var weight: Tensor  // [C]
    public var bias: Tensor    // [C]
    public var eps: Float

    public struct Saved {
        public let input: Tensor
        public let statistics: NormStatistics
    }

    public init(weight: Tensor, bias: Tensor, eps: Float) {
        self.weight = weight
        self.bias = bias
        self.eps = eps
    }

    /// x [T, C] -> [T, C]
    public func forward(_ x: Tensor) -> (output: Tensor, saved: Saved) {
        let (y, stats) = layerNorm(x, weight: weight, bias: bias, eps: eps)
        return (y, Saved(input: x, statistics: stats))
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { forward(x).output }
}

/// LLaMA's RMSNorm (transformers' LlamaRMSNorm).
public struct RMSNorm: Sendable {
    public var weight: Tensor  // [C]
    public var eps: Float

    public struct Saved {
        public let input: Tensor
        public let statistics: NormStatistics
    }

    public init(weight: Tensor, eps: Float) {
        self.weight = weight
        self.eps = eps
    }

    /// x [T, C] -> [T, C]
    public func forward(_ x: Tensor) -> (output: Tensor, saved: Saved) {
        let (y, stats) = rmsNorm(x, weight: weight, eps: eps)
        return (y, Saved(input: x, statistics: stats))
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { forward(x).output }
}
