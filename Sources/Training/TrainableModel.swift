// The model as the trainer sees it: which tensors train (adapters, projector, or everything in
// the language model), their names, and a way to read and write them. The numerical work of a
// step is in TrainingStep.swift.
//
// Parameter names are transformers' in-memory names (PEFT's without "base_model.model." and
// ".default"), e.g. for llava-hf:
//   model.language_model.layers.0.self_attn.q_proj.lora_A.weight
//   model.multi_modal_projector.linear_1.weight / .bias
//   model.language_model.layers.0.mlp.up_proj.weight, model.language_model.embed_tokens.weight,
//   model.language_model.norm.weight, lm_head.weight                     (full tuning)
// haotian-liu/LLaVA models use model.layers.* and model.mm_projector.{0,2}.*; text-only
// LlamaForCausalLM models model.layers.*.

import Adapters
import Architectures
import Layers
import TensorCore

/// What trains.
public enum TuningMode: Sendable {
    /// Low-rank adapters on the language model's linears (keyed by module name in any LLaVA
    /// layout, e.g. "model.language_model.layers.0.self_attn.q_proj"), the frozen base weights
    /// of PiSSA/MiLoRA replaced by `residualWeights` (same keys, [out, in]); and the projector
    /// when `trainProjector` (LLaVA-1.5's LoRA recipe; ignored for text-only models).
    case adapters([String: LowRankAdapter], residualWeights: [String: Tensor] = [:], trainProjector: Bool = true)
    /// The projector alone (stage-1 pretraining).
    case projector
    /// Every language-model weight (embeddings, norms, linears, lm_head) and the projector.
    case full
}

/// Which optimizer group a parameter belongs to (the projector has its own learning rate).
public enum ParameterGroup: String, Sendable {
    case adapter, projector, languageModel, visionTower
}

/// An image of an example: preprocessed pixels [3, S, S], or the frozen tower's selected hidden
/// state [P, Cv] (what `TrainableModel.visionFeatures(pixels:)` returns; cache it per image
/// unless the tower trains, which needs the pixels).
public enum ImageInput: @unchecked Sendable {
    case pixels(Tensor)
    case visionFeatures(Tensor)
}

/// One training sequence. `inputIds` may hold -200 placeholders (one whole image each, as
/// LLaVA's tokenizer_image_token builds them) or, for llava-hf, image_token_index copies (one
/// feature row each). `labels` has one entry per id (-100 ignored; a placeholder's own label is
/// ignored and its P feature rows get -100). The loss predicts labels[t + 1] from position t.
public struct TrainingExample: @unchecked Sendable {
    public var inputIds: [Int]
    public var labels: [Int32]
    public var images: [ImageInput]

    public init(inputIds: [Int], labels: [Int32], images: [ImageInput] = []) {
        self.inputIds = inputIds
        self.labels = labels
        self.images = images
    }

    public init(inputIds: [Int], labels: [Int32], pixelValues: Tensor?) {
        self.init(inputIds: inputIds, labels: labels, images: pixelValues.map { [.pixels($0)] } ?? [])
    }
}

/// Wrong training input: messages name the example and say what to do.
public enum ModelTrainingError: Error, CustomStringConvertible, Equatable {
    case labelCount(example: Int, ids: Int, labels: Int)
    case tokenOutOfRange(example: Int, id: Int, vocabularySize: Int)
    case imageCount(example: Int, placeholders: Int, images: Int)
    case imagesWithoutVisionTower(example: Int)
    case visionFeatureShape(example: Int, expected: [Int], found: [Int])
    case unknownAdapterModule(name: String, available: [String])
    case residualShape(module: String, expected: [Int], found: [Int])
    case unknownParameter(name: String)
    case parameterShape(name: String, expected: [Int], found: [Int])
    case vision(example: Int, reason: String)
    case featuresForTrainableTower(example: Int)
    case visionTowerNotTrainable(reason: String)

    public var description: String {
        switch self {
        case let .labelCount(example, ids, labels):
            return "example \(example): \(ids) input ids but \(labels) labels; give one label per id (-100 to ignore)"
        case let .tokenOutOfRange(example, id, vocabularySize):
            return "example \(example): token id \(id) is outside the vocabulary of \(vocabularySize) (the image placeholder is -200)"
        case let .imageCount(example, placeholders, images):
            return "example \(example): \(placeholders) image placeholder(s) but \(images) image(s); give one image per <image>"
        case let .imagesWithoutVisionTower(example):
            return "example \(example): has images, but the model is a text-only language model"
        case let .visionFeatureShape(example, expected, found):
            return "example \(example): vision features of shape \(found), the projector needs \(expected)"
        case let .unknownAdapterModule(name, available):
            return "adapter module '\(name)' is not a linear of the language model (e.g. \(available.prefix(3).joined(separator: ", ")))"
        case let .residualShape(module, expected, found):
            return "residual weight of '\(module)' has shape \(found), the layer needs \(expected)"
        case let .unknownParameter(name):
            return "'\(name)' is not a trainable parameter of this model"
        case let .parameterShape(name, expected, found):
            return "parameter '\(name)' must have shape \(expected), got \(found)"
        case let .vision(example, reason):
            return "example \(example): \(reason)"
        case let .featuresForTrainableTower(example):
            return "example \(example): precomputed vision features were given, but the vision tower trains; give the pixels"
        case let .visionTowerNotTrainable(reason):
            return "the vision tower cannot train: \(reason)"
        }
    }
}

