// CLIP vision tower (CLIPVisionModel), mirroring huggingface/transformers
// src/transformers/models/clip/modeling_clip.py: patch embedding (a stride-p convolution
// without bias), class and position embeddings, pre-layernorm, pre-norm encoder layers with
// bidirectional attention and a quick-GELU MLP. hidden_states[0] is the pre-layernorm output,
// hidden_states[k] the output of encoder layer k; LLaVA reads [-2] and never uses
// post_layernorm (it only feeds the pooled output), which is loaded for strictness.

import Layers
import TensorCore

// MARK: - Configuration

/// transformers' CLIPVisionConfig (defaults as there).
public struct CLIPVisionConfiguration: Codable, Sendable, Equatable {
    public var hiddenSize = 768
    public var intermediateSize = 3072
    public var layerCount = 12
    public var headCount = 12
    public var channelCount = 3
    public var imageSize = 224
    public var patchSize = 32
    public var hiddenAct = Activation.quickGelu
    public var layerNormEps: Float = 1e-5

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", intermediateSize = "intermediate_size", layerCount = "num_hidden_layers"
        case headCount = "num_attention_heads", channelCount = "num_channels", imageSize = "image_size"
        case patchSize = "patch_size", hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps", modelType = "model_type"
    }

    public init() {}

    /// LlavaConfig's default vision tower (CLIP ViT-L/14 at 336 px).
    public static let llavaDefault: CLIPVisionConfiguration = {
        var c = CLIPVisionConfiguration()
        (c.hiddenSize, c.intermediateSize, c.layerCount, c.headCount, c.imageSize, c.patchSize) = (1024, 4096, 24, 16, 336, 14)
        return c
    }()

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let type = try c.decodeIfPresent(String.self, forKey: .modelType), type != "clip_vision_model" {
            throw ConfigValueError(key: "model_type", reason: "vision tower '\(type)' is not supported (only clip_vision_model)")
        }
        hiddenSize = try c.value(.hiddenSize, default: hiddenSize)
        intermediateSize = try c.value(.intermediateSize, default: intermediateSize)
        layerCount = try c.value(.layerCount, default: layerCount)
        headCount = try c.value(.headCount, default: headCount)
        channelCount = try c.value(.channelCount, default: channelCount)
        imageSize = try c.value(.imageSize, default: imageSize)
        patchSize = try c.value(.patchSize, default: patchSize)
        layerNormEps = try c.value(.layerNormEps, default: layerNormEps)
        let act = try c.value(.hiddenAct, default: "quick_gelu")
        guard let activation = Activation(rawValue: act), activation != .silu else {
            throw ConfigValueError(key: "hidden_act", reason: "'\(act)' is not supported (quick_gelu or gelu)")
        }
        hiddenAct = activation
        guard headCount > 0, hiddenSize % headCount == 0 else {
            throw ConfigValueError(key: "num_attention_heads", reason: "\(headCount) heads do not divide hidden_size \(hiddenSize)")
        }
        guard patchSize > 0, imageSize % patchSize == 0 else {
            throw ConfigValueError(key: "patch_size", reason: "patch size \(patchSize) does not divide image_size \(imageSize)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("clip_vision_model", forKey: .modelType)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(layerCount, forKey: .layerCount)
        try c.encode(headCount, forKey: .headCount)
        try c.encode(channelCount, forKey: .channelCount)
        try c.encode(imageSize, forKey: .imageSize)
        try c.encode(patchSize, forKey: .patchSize)
        try c.encode(hiddenAct.rawValue, forKey: .hiddenAct)
        try c.encode(layerNormEps, forKey: .layerNormEps)
    }

    /// Patches per image, P.
    public var patchCount: Int { (imageSize / patchSize) * (imageSize / patchSize) }
}

// MARK: - Layers

public struct CLIPEncoderLayer: @unchecked Sendable {
    public var layerNorm1: LayerNorm
    public var qProj, kProj, vProj, outProj: Linear  // [C, C] with bias
    public var layerNorm2: LayerNorm
    public var mlp: TwoLayerMLP
    public let geometry: AttentionGeometry

    /// x [N, C] -> [N, C]
    func forward(_ x: Tensor) -> Tensor {
        let normed = layerNorm1(x)
        let attended = attention(query: qProj(normed), keys: kProj(normed), values: vProj(normed),
                                 geometry: geometry, mask: .bidirectional).output
        var h = x
        h.add(outProj(attended))
        h.add(mlp.forward(layerNorm2(h)).output)
        return h
    }
}

// MARK: - Model

public struct CLIPVisionTower: @unchecked Sendable {
    public let configuration: CLIPVisionConfiguration
    /// Convolution weight [C, 3, p, p] viewed as [C, 3*p*p].
    public var patchEmbedding: WeightMatrix
    public var classEmbedding: Tensor       // [C]
    public var positionEmbedding: Tensor    // [P + 1, C]
    public var preLayerNorm: LayerNorm
    public var layers: [CLIPEncoderLayer]
    public var postLayerNorm: LayerNorm

    /// hidden_states[index] for each requested index (negative counts from the end, as Python
    /// does): pixels [3, S, S] or [1, 3, S, S] -> one [P + 1, C] tensor per index. Only the
    /// layers needed are run.
    public func hiddenStates(pixels: Tensor, indices: [Int]) throws -> [Tensor] {
        let resolved = indices.map(hiddenStateIndex)
        precondition(resolved.allSatisfy { (0...layers.count).contains($0) }, "hidden state index outside 0...\(layers.count)")
        var states: [Int: Tensor] = [:]
        var x = preLayerNorm(try embed(pixels))
        states[0] = x
        let deepest = resolved.max() ?? 0
        if deepest > 0 {
            for k in 1...deepest {
                x = layers[k - 1].forward(x)
                states[k] = x
            }
        }
        return resolved.map { states[$0]! }
    }

