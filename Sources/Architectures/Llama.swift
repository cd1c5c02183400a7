// LLaMA decoder (LlamaForCausalLM), mirroring huggingface/transformers
// src/transformers/models/llama/modeling_llama.py (eager attention path): RMSNorm, rotary
// position embeddings (rotate-half, rope_theta from the config), grouped-query attention,
// SwiGLU MLP, tied or untied lm_head.

import Layers
import TensorCore

// MARK: - Configuration

/// transformers' LlamaConfig (defaults as there). Accepts `rope_theta` (4.x) and
/// `rope_parameters.rope_theta` (5.x); only the default (unscaled) rotary type is supported.
public struct LlamaConfiguration: Codable, Sendable, Equatable {
    public var vocabularySize = 32000
    public var hiddenSize = 4096
    public var intermediateSize = 11008
    public var layerCount = 32
    public var headCount = 32
    public var kvHeadCount = 32
    public var headSize = 128
    public var rmsNormEps: Float = 1e-6
    public var ropeTheta: Float = 10000
    public var maxPositionEmbeddings = 2048
    public var tieWordEmbeddings = false
    public var attentionBias = false
    public var mlpBias = false
    public var bosTokenId: Int? = 1
    public var eosTokenIds: [Int] = [2]

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case layerCount = "num_hidden_layers", headCount = "num_attention_heads", kvHeadCount = "num_key_value_heads"
        case headSize = "head_dim", rmsNormEps = "rms_norm_eps", ropeTheta = "rope_theta"
        case maxPositionEmbeddings = "max_position_embeddings", tieWordEmbeddings = "tie_word_embeddings"
        case attentionBias = "attention_bias", mlpBias = "mlp_bias", bosTokenId = "bos_token_id"
        case eosTokenIds = "eos_token_id", hiddenAct = "hidden_act", ropeScaling = "rope_scaling"
        case ropeParameters = "rope_parameters", modelType = "model_type"
    }

    struct RopeParameters: Decodable {
        var ropeTheta: Float?
        var ropeType: String?
        var type: String?
        enum CodingKeys: String, CodingKey { case ropeTheta = "rope_theta", ropeType = "rope_type", type }
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabularySize = try c.value(.vocabularySize, default: vocabularySize)
        hiddenSize = try c.value(.hiddenSize, default: hiddenSize)
        intermediateSize = try c.value(.intermediateSize, default: intermediateSize)
        layerCount = try c.value(.layerCount, default: layerCount)
        headCount = try c.value(.headCount, default: headCount)
        kvHeadCount = try c.value(.kvHeadCount, default: headCount)
        guard headCount > 0, hiddenSize > 0 else {
            throw ConfigValueError(key: "num_attention_heads", reason: "hidden_size and num_attention_heads must be positive")
        }
        headSize = try c.value(.headSize, default: hiddenSize / headCount)
        rmsNormEps = try c.value(.rmsNormEps, default: rmsNormEps)
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, default: maxPositionEmbeddings)
        tieWordEmbeddings = try c.value(.tieWordEmbeddings, default: false)
        attentionBias = try c.value(.attentionBias, default: false)
        mlpBias = try c.value(.mlpBias, default: false)
        bosTokenId = try c.decodeIfPresent(Int.self, forKey: .bosTokenId)
        if let list = try? c.decodeIfPresent([Int].self, forKey: .eosTokenIds) {
            eosTokenIds = list
        } else {
            eosTokenIds = (try c.decodeIfPresent(Int.self, forKey: .eosTokenIds)).map { [$0] } ?? []
        }
        let act = try c.value(.hiddenAct, default: "silu")
        guard act == "silu" else { throw ConfigValueError(key: "hidden_act", reason: "'\(act)' is not supported; LLaMA uses 'silu'") }
        let parameters = try c.decodeIfPresent(RopeParameters.self, forKey: .ropeParameters)
        ropeTheta = try c.decodeIfPresent(Float.self, forKey: .ropeTheta) ?? parameters?.ropeTheta ?? ropeTheta
        for (key, rope) in [("rope_parameters", parameters), ("rope_scaling", try c.decodeIfPresent(RopeParameters.self, forKey: .ropeScaling))] {
            let type = rope?.ropeType ?? rope?.type ?? "default"
            guard type == "default" else {
                throw ConfigValueError(key: key, reason: "rotary scaling '\(type)' is not supported (only unscaled rotary embeddings)")
            }
        }
        guard kvHeadCount > 0, headCount % kvHeadCount == 0 else {
            throw ConfigValueError(key: "num_key_value_heads", reason: "\(kvHeadCount) must divide num_attention_heads (\(headCount))")
        }
        guard headSize > 0, headSize % 2 == 0 else {
            throw ConfigValueError(key: "head_dim", reason: "head size \(headSize) must be positive and even for rotary embeddings")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("llama", forKey: .modelType)
        try c.encode(vocabularySize, forKey: .vocabularySize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(layerCount, forKey: .layerCount)
        try c.encode(headCount, forKey: .headCount)
        try c.encode(kvHeadCount, forKey: .kvHeadCount)
        try c.encode(headSize, forKey: .headSize)
        try c.encode(rmsNormEps, forKey: .rmsNormEps)
        try c.encode(ropeTheta, forKey: .ropeTheta)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        try c.encode(attentionBias, forKey: .attentionBias)
        try c.encode(mlpBias, forKey: .mlpBias)
        try c.encodeIfPresent(bosTokenId, forKey: .bosTokenId)
        try c.encode(eosTokenIds, forKey: .eosTokenIds)
        try c.encode("silu", forKey: .hiddenAct)
    }

    var geometry: AttentionGeometry { AttentionGeometry(heads: headCount, kvHeads: kvHeadCount, headSize: headSize) }
}

