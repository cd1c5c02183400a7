import Foundation
import SafeTensors
import TensorCore

// Using a PiSSA / MiLoRA result without our residual base.
//
// The trained adapter (A, B) is relative to the residual W_res = W - s B0 A0. PEFT's
// `save_pretrained(path_initial_model_for_weight_conversion=...)` (peft/tuners/lora/model.py
// `subtract_mutated_init`) rewrites it relative to the ORIGINAL W as a plain LoRA of rank 2R:
//   A' = cat([A, A0], dim 0) [2R, in],  B' = cat([B, -B0], dim 1) [out, 2R],  r and lora_alpha doubled,
// so s' = s and W + s B' A' = W_res + s B A.

extension AdapterSet {
    /// This (trained) adapter as a plain LoRA of rank 2R on the original base, given the
    /// adapter as initialised. rsLoRA is refused: doubling r would change alpha / sqrt(r).
    public func convertedToOriginalBase(initial: AdapterSet) throws -> AdapterSet {
        guard !config.useRSLoRA else {
            throw AdaptersError.unsupported("converting an rsLoRA adapter to the original base is not supported (its scale alpha/sqrt(r) changes when r doubles)")
        }
        guard Set(modules.keys) == Set(initial.modules.keys) else {
            let differing = Set(modules.keys).symmetricDifference(initial.modules.keys).sorted()
            throw AdaptersError.unsupported("the initial adapter adapts other modules than the trained one (e.g. \(differing.prefix(3).joined(separator: ", ")))")
        }
        var converted: [String: LowRankAdapter] = [:]
        for (name, trained) in modules {
            let start = initial.modules[name]!
            guard start.a.shape == trained.a.shape, start.b.shape == trained.b.shape else {
                throw AdaptersError.shapeMismatch(module: name, tensor: "initial lora_A/lora_B", expected: trained.a.shape + trained.b.shape,
                                                  found: start.a.shape + start.b.shape)
            }
            let r = trained.rank
            let (out, inFeatures) = (trained.outFeatures, trained.inFeatures)
            let a = Tensor(shape: [2 * r, inFeatures], storage: trained.a.storage + start.a.storage)
            var b = [Float](repeating: 0, count: out * 2 * r)
            for i in 0..<out {
                for j in 0..<r {
                    b[i * 2 * r + j] = trained.b.storage[i * r + j]
                    b[i * 2 * r + r + j] = -start.b.storage[i * r + j]
                }
            }
            converted[name] = LowRankAdapter(a: a, b: Tensor(shape: [out, 2 * r], storage: b), scale: trained.scale,
                                             dropout: trained.dropout)
        }
        var newConfig = config
        newConfig.rank *= 2
        newConfig.alpha *= 2
        newConfig.initLoraWeights = .flag(true)
        return AdapterSet(config: newConfig, modules: converted)
    }
}

/// Weight keys of a module as base checkpoints spell them, most common first.
public func checkpointWeightKeyCandidates(module: String) -> [String] {
    let canonical = TargetModules.canonicalModuleName(module)
    let tail = String(canonical.dropFirst("model.language_model.".count))
    guard canonical.hasPrefix("model.language_model.") else { return [module + ".weight"] }
    return ["language_model.model.\(tail).weight", "model.language_model.\(tail).weight", "model.\(tail).weight"]
}

/// The key of a module's weight in a checkpoint holding `names`, whichever layout it uses.
public func checkpointWeightKey(module: String, in names: Set<String>) -> String? {
    checkpointWeightKeyCandidates(module: module).first(where: names.contains)
}

/// Writes the residual base weights (W - s B0 A0) of the adapted modules, under the keys the
/// base checkpoint uses and in its dtype, so they can replace those tensors.
public func writeResidualWeights(_ residuals: [(key: String, weight: Tensor)], dtype: SafeTensorsDType = .f32,
                                 to path: String) throws {
    let records = residuals.map { TensorRecord(name: $0.key, tensor: $0.weight, dtype: dtype) }
    do {
        try SafeTensorsWriter.write(records, metadata: ["format": "pt"], to: path)
    } catch let error as SafeTensorsError {
        throw AdaptersError.io(path: path, reason: error.description)
    }
}