/// The trainable pieces; frozen parts of a LLaVA model (the CLIP tower, unless it trains) live
/// beside them.
struct TrainableParts {
    var language: LlamaModel
    var projector: Projector?
    /// The tower when it trains (LLaVA's --unfreeze-mm-vision-tower), with the hidden state it
    /// feeds to the projector and whether the CLS row is dropped.
    var tower: CLIPVisionTower? = nil
    var towerDepth = 0
    var dropsClassToken = true
}

/// One named trainable tensor: how to read and write it, and where its gradient is.
struct ParameterEntry {
    let name: String
    let group: ParameterGroup
    let read: (TrainableParts) -> Tensor
    let write: (inout TrainableParts, Tensor) -> Void
    let gradient: WritableKeyPath<ModelGradients, Tensor>
}

public struct TrainableModel: @unchecked Sendable {
    var parts: TrainableParts
    /// The LLaVA model with its language model and projector emptied (they live in `parts`,
    /// so weights are never held twice); nil for a text-only model.
    let visionShell: LlavaModel?
    public let mode: TuningMode
    let entries: [ParameterEntry]
    let entryIndex: [String: Int]
    /// Keep only each layer's input in the forward and recompute the layer in the backward.
    public var gradientCheckpointing = false

    /// A LLaVA model: what trains follows `mode`; the tower trains too when `trainVisionTower`
    /// (LLaVA's --unfreeze-mm-vision-tower: full tuning of a llava-hf model with one feature
    /// layer), otherwise it is frozen.
    public init(llava: LlavaModel, mode: TuningMode, trainVisionTower: Bool = false) throws {
        var shell = llava
        shell.language.layers = []
        shell.projector.linears = []
        var parts = TrainableParts(language: llava.language, projector: llava.projector)
        if trainVisionTower {
            parts.tower = try Self.trainableTower(llava, mode: mode)
            parts.towerDepth = llava.visionTower.hiddenStateIndex(llava.visionFeatureLayers[0])
            parts.dropsClassToken = llava.dropsClassToken
            shell.visionTower.layers = []  // held once, in `parts`
        }
        try self.init(parts: parts, shell: shell, layout: llava.layout, mode: mode)
    }

    /// A text-only LLaMA model (the paper's commonsense and math runs).
    public init(language: LlamaModel, mode: TuningMode) throws {
        try self.init(parts: TrainableParts(language: language, projector: nil), shell: nil, layout: nil, mode: mode)
    }

    private init(parts: TrainableParts, shell: LlavaModel?, layout: LlavaLayout?, mode: TuningMode) throws {
        var parts = parts
        var trainProjector = true
        switch mode {
        case let .adapters(modules, residuals, projector):
            trainProjector = projector
            try Self.install(modules, residuals: residuals, into: &parts.language)
        case .projector:
            break
        case .full:
            Self.densify(&parts.language)
        }
        if shell == nil { trainProjector = false }
        self.parts = parts
        visionShell = shell
        self.mode = mode
        entries = Self.makeEntries(parts, mode: mode, trainProjector: trainProjector, layout: layout,
                                   towerKeyPrefix: shell?.visionTowerKeyPrefix)
        entryIndex = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
    }

    // MARK: - Reading the model back

    public var language: LlamaModel { parts.language }
    public var projector: Projector? { parts.projector }

    /// The LLaVA model with the current weights (adapters attached), for evaluation or saving.
    public var llavaModel: LlavaModel? {
        guard var model = visionShell else { return nil }
        model.language = parts.language
        model.projector = parts.projector!
        if let tower = parts.tower { model.visionTower = tower }
        return model
    }

    /// True when the vision tower trains (then images must come as pixels).
    public var trainsVisionTower: Bool { parts.tower != nil }

    /// The adapters by module name (transformers' in-memory naming), for writing in PEFT format.
    public var adapterModules: [String: LowRankAdapter] {
        var out: [String: LowRankAdapter] = [:]
        for (name, path) in parts.language.namedLinears {
            if let adapter = parts.language[keyPath: path].adapter as? LowRankAdapter { out[name] = adapter }
        }
        return out
    }

    // MARK: - Parameters

    /// Names of the trainable tensors, in a fixed order (use it for clipping and optimizer
    /// state so that runs are reproducible).
    public var parameterNames: [String] { entries.map(\.name) }

    public func parameterGroup(of name: String) -> ParameterGroup? {
        entryIndex[name].map { entries[$0].group }
    }