    /// hidden_states index `index` counted from the front (negative counts from the end, as
    /// Python does): 0 is the pre-layernorm output, k the output of encoder layer k.
    public func hiddenStateIndex(_ index: Int) -> Int { index < 0 ? layers.count + 1 + index : index }

    /// Patch, class and position embeddings: pixels -> [P + 1, C].
    func embed(_ pixels: Tensor) throws -> Tensor {
        embed(patches: Linear(weight: patchEmbedding)(try patchColumns(pixels)))
    }

    /// The convolution's input as a matrix (im2col): pixels [3, S, S] -> [P, 3*p*p], row
    /// (py, px) holding pixel[c, py*p + ky, px*p + kx] in (c, ky, kx) order, the order of the
    /// flattened convolution weight. A stride-p convolution is then one matrix product.
    public func patchColumns(_ pixels: Tensor) throws -> Tensor {
        let (s, p, channels) = (configuration.imageSize, configuration.patchSize, configuration.channelCount)
        guard pixels.count == channels * s * s, pixels.shape.suffix(3) == [channels, s, s] else {
            throw ArchitecturesError.imageSize(expected: s, found: pixels.shape)
        }
        let side = s / p
        let patchWidth = channels * p * p
        var columns = [Float](repeating: 0, count: side * side * patchWidth)
        pixels.storage.withUnsafeBufferPointer { src in
            for py in 0..<side { for px in 0..<side {
                let row = (py * side + px) * patchWidth
                for c in 0..<channels { for ky in 0..<p { for kx in 0..<p {
                    columns[row + (c * p + ky) * p + kx] = src[(c * s + py * p + ky) * s + px * p + kx]
                } } }
            } }
        }
        return Tensor(shape: [side * side, patchWidth], storage: columns)
    }

    /// [CLS; patch embeddings [P, C]] + position embeddings -> [P + 1, C].
    public func embed(patches: Tensor) -> Tensor {
        var out = classEmbedding.storage + patches.storage
        for i in 0..<out.count { out[i] += positionEmbedding.storage[i] }
        return Tensor(shape: [patches.rowCount + 1, configuration.hiddenSize], storage: out)
    }
}

// MARK: - Weight mapping

extension CLIPVisionTower {
    /// Keys relative to `prefix`: "embeddings.{class_embedding, patch_embedding.weight,
    /// position_embedding.weight}", "pre_layrnorm.*", "encoder.layers.{i}.{layer_norm1,
    /// self_attn.{q,k,v,out}_proj, layer_norm2, mlp.fc1, mlp.fc2}.*", "post_layernorm.*".
    /// Prefixes in the wild: "" (CLIPVisionModel saved by transformers 5), "vision_model."
    /// (openai CLIP folders, 4.x CLIPVisionModel), "vision_tower." / "vision_tower.vision_model."
    /// (llava-hf 5.x / 4.x files), "model.vision_tower.vision_model." (4.52+ in-memory names).
    static func load(_ config: CLIPVisionConfiguration, from source: WeightSource, prefix: String) -> CLIPVisionTower {
        let (c, inner, p) = (config.hiddenSize, config.intermediateSize, config.patchSize)
        let eps = config.layerNormEps
        func linear(_ key: String, _ out: Int, _ inp: Int) -> Linear {
            Linear(weight: source.matrix(key + ".weight", shape: [out, inp]), bias: source.tensor(key + ".bias", shape: [out]))
        }
        func norm(_ key: String) -> LayerNorm {
            LayerNorm(weight: source.tensor(key + ".weight", shape: [c]), bias: source.tensor(key + ".bias", shape: [c]), eps: eps)
        }
        let geometry = AttentionGeometry(heads: config.headCount, kvHeads: config.headCount, headSize: c / config.headCount)
        let layers = (0..<config.layerCount).map { i -> CLIPEncoderLayer in
            let l = "\(prefix)encoder.layers.\(i)."
            return CLIPEncoderLayer(
                layerNorm1: norm(l + "layer_norm1"),
                qProj: linear(l + "self_attn.q_proj", c, c), kProj: linear(l + "self_attn.k_proj", c, c),
                vProj: linear(l + "self_attn.v_proj", c, c), outProj: linear(l + "self_attn.out_proj", c, c),
                layerNorm2: norm(l + "layer_norm2"),
                mlp: TwoLayerMLP(fc1: linear(l + "mlp.fc1", inner, c), fc2: linear(l + "mlp.fc2", c, inner), activation: config.hiddenAct),
                geometry: geometry)
        }
        return CLIPVisionTower(
            configuration: config,
            patchEmbedding: source.matrix(prefix + "embeddings.patch_embedding.weight", shape: [c, config.channelCount, p, p],
                                          view: [c, config.channelCount * p * p]),
            classEmbedding: source.tensor(prefix + "embeddings.class_embedding", shape: [c]),
            positionEmbedding: source.tensor(prefix + "embeddings.position_embedding.weight", shape: [config.patchCount + 1, c]),
            preLayerNorm: norm(prefix + "pre_layrnorm"), layers: layers, postLayerNorm: norm(prefix + "post_layernorm"))
    }

    /// The prefix under which `source` keeps the tower: the first candidate whose class
    /// embedding is present, else the first candidate (so the report lists what is missing).
    static func detectPrefix(in source: WeightSource, candidates: [String]) -> String {
        candidates.first { source.contains($0 + "embeddings.class_embedding") } ?? candidates[0]
    }
}
