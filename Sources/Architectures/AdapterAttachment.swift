// Attaching low-rank adapters to a loaded model by module name, as PEFT's
// `PeftModel.from_pretrained` (and `merge_and_unload`) does for a LoRA folder, and initialising
// fresh adapters on a model (LoRA, PiSSA, MiLoRA and the ablations) for `vlm-tune --max-steps 0`.
//
// A PiSSA/MiLoRA adapter is trained against the residual base W - s B0 A0. Its folder then holds
// `residual_weights.safetensors` (keys in any of the three layouts' spellings); when present, the
// residuals replace the base weights of the adapted modules before the adapter is attached. A
// converted (rank-2R) adapter needs no residual: it applies to the original base.

import Adapters
import Foundation
import Layers
import SafeTensors
import TensorCore

/// A model whose language-model linears can be reached by module path.
public protocol AdapterHost {
    var namedLinears: [(name: String, path: WritableKeyPath<Self, Linear>)] { get }
}

extension LlamaModel: AdapterHost {}
extension LlavaModel: AdapterHost {}

/// How an adapter joins its linear layer.
public enum AdapterApplicationMode: String, Sendable, CaseIterable {
    /// `Linear.adapter` computes the low-rank branch beside the frozen base (trainable, unmergeable).
    case attach
    /// W += s B A in place (an f32 copy of each adapted weight); no adapter remains.
    case merge
}

/// The file beside adapter_config.json that holds the residual bases of a PiSSA/MiLoRA run.
public let residualWeightsFileName = "residual_weights.safetensors"

/// Adapters just initialised on a model, with the residual bases that now replace its weights.
public struct InitializedAdapters: Sendable {
    public var adapters: AdapterSet
    /// Canonical module name -> W - s B0 A0 [out, in]; empty for lora/gaussian.
    public var residuals: [String: Tensor]

    public init(adapters: AdapterSet, residuals: [String: Tensor]) {
        self.adapters = adapters
        self.residuals = residuals
    }

    /// Writes the PEFT folder and, for SVD inits, `residual_weights.safetensors` keyed
    /// `<module>.weight` with the module names of `host` (so the model's own layout).
    public func write(to folder: String, moduleNames: [String] = [], metadata: [String: String] = [:]) throws {
        try adapters.write(to: folder, metadata: metadata)
        guard !residuals.isEmpty else { return }
        let spelled = Dictionary(moduleNames.map { (TargetModules.canonicalModuleName($0), $0) }, uniquingKeysWith: { a, _ in a })
        let records = residuals.keys.sorted().map { ((spelled[$0] ?? $0) + ".weight", residuals[$0]!) }
        try writeResidualWeights(records, to: (folder as NSString).appendingPathComponent(residualWeightsFileName))
    }
}

extension AdapterHost {
    /// [out, in] of every adaptable linear, keyed by the model's module name.
    public var linearShapes: [String: [Int]] {
        Dictionary(namedLinears.map { ($0.name, self[keyPath: $0.path].weight.shape) }, uniquingKeysWith: { a, _ in a })
    }

    /// Canonical module name -> key path.
    private var canonicalLinearPaths: [String: WritableKeyPath<Self, Linear>] {
        Dictionary(namedLinears.map { (TargetModules.canonicalModuleName($0.name), $0.path) }, uniquingKeysWith: { a, _ in a })
    }

    /// Reads a PEFT LoRA folder (and its residual file and projector weights, if any) and applies it.
    /// Returns the adapter set that was applied.
    @discardableResult
    public mutating func applyAdapter(folder: String, mode: AdapterApplicationMode = .attach) throws -> AdapterSet {
        let set = try AdapterSet.read(from: folder)
        let residualPath = (folder as NSString).appendingPathComponent(residualWeightsFileName)
        let residuals = FileManager.default.fileExists(atPath: residualPath) ? try readResidualWeights(residualPath) : [:]
        try applyAdapters(set, residuals: residuals, mode: mode)
        // A LLaVA LoRA run also trains the projector (LLaVA's non_lora_trainables).
        let projectorPath = (folder as NSString).appendingPathComponent(projectorWeightsFileName)
        if FileManager.default.fileExists(atPath: projectorPath), var llava = self as? LlavaModel {
            try llava.loadProjector(from: projectorPath)
            self = llava as! Self
        }
        return set
    }