// MARK: - Layers

public struct LlamaAttention: @unchecked Sendable {
    public var qProj: Linear  // [NH*HS, C]
    public var kProj: Linear  // [NKV*HS, C]
    public var vProj: Linear  // [NKV*HS, C]
    public var oProj: Linear  // [C, NH*HS]
    public let geometry: AttentionGeometry
    public let rotary: RotaryLayer

    public struct Saved {
        public let q, k, v, o: Linear.Saved
        public let rotary: RotaryLayer.Saved
        public let attention: AttentionSaved
    }

    /// x [T, C] at `positions` -> [T, C]. With a cache, this layer's keys and values are
    /// appended to it and the queries attend to everything cached so far.
    func forward(_ x: Tensor, positions: [Int], cache: inout KVCache?, layer: Int) -> (Tensor, Saved) {
        var (q, qSaved) = qProj.forwardSaving(x)   // [T, NH*HS]
        var (k, kSaved) = kProj.forwardSaving(x)   // [T, NKV*HS]
        let (v, vSaved) = vProj.forwardSaving(x)   // [T, NKV*HS]
        let rotarySaved = rotary.forward(&q, heads: geometry.heads, positions: positions)
        _ = rotary.forward(&k, heads: geometry.kvHeads, positions: positions)
        let attended: (output: Tensor, saved: AttentionSaved)
        if cache != nil {
            cache!.append(layer: layer, keys: k, values: v)
            attended = cache!.withLayer(layer) { keys, values, count in
                attention(query: q, keys: keys, values: values, keyCount: count, geometry: geometry, mask: .causal)
            }
        } else {
            attended = attention(query: q, keys: k, values: v, geometry: geometry, mask: .causal)
        }
        let (y, oSaved) = oProj.forwardSaving(attended.output)
        return (y, Saved(q: qSaved, k: kSaved, v: vSaved, o: oSaved, rotary: rotarySaved, attention: attended.saved))
    }
}

public struct LlamaDecoderLayer: @unchecked Sendable {
    public var inputLayerNorm: RMSNorm
    public var selfAttention: LlamaAttention
    public var postAttentionLayerNorm: RMSNorm
    public var mlp: SwiGLUMLP

    public struct Saved {
        public let inputNorm: RMSNorm.Saved
        public let attention: LlamaAttention.Saved
        public let postNorm: RMSNorm.Saved
        public let mlp: SwiGLUMLP.Saved
    }

    /// x [T, C] -> [T, C]: x + attn(norm(x)), then + mlp(norm(.)).
    func forward(_ x: Tensor, positions: [Int], cache: inout KVCache?, layer: Int) -> (Tensor, Saved) {
        let (normed, s1) = inputLayerNorm.forward(x)
        let (attended, s2) = selfAttention.forward(normed, positions: positions, cache: &cache, layer: layer)
        var h = x
        h.add(attended)
        let (normed2, s3) = postAttentionLayerNorm.forward(h)
        let (mlpOut, s4) = mlp.forward(normed2)
        h.add(mlpOut)
        return (h, Saved(inputNorm: s1, attention: s2, postNorm: s3, mlp: s4))
    }
}

// MARK: - Model

/// LlamaForCausalLM: token embeddings, decoder layers, final norm, lm_head.
public struct LlamaModel: @unchecked Sendable {
    public let configuration: LlamaConfiguration
    /// Module path of the decoder in transformers' in-memory naming ("model." for
    /// LlamaForCausalLM and original LLaVA, "model.language_model." for llava-hf).
    public let modulePrefix: String
    public var embedTokens: Embedding
    public var layers: [LlamaDecoderLayer]
    public var norm: RMSNorm
    /// Shares `embedTokens.weight` when tie_word_embeddings is set.
    public var lmHead: Linear

