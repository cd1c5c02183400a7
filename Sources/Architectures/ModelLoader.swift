import Foundation
import Layers

/// What a model folder holds.
public enum LoadedModel: @unchecked Sendable {
    case llava(LlavaModel)
    case llama(LlamaModel)
    case visionTower(CLIPVisionTower)
}

/// Opens model folders: reads config.json, picks the architecture and the key layout, and loads
/// the weights strictly (one error lists every missing, unexpected and mis-shaped tensor).
/// Weights stay memory-mapped in their file dtype (F32/F16/BF16) and are widened to f32 when
/// used; norm weights, biases and position embeddings are converted to f32 at load.
public enum ModelLoader {
    public static func load(folder: String) throws -> LoadedModel {
        let configPath = folder + "/config.json"
        let probe = try ConfigFile.decode(ConfigProbe.self, path: configPath)
        switch probe.modelType {
        case "llava" where probe.hasVisionTowerPath && !probe.hasVisionConfig, "llava_llama":
            return .llava(try loadOriginalLlava(folder: folder))
        case "llava":
            return .llava(try loadHuggingFaceLlava(folder: folder))
        case "llama":
            return .llama(try loadLlama(folder: folder))
        case "clip", "clip_vision_model":
            return .visionTower(try loadCLIPVision(folder: folder))
        default:
            throw ArchitecturesError.unknownModelType(path: configPath, modelType: probe.modelType ?? "(missing)")
        }
    }

    /// A plain LlamaForCausalLM folder.
    public static func loadLlama(folder: String) throws -> LlamaModel {
        let config = try ConfigFile.decode(LlamaConfiguration.self, path: folder + "/config.json")
        let source = try WeightSource(path: folder)
        let model = LlamaModel.load(config, from: source, keys: .causalLM, modulePrefix: "model.")
        try throwIfMismatched([source.finish()])
        return model
    }

    /// A CLIP folder: CLIPModel (text tower ignored) or CLIPVisionModel, keys with or without
    /// the `vision_model.` prefix.
    public static func loadCLIPVision(folder: String) throws -> CLIPVisionTower {
        let config = try ConfigFile.decode(CLIPFolderConfiguration.self, path: folder + "/config.json").vision
        let source = try WeightSource(path: folder, ignoring: isCLIPModelOnly)
        let prefix = CLIPVisionTower.detectPrefix(in: source, candidates: ["vision_model.", ""])
        let tower = CLIPVisionTower.load(config, from: source, prefix: prefix)
        try throwIfMismatched([source.finish()])
        return tower
    }

    public static func loadHuggingFaceLlava(folder: String) throws -> LlavaModel {
        let config = try ConfigFile.decode(LlavaConfiguration.self, path: folder + "/config.json")
        let source = try WeightSource(path: folder)
        let textKeys: LlamaKeys = source.contains(LlamaKeys.llavaInMemory.decoder + "embed_tokens.weight") ? .llavaInMemory : .llavaFile
        let visionPrefix = CLIPVisionTower.detectPrefix(in: source, candidates: [
            "vision_tower.", "vision_tower.vision_model.", "model.vision_tower.vision_model.", "model.vision_tower."])
        let projectorPrefix = source.contains("model.multi_modal_projector.linear_1.weight") ? "model." : ""
        let tower = CLIPVisionTower.load(config.vision, from: source, prefix: visionPrefix)
        let projector = Projector.loadHuggingFace(
            prefix: projectorPrefix, inputWidth: config.vision.hiddenSize * config.visionFeatureLayers.count,
            textWidth: config.text.hiddenSize, bias: config.projectorBias, activation: config.projectorActivation, from: source)
        let language = LlamaModel.load(config.text, from: source, keys: textKeys, modulePrefix: "model.language_model.")
        try throwIfMismatched([source.finish()])
        return LlavaModel(layout: .huggingFace, visionTower: tower, visionFeatureLayers: config.visionFeatureLayers,
                          dropsClassToken: config.dropsClassToken, projector: projector, language: language,
                          imageTokenIndex: config.imageTokenIndex, preprocessorFolder: folder, imageAspectRatio: nil,
                          visionTowerKeyPrefix: visionPrefix)
    }

    public static func loadOriginalLlava(folder: String) throws -> LlavaModel {
        let configPath = folder + "/config.json"
        let config = try ConfigFile.decode(OriginalLlavaConfiguration.self, path: configPath)
        let clipFolder = try resolveVisionTower(config.visionTower, modelFolder: folder)
        let visionConfig = try ConfigFile.decode(CLIPFolderConfiguration.self, path: clipFolder + "/config.json").vision
        let layers = visionConfig.layerCount
        guard (-(layers + 1)...layers).contains(config.selectLayer) else {
            throw ArchitecturesError.invalidConfig(path: configPath, key: "mm_vision_select_layer",
                                                   reason: "\(config.selectLayer) does not index the hidden states of the \(layers)-layer tower in \(clipFolder)")
        }
        if let width = config.visionWidth, width != visionConfig.hiddenSize {
            throw ArchitecturesError.invalidConfig(path: configPath, key: "mm_hidden_size",
                                                   reason: "\(width) differs from the width \(visionConfig.hiddenSize) of the tower in \(clipFolder)")
        }
        // The tower comes from the CLIP folder, as LLaVA's builder loads it; copies of it that
        // some checkpoints carry under model.vision_tower are not used.
        let source = try WeightSource(path: folder, ignoring: { $0.hasPrefix("model.vision_tower.") })
        let clipSource = try WeightSource(path: clipFolder, ignoring: isCLIPModelOnly)
        let tower = CLIPVisionTower.load(visionConfig, from: clipSource,
                                         prefix: CLIPVisionTower.detectPrefix(in: clipSource, candidates: ["vision_model.", ""]))
        let projector = Projector.loadOriginal(config.projectorType, visionWidth: visionConfig.hiddenSize,
                                               textWidth: config.text.hiddenSize, from: source)
        let language = LlamaModel.load(config.text, from: source, keys: .causalLM, modulePrefix: "model.")
        try throwIfMismatched([source.finish(), clipSource.finish()])
        return LlavaModel(layout: .original, visionTower: tower, visionFeatureLayers: [config.selectLayer],
                          dropsClassToken: config.dropsClassToken, projector: projector, language: language,
                          imageTokenIndex: nil, preprocessorFolder: clipFolder, imageAspectRatio: config.imageAspectRatio)
    }

    /// mm_vision_tower as an absolute path, or relative to the model folder.
    static func resolveVisionTower(_ tower: String, modelFolder: String) throws -> String {
        let candidate = tower.hasPrefix("/") ? tower : modelFolder + "/" + tower
        let standardized = URL(fileURLWithPath: candidate).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: standardized + "/config.json") else {
            throw ArchitecturesError.missingVisionTower(modelPath: modelFolder, visionTower: tower, tried: [standardized])
        }
        return standardized
    }

    /// Tensors of a full CLIPModel that the vision tower does not use.
    static func isCLIPModelOnly(_ key: String) -> Bool {
        key.hasPrefix("text_model.") || key == "text_projection.weight" || key == "visual_projection.weight" || key == "logit_scale"
    }
}

/// Just enough of config.json to choose an architecture.
struct ConfigProbe: Decodable {
    var modelType: String?
    var hasVisionConfig: Bool
    var hasVisionTowerPath: Bool

    enum CodingKeys: String, CodingKey { case modelType = "model_type", visionConfig = "vision_config", visionTower = "mm_vision_tower" }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType)
        hasVisionConfig = c.hasValue(.visionConfig)
        hasVisionTowerPath = c.hasValue(.visionTower)
    }
}
