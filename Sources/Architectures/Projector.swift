// Multimodal projector of LLaVA: haotian-liu/LLaVA llava/model/multimodal_projector/builder.py
// (`linear`, `mlp{N}x_gelu`: Linear, then N-1 times GELU + Linear; `identity`) and transformers'
// LlavaMultiModalProjector (linear_1, act, linear_2). GELU is the exact erf form (nn.GELU()).

import Layers
import TensorCore

public enum ProjectorType: Sendable, Equatable {
    case identity
    /// `linear` is depth 1; `mlp2x_gelu` depth 2.
    case mlp(depth: Int)

    /// Parse LLaVA's mm_projector_type.
    public init?(llavaName: String) {
        if llavaName == "identity" { self = .identity; return }
        if llavaName == "linear" { self = .mlp(depth: 1); return }
        guard llavaName.hasPrefix("mlp"), llavaName.hasSuffix("x_gelu"),
              let depth = Int(llavaName.dropFirst(3).dropLast(6)), depth >= 1 else { return nil }
        self = .mlp(depth: depth)
    }
}

public struct Projector: @unchecked Sendable {
    /// Linear layers in order; an activation sits between consecutive ones.
    public var linears: [Linear]
    public var activation: Activation

    /// features [P, Cv] -> [P, C]
    public func forward(_ x: Tensor) -> Tensor {
        var h = x
        for (i, linear) in linears.enumerated() {
            if i > 0 { h = activation(h) }
            h = linear(h)
        }
        return h
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { forward(x) }

    // MARK: - Weight mapping

    /// haotian-liu/LLaVA: `model.mm_projector.weight/bias` (linear) or
    /// `model.mm_projector.{0,2,4,...}.weight/bias` (Sequential with GELUs at odd indices).
    static func loadOriginal(_ type: ProjectorType, visionWidth: Int, textWidth: Int, from source: WeightSource) -> Projector {
        switch type {
        case .identity:
            return Projector(linears: [], activation: .gelu)
        case .mlp(1):
            return Projector(linears: [linear("model.mm_projector", textWidth, visionWidth, bias: true, source)], activation: .gelu)
        case let .mlp(depth):
            let linears = (0..<depth).map { i in
                linear("model.mm_projector.\(2 * i)", textWidth, i == 0 ? visionWidth : textWidth, bias: true, source)
            }
            return Projector(linears: linears, activation: .gelu)
        }
    }

    /// llava-hf: `{prefix}multi_modal_projector.linear_1/linear_2.weight/bias`.
    static func loadHuggingFace(prefix: String, inputWidth: Int, textWidth: Int, bias: Bool, activation: Activation,
                                from source: WeightSource) -> Projector {
        Projector(linears: [linear(prefix + "multi_modal_projector.linear_1", textWidth, inputWidth, bias: bias, source),
                            linear(prefix + "multi_modal_projector.linear_2", textWidth, textWidth, bias: bias, source)],
                  activation: activation)
    }

    private static func linear(_ key: String, _ out: Int, _ inp: Int, bias: Bool, _ source: WeightSource) -> Linear {
        Linear(weight: source.matrix(key + ".weight", shape: [out, inp]), bias: bias ? source.tensor(key + ".bias", shape: [out]) : nil)
    }
}
