import Foundation
import Layers
import SafeTensors
import TensorCore

/// The projector's tensors by transformers' in-memory names, for LLaVA's
/// `non_lora_trainables` file: a LoRA run also trains the projector, and evaluation must load it
/// beside the adapter. llava-hf: `model.multi_modal_projector.linear_{1,2}.{weight,bias}`;
/// haotian-liu/LLaVA: `model.mm_projector.{0,2}.{weight,bias}` (`model.mm_projector.*` when
/// linear). LLaVA's own files prefix the names with `base_model.model.`; that is accepted too.
public let projectorWeightsFileName = "non_lora_trainables.safetensors"

extension LlavaModel {
    /// In-memory name prefix of each projector linear.
    public var projectorModuleNames: [String] {
        switch layout {
        case .huggingFace: return projector.linears.indices.map { "model.multi_modal_projector.linear_\($0 + 1)" }
        case .original:
            if projector.linears.count == 1 { return ["model.mm_projector"] }
            return projector.linears.indices.map { "model.mm_projector.\(2 * $0)" }
        }
    }

    /// The projector's weights and biases by in-memory name.
    public var projectorTensors: [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, linear) in zip(projectorModuleNames, projector.linears) {
            out[name + ".weight"] = linear.weight.materialized()
            if let bias = linear.bias { out[name + ".bias"] = bias }
        }
        return out
    }

    /// Replace the projector's weights with those in a safetensors file (every projector
    /// tensor must be there, with its shape).
    public mutating func loadProjector(from path: String) throws {
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(path: path) } catch {
            throw ArchitecturesError.invalidConfig(path: path, key: "non_lora_trainables", reason: "\(error)")
        }
        func find(_ name: String) -> String? {
            [name, "base_model.model." + name].first(where: file.contains)
        }
        for (i, name) in projectorModuleNames.enumerated() {
            guard let key = find(name + ".weight") else {
                throw ArchitecturesError.invalidConfig(path: path, key: name + ".weight", reason: "the projector weight is missing")
            }
            let weight = try file.tensor(key)
            guard weight.shape == projector.linears[i].weight.shape else {
                throw ArchitecturesError.invalidConfig(path: path, key: key, reason: "shape \(weight.shape), the projector needs \(projector.linears[i].weight.shape)")
            }
            projector.linears[i].weight = WeightMatrix(weight)
            if projector.linears[i].bias != nil {
                guard let biasKey = find(name + ".bias") else {
                    throw ArchitecturesError.invalidConfig(path: path, key: name + ".bias", reason: "the projector bias is missing")
                }
                projector.linears[i].bias = try file.tensor(biasKey)
            }
        }
    }
}