    public var vocabularySize: Int { configuration.vocabularySize }

    /// ids [T] -> embeddings [T, C]
    public func embed(_ ids: [Int]) throws -> Tensor {
        if let bad = ids.first(where: { $0 < 0 || $0 >= vocabularySize }) {
            throw ArchitecturesError.tokenOutOfRange(id: bad, vocabularySize: vocabularySize)
        }
        return embedTokens(ids)
    }

    public func makeCache(reservingTokens tokens: Int = 0) -> KVCache {
        KVCache(layers: layers.count, width: configuration.kvHeadCount * configuration.headSize, reservingTokens: tokens)
    }

    /// embeddings [T, C] at positions cache.length..<cache.length+T -> final hidden [T, C]
    /// (after the last norm); the cache grows by T.
    public func forward(embeddings: Tensor, cache: inout KVCache) -> Tensor {
        var optional: KVCache? = cache
        cache = KVCache(layers: 0, width: 0)  // release our reference so appends do not copy
        let hidden = run(embeddings, start: optional!.length, cache: &optional)
        optional!.advance(by: embeddings.rowCount)
        cache = optional!
        return hidden
    }

    /// embeddings [T, C] at positions 0..<T, no cache -> final hidden [T, C].
    public func forward(embeddings: Tensor) -> Tensor {
        var none: KVCache? = nil
        return run(embeddings, start: 0, cache: &none)
    }

    /// hidden [T, C] -> logits [T, V]
    public func logits(_ hidden: Tensor) -> Tensor { lmHead(hidden) }

    /// Logits of the last row only: [1, V].
    public func lastLogits(_ hidden: Tensor) -> Tensor {
        let width = hidden.lastDimension
        let last = Tensor(shape: [1, width], storage: Array(hidden.storage[(hidden.count - width)...]))
        return lmHead(last)
    }

    private func run(_ embeddings: Tensor, start: Int, cache: inout KVCache?) -> Tensor {
        precondition(embeddings.lastDimension == configuration.hiddenSize, "embeddings \(embeddings.shape) for width \(configuration.hiddenSize)")
        let positions = Array(start..<(start + embeddings.rowCount))
        var x = embeddings
        for i in layers.indices {
            x = layers[i].forward(x, positions: positions, cache: &cache, layer: i).0
        }
        return norm(x)
    }

    // MARK: - Named linears (for adapters)

    /// Every linear of the decoder by its module path in transformers' in-memory naming, e.g.
    /// "model.layers.0.self_attn.q_proj", with a key path to read or replace it. lm_head is
    /// left out (LLaVA's find_all_linear_names skips it; it may share the embedding table).
    public var namedLinears: [(name: String, path: WritableKeyPath<LlamaModel, Linear>)] {
        var out: [(String, WritableKeyPath<LlamaModel, Linear>)] = []
        for i in layers.indices {
            let base = "\(modulePrefix)layers.\(i)."
            out.append((base + "self_attn.q_proj", \LlamaModel.layers[i].selfAttention.qProj))
            out.append((base + "self_attn.k_proj", \LlamaModel.layers[i].selfAttention.kProj))
            out.append((base + "self_attn.v_proj", \LlamaModel.layers[i].selfAttention.vProj))
            out.append((base + "self_attn.o_proj", \LlamaModel.layers[i].selfAttention.oProj))
            out.append((base + "mlp.gate_proj", \LlamaModel.layers[i].mlp.gate))
            out.append((base + "mlp.up_proj", \LlamaModel.layers[i].mlp.up))
            out.append((base + "mlp.down_proj", \LlamaModel.layers[i].mlp.down))
        }
        return out
    }
}

// MARK: - Weight mapping

/// Where a checkpoint keeps the decoder: `decoder` + "layers.{i}.self_attn.q_proj.weight" etc.
struct LlamaKeys {
    var decoder: String
    var lmHead: String

    /// LlamaForCausalLM files and haotian-liu/LLaVA's LlavaLlamaForCausalLM.
    static let causalLM = LlamaKeys(decoder: "model.", lmHead: "lm_head.weight")
    /// llava-hf files written by transformers 4.x up to 4.51 and by 5.x.
    static let llavaFile = LlamaKeys(decoder: "language_model.model.", lmHead: "language_model.lm_head.weight")
    /// llava-hf files written with in-memory names (transformers 4.52 - 4.57).
    static let llavaInMemory = LlamaKeys(decoder: "model.language_model.", lmHead: "lm_head.weight")
}