    /// Applies `set` by module name (any of the three key styles). Every adapter must name a
    /// linear of this model with a fitting [out, in] weight; residuals (canonical module name ->
    /// weight) replace the base weights first and must name adapted modules with the same shape.
    public mutating func applyAdapters(_ set: AdapterSet, residuals: [String: WeightMatrix] = [:],
                                       mode: AdapterApplicationMode = .attach) throws {
        let paths = canonicalLinearPaths
        try set.validate(againstBase: linearShapes)
        for (name, residual) in residuals {
            guard let path = paths[name], set.modules[name] != nil else {
                throw AdaptersError.unsupported("\(residualWeightsFileName): '\(name)' is not a module the adapter adapts; the residual file belongs to another adapter")
            }
            let shape = self[keyPath: path].weight.shape
            guard residual.shape == shape else {
                throw AdaptersError.shapeMismatch(module: name, tensor: "residual weight", expected: shape, found: residual.shape)
            }
        }
        for name in set.modules.keys.sorted() {
            let path = paths[name]!
            let adapter = set.modules[name]!
            if let residual = residuals[name] { self[keyPath: path].weight = residual }
            switch mode {
            case .attach:
                self[keyPath: path].adapter = adapter
            case .merge:
                var weight = self[keyPath: path].weight.materialized()
                adapter.merge(into: &weight)
                self[keyPath: path].weight = WeightMatrix(weight)
                self[keyPath: path].adapter = nil
            }
        }
    }

    /// Initialises adapters on the target linears (nil: every linear of the language model
    /// except lm_head; else PEFT-style names such as q_proj), attaches them, and for the SVD
    /// inits replaces each base weight by its residual, so the model's output is unchanged.
    /// `prefetch`: on a cache miss also decompose the `prefetch` largest and smallest triplets,
    /// so a later run with another rank (up to it) or the other SVD init recomputes nothing.
    public mutating func initializeAdapters(settings: AdapterSettings, targets: [String]? = nil,
                                            cache: DecompositionCache? = nil, prefetch: Int = 0,
                                            progress: (InitializationProgress) -> Void = { _ in }) throws -> InitializedAdapters {
        let modules = try TargetModules.select(from: namedLinears.map(\.name), targets: targets)
        let paths = canonicalLinearPaths
        let weights = modules.map { module -> NamedWeight in
            let matrix = self[keyPath: paths[module]!].weight
            return NamedWeight(name: module, shape: matrix.shape) { matrix.materialized() }
        }
        let initialized = try initializeModules(weights, settings: settings, cache: cache, prefetch: prefetch, progress: progress)
        var adapters: [String: LowRankAdapter] = [:]
        var residuals: [String: Tensor] = [:]
        for (name, module) in initialized {
            adapters[name] = module.adapter
            if let residual = module.residualWeight {
                residuals[name] = residual
                self[keyPath: paths[name]!].weight = WeightMatrix(residual)
            }
            self[keyPath: paths[name]!].adapter = module.adapter
        }
        let set = AdapterSet(config: PEFTAdapterConfig(settings: settings, modules: modules), modules: adapters)
        return InitializedAdapters(adapters: set, residuals: residuals)
    }

    /// Removes every attached adapter (base weights stay as they are).
    public mutating func detachAdapters() {
        for (_, path) in namedLinears { self[keyPath: path].adapter = nil }
    }
}

/// Residual bases keyed by canonical module name, kept memory-mapped in their file dtype.
public func readResidualWeights(_ path: String) throws -> [String: WeightMatrix] {
    let file: SafeTensorsFile
    do { file = try SafeTensorsFile(path: path) } catch let error as SafeTensorsError {
        throw AdaptersError.io(path: path, reason: error.description)
    }
    var out: [String: WeightMatrix] = [:]
    for info in file.tensors {
        guard info.name.hasSuffix(".weight"), info.shape.count == 2 else {
            throw AdaptersError.unsupported("\(path): '\(info.name)' is not a [out, in] linear weight; a residual file holds only the adapted modules' weights")
        }
        let module = TargetModules.canonicalModuleName(String(info.name.dropLast(".weight".count)))
        guard let type = WeightElementType(rawValue: info.dtype.rawValue) else {
            throw AdaptersError.unsupported("\(path): '\(info.name)' is \(info.dtype.rawValue); residual weights must be F32, F16 or BF16")
        }
        do {
            let raw = try file.rawBytes(info.name)
            guard let base = raw.baseAddress else { throw AdaptersError.io(path: path, reason: "'\(info.name)' is empty") }
            out[module] = WeightMatrix(mapped: base, type: type, shape: info.shape, owner: file)
        } catch let error as SafeTensorsError {
            throw AdaptersError.io(path: path, reason: error.description)
        }
    }
    return out
}
