import TensorCore

/// Elementwise activations by their transformers names (ACT2FN keys).
public enum Activation: String, Sendable, Codable {
    /// x/2 (1 + erf(x / sqrt 2)): nn.GELU(), LLaVA's projector
    case gelu
    /// x sigmoid(1.702 x): CLIP
    case quickGelu = "quick_gelu"
    /// x sigmoid(x): LLaMA
    case silu

    public struct Saved {
        public let input: Tensor
    }

    /// x (any shape) -> same shape
    public func forward(_ x: Tensor) -> (output: Tensor, saved: Saved) {
        (callAsFunction(x), Saved(input: x))
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .gelu: return TensorCore.gelu(x)
        case .quickGelu: return TensorCore.quickGelu(x)
        case .silu: return TensorCore.silu(x)
        }
    }
}
