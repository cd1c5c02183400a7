// Configurations of the two LLaVA checkpoint layouts:
//   - llava-hf (transformers' LlavaConfig, model_type "llava"): nested text_config and
//     vision_config, image_token_index, vision_feature_layer, vision_feature_select_strategy,
//     projector_hidden_act, multimodal_projector_bias.
//   - haotian-liu/LLaVA (llava/model/language_model/llava_llama.py, model_type "llava_llama"):
//     LLaMA keys at the top level plus mm_vision_tower (a separate CLIP folder),
//     mm_projector_type, mm_vision_select_layer, mm_vision_select_feature, mm_hidden_size,
//     image_aspect_ratio.

import Layers

public struct LlavaConfiguration: Decodable, Sendable {
    public var text: LlamaConfiguration
    public var vision: CLIPVisionConfiguration
    public var imageTokenIndex = 32000
    /// Hidden-state indices of the vision tower, concatenated along features when several.
    public var visionFeatureLayers = [-2]
    /// "default" drops the CLS token, "full" keeps it.
    public var dropsClassToken = true
    public var projectorActivation = Activation.gelu
    public var projectorBias = true

    enum CodingKeys: String, CodingKey {
        case text = "text_config", vision = "vision_config", imageTokenIndex = "image_token_index"
        case imageTokenId = "image_token_id", visionFeatureLayer = "vision_feature_layer"
        case strategy = "vision_feature_select_strategy", projectorAct = "projector_hidden_act"
        case projectorBias = "multimodal_projector_bias", tieWordEmbeddings = "tie_word_embeddings"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        text = try c.decodeIfPresent(LlamaConfiguration.self, forKey: .text) ?? LlamaConfiguration()
        vision = try c.decodeIfPresent(CLIPVisionConfiguration.self, forKey: .vision) ?? .llavaDefault
        if let tied = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) { text.tieWordEmbeddings = tied }
        imageTokenIndex = try c.decodeIfPresent(Int.self, forKey: .imageTokenIndex)
            ?? c.decodeIfPresent(Int.self, forKey: .imageTokenId) ?? imageTokenIndex
        if let list = try? c.decodeIfPresent([Int].self, forKey: .visionFeatureLayer) {
            visionFeatureLayers = list
        } else if let layer = try c.decodeIfPresent(Int.self, forKey: .visionFeatureLayer) {
            visionFeatureLayers = [layer]
        }
        let layerCount = vision.layerCount
        guard !visionFeatureLayers.isEmpty, visionFeatureLayers.allSatisfy({ (-(layerCount + 1)...layerCount).contains($0) }) else {
            throw ConfigValueError(key: "vision_feature_layer", reason: "\(visionFeatureLayers) must index hidden states of a \(layerCount)-layer tower")
        }
        let strategy = try c.value(.strategy, default: "default")
        guard strategy == "default" || strategy == "full" else {
            throw ConfigValueError(key: "vision_feature_select_strategy", reason: "'\(strategy)' is not 'default' or 'full'")
        }
        dropsClassToken = strategy == "default"
        let act = try c.value(.projectorAct, default: "gelu")
        guard let activation = Activation(rawValue: act) else {
            throw ConfigValueError(key: "projector_hidden_act", reason: "'\(act)' is not supported (gelu, quick_gelu, silu)")
        }
        projectorActivation = activation
        projectorBias = try c.value(.projectorBias, default: true)
        guard (0..<text.vocabularySize).contains(imageTokenIndex) else {
            throw ConfigValueError(key: "image_token_index", reason: "\(imageTokenIndex) is outside the vocabulary of \(text.vocabularySize)")
        }
    }
}

public struct OriginalLlavaConfiguration: Decodable, Sendable {
    public var text: LlamaConfiguration
    /// Path or hub name of the CLIP folder.
    public var visionTower: String
    public var projectorType: ProjectorType
    public var selectLayer: Int
    /// "patch" drops the CLS token, "cls_patch" keeps it.
    public var dropsClassToken: Bool
    public var visionWidth: Int?
    /// "pad" (expand to square with the mean colour) or another value (plain resize and crop).
    public var imageAspectRatio: String?
    public var useImageStartEnd: Bool

    enum CodingKeys: String, CodingKey {
        case visionTower = "mm_vision_tower", projectorType = "mm_projector_type", selectLayer = "mm_vision_select_layer"
        case selectFeature = "mm_vision_select_feature", visionWidth = "mm_hidden_size"
        case imageAspectRatio = "image_aspect_ratio", useImageStartEnd = "mm_use_im_start_end"
    }

    public init(from decoder: Decoder) throws {
        text = try LlamaConfiguration(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        visionTower = try c.decode(String.self, forKey: .visionTower)
        let name = try c.value(.projectorType, default: "linear")
        guard let type = ProjectorType(llavaName: name) else {
            throw ConfigValueError(key: "mm_projector_type", reason: "'\(name)' is not linear, identity or mlp<N>x_gelu")
        }
        projectorType = type
        selectLayer = try c.decode(Int.self, forKey: .selectLayer)
        let feature = try c.value(.selectFeature, default: "patch")
        guard feature == "patch" || feature == "cls_patch" else {
            throw ConfigValueError(key: "mm_vision_select_feature", reason: "'\(feature)' is not 'patch' or 'cls_patch'")
        }
        dropsClassToken = feature == "patch"
        visionWidth = try c.decodeIfPresent(Int.self, forKey: .visionWidth)
        imageAspectRatio = try c.decodeIfPresent(String.self, forKey: .imageAspectRatio)
        useImageStartEnd = try c.value(.useImageStartEnd, default: false)
    }
}

/// CLIP folder config: a full CLIPConfig (model_type "clip", nested vision_config) or a
/// CLIPVisionConfig at the top level (model_type "clip_vision_model").
struct CLIPFolderConfiguration: Decodable {
    var vision: CLIPVisionConfiguration

    enum CodingKeys: String, CodingKey { case modelType = "model_type", vision = "vision_config" }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if try c.decodeIfPresent(String.self, forKey: .modelType) == "clip" {
            vision = try c.decodeIfPresent(CLIPVisionConfiguration.self, forKey: .vision) ?? CLIPVisionConfiguration()
        } else {
            vision = try CLIPVisionConfiguration(from: decoder)
        }
    }
}