extension LlamaModel {
    static func load(_ config: LlamaConfiguration, from source: WeightSource, keys: LlamaKeys, modulePrefix: String) -> LlamaModel {
        let (c, i, v) = (config.hiddenSize, config.intermediateSize, config.vocabularySize)
        let (q, kv) = (config.headCount * config.headSize, config.kvHeadCount * config.headSize)
        func linear(_ key: String, _ out: Int, _ inp: Int, bias: Bool) -> Linear {
            Linear(weight: source.matrix(key + ".weight", shape: [out, inp]),
                   bias: bias ? source.tensor(key + ".bias", shape: [out]) : nil)
        }
        let p = keys.decoder
        let embedTokens = Embedding(weight: source.matrix(p + "embed_tokens.weight", shape: [v, c]))
        let layers = (0..<config.layerCount).map { n -> LlamaDecoderLayer in
            let l = "\(p)layers.\(n)."
            let attention = LlamaAttention(
                qProj: linear(l + "self_attn.q_proj", q, c, bias: config.attentionBias),
                kProj: linear(l + "self_attn.k_proj", kv, c, bias: config.attentionBias),
                vProj: linear(l + "self_attn.v_proj", kv, c, bias: config.attentionBias),
                oProj: linear(l + "self_attn.o_proj", c, q, bias: config.attentionBias),
                geometry: config.geometry, rotary: RotaryLayer(headSize: config.headSize, theta: config.ropeTheta))
            let mlp = SwiGLUMLP(gate: linear(l + "mlp.gate_proj", i, c, bias: config.mlpBias),
                                up: linear(l + "mlp.up_proj", i, c, bias: config.mlpBias),
                                down: linear(l + "mlp.down_proj", c, i, bias: config.mlpBias))
            return LlamaDecoderLayer(
                inputLayerNorm: RMSNorm(weight: source.tensor(l + "input_layernorm.weight", shape: [c]), eps: config.rmsNormEps),
                selfAttention: attention,
                postAttentionLayerNorm: RMSNorm(weight: source.tensor(l + "post_attention_layernorm.weight", shape: [c]), eps: config.rmsNormEps),
                mlp: mlp)
        }
        let norm = RMSNorm(weight: source.tensor(p + "norm.weight", shape: [c]), eps: config.rmsNormEps)
        let lmHead: Linear
        if config.tieWordEmbeddings {
            // transformers ignores a stored lm_head when the embeddings are tied.
            if source.contains(keys.lmHead) { source.skip(keys.lmHead) }
            lmHead = Linear(weight: embedTokens.weight)
        } else {
            lmHead = Linear(weight: source.matrix(keys.lmHead, shape: [v, c]))
        }
        return LlamaModel(configuration: config, modulePrefix: modulePrefix, embedTokens: embedTokens,
                          layers: layers, norm: norm, lmHead: lmHead)
    }
}

// MARK: - Random initialisation (benchmarks, tests)

extension LlamaModel {
    /// A model with f32 weights uniform in ±1/sqrt(fan_in) and unit norm weights.
    public static func random(_ config: LlamaConfiguration, seed: UInt64, modulePrefix: String = "model.") -> LlamaModel {
        var rng = SeededGenerator(seed: seed)
        let (c, i, v) = (config.hiddenSize, config.intermediateSize, config.vocabularySize)
        let (q, kv) = (config.headCount * config.headSize, config.kvHeadCount * config.headSize)
        func linear(_ out: Int, _ inp: Int) -> Linear {
            let bound = 1 / Float(inp).squareRoot()
            return Linear(weight: rng.uniformTensor(shape: [out, inp], low: -bound, high: bound))
        }
        func norm() -> RMSNorm { RMSNorm(weight: Tensor(repeating: 1, shape: [c]), eps: config.rmsNormEps) }
        let embedTokens = Embedding(weight: WeightMatrix(rng.uniformTensor(shape: [v, c], low: -1, high: 1)))
        let layers = (0..<config.layerCount).map { _ in
            LlamaDecoderLayer(
                inputLayerNorm: norm(),
                selfAttention: LlamaAttention(qProj: linear(q, c), kProj: linear(kv, c), vProj: linear(kv, c), oProj: linear(c, q),
                                              geometry: config.geometry, rotary: RotaryLayer(headSize: config.headSize, theta: config.ropeTheta)),
                postAttentionLayerNorm: norm(),
                mlp: SwiGLUMLP(gate: linear(i, c), up: linear(i, c), down: linear(c, i)))
        }
        let lmHead = config.tieWordEmbeddings ? Linear(weight: embedTokens.weight) : linear(v, c)
        return LlamaModel(configuration: config, modulePrefix: modulePrefix, embedTokens: embedTokens, layers: layers,
                          norm: norm(), lmHead: lmHead)
    }
}