    /// The trainable tensors by name (sharing storage with the model: no copy until written).
    public var parameters: [String: Tensor] {
        Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0.read(parts)) })
    }

    public func parameter(_ name: String) throws -> Tensor {
        guard let i = entryIndex[name] else { throw ModelTrainingError.unknownParameter(name: name) }
        return entries[i].read(parts)
    }

    /// Writes tensors back by name (any subset of `parameterNames`), shapes checked.
    public mutating func setParameters(_ values: [String: Tensor]) throws {
        for (name, value) in values {
            guard let i = entryIndex[name] else { throw ModelTrainingError.unknownParameter(name: name) }
            let current = entries[i].read(parts).shape
            guard current == value.shape else { throw ModelTrainingError.parameterShape(name: name, expected: current, found: value.shape) }
        }
        for name in values.keys.sorted() { entries[entryIndex[name]!].write(&parts, values[name]!) }
    }

    // MARK: - Images

    /// Number of feature rows per image (P), 0 for a text-only model.
    public var featuresPerImage: Int { visionShell?.featuresPerImage ?? 0 }

    /// The tower's selected hidden state [P, Cv] of preprocessed pixels [3, S, S]: the
    /// projector's input. Cache it per image when the tower is frozen.
    public func visionFeatures(pixels: Tensor) throws -> Tensor {
        // The shell's projector has no linears (an identity), so only the tower runs.
        guard var shell = visionShell else { throw ModelTrainingError.imagesWithoutVisionTower(example: 0) }
        if let tower = parts.tower { shell.visionTower = tower }
        return try shell.encodeImage(pixels).visionHidden
    }
}

// MARK: - Setup

extension TrainableModel {
    static func install(_ modules: [String: LowRankAdapter], residuals: [String: Tensor], into language: inout LlamaModel) throws {
        let linears = language.namedLinears
        var byCanonical: [String: WritableKeyPath<LlamaModel, Linear>] = [:]
        for (name, path) in linears { byCanonical[TargetModules.canonicalModuleName(name)] = path }
        func path(_ name: String) throws -> WritableKeyPath<LlamaModel, Linear> {
            guard let p = byCanonical[TargetModules.canonicalModuleName(name)] else {
                throw ModelTrainingError.unknownAdapterModule(name: name, available: linears.map(\.name))
            }
            return p
        }
        for (name, residual) in residuals {
            let p = try path(name)
            let shape = language[keyPath: p].weight.shape
            guard residual.shape == shape else { throw ModelTrainingError.residualShape(module: name, expected: shape, found: residual.shape) }
            language[keyPath: p].weight = WeightMatrix(residual)
        }
        for (name, adapter) in modules {
            let p = try path(name)
            do {
                try adapter.validate(againstBaseShape: language[keyPath: p].weight.shape, module: name)
            } catch {
                throw ModelTrainingError.parameterShape(name: name, expected: language[keyPath: p].weight.shape,
                                                        found: [adapter.outFeatures, adapter.inFeatures])
            }
            language[keyPath: p].adapter = adapter
        }
    }

    /// The tower of `llava` with every weight as owned f32, after checking it can train here.
    static func trainableTower(_ llava: LlavaModel, mode: TuningMode) throws -> CLIPVisionTower {
        guard case .full = mode else {
            throw ModelTrainingError.visionTowerNotTrainable(reason: "it trains only with full tuning (--tune full), which writes the whole model")
        }
        guard llava.visionTowerKeyPrefix != nil else {
            throw ModelTrainingError.visionTowerNotTrainable(reason: "the tower lives in a separate CLIP folder (haotian-liu/LLaVA layout); use a llava-hf model")
        }
        guard llava.visionFeatureLayers.count == 1 else {
            throw ModelTrainingError.visionTowerNotTrainable(reason: "the model reads \(llava.visionFeatureLayers.count) hidden states (vision_feature_layer \(llava.visionFeatureLayers)); one is supported")
        }
        var tower = llava.visionTower
        tower.patchEmbedding = WeightMatrix(tower.patchEmbedding.materialized())
        for i in tower.layers.indices {
            for path in [\CLIPEncoderLayer.qProj, \.kProj, \.vProj, \.outProj, \.mlp.fc1, \.mlp.fc2] {
                tower.layers[i][keyPath: path].weight = WeightMatrix(tower.layers[i][keyPath: path].weight.materialized())
            }
        }
        return tower
    }

    /// Full tuning: every language-model weight as owned f32 (mapped F16/BF16 widened once).
    static func densify(_ language: inout LlamaModel) {
        for (_, path) in language.namedLinears {
            language[keyPath: path].weight = WeightMatrix(language[keyPath: path].weight.materialized())
        }
        language.embedTokens.weight = WeightMatrix(language.embedTokens.weight.materialized())
        if language.configuration.tieWordEmbeddings {
            language.lmHead.weight = language.embedTokens.weight
        } else {
            language.lmHead.weight = WeightMatrix(language.lmHead.weight.materialized())
        }
    }
}
