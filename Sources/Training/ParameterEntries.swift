// The table of trainable tensors: names, groups, readers/writers into the model and the key
// path of each one's gradient buffer.

import Architectures
import Layers
import TensorCore

/// Gradient buffers of everything in the model that can train; nil / empty entries are frozen.
struct ModelGradients {
    var layers: [DecoderLayerGradients]
    var embedding: Tensor?   // [V, C]
    var finalNorm: Tensor?   // [C]
    var lmHead: LinearGradients
    var projector: ProjectorGradients?
    var tower: VisionTowerGradients?

    init(_ parts: TrainableParts, trainLanguageWeights: Bool, trainProjector: Bool) {
        let language = parts.language
        layers = language.layers.map { DecoderLayerGradients(for: $0, trainWeights: trainLanguageWeights) }
        embedding = trainLanguageWeights ? Tensor(zeros: language.embedTokens.weight.shape) : nil
        finalNorm = trainLanguageWeights ? Tensor(zeros: language.norm.weight.shape) : nil
        lmHead = LinearGradients(for: language.lmHead, trainWeight: trainLanguageWeights, trainBias: trainLanguageWeights)
        projector = trainProjector ? parts.projector.map { ProjectorGradients(for: $0) } : nil
        tower = parts.tower.map { VisionTowerGradients(for: $0, depth: parts.towerDepth) }
    }
}

/// The seven linears of a decoder layer: module suffix, where it is, where its gradient is.
private let decoderLinears: [(String, WritableKeyPath<LlamaDecoderLayer, Linear>, WritableKeyPath<DecoderLayerGradients, LinearGradients>)] = [
    ("self_attn.q_proj", \.selfAttention.qProj, \.q),
    ("self_attn.k_proj", \.selfAttention.kProj, \.k),
    ("self_attn.v_proj", \.selfAttention.vProj, \.v),
    ("self_attn.o_proj", \.selfAttention.oProj, \.o),
    ("mlp.gate_proj", \.mlp.gate, \.mlp.gate),
    ("mlp.up_proj", \.mlp.up, \.mlp.up),
    ("mlp.down_proj", \.mlp.down, \.mlp.down),
]

extension TrainableModel {
    var trainsLanguageWeights: Bool {
        if case .full = mode { return true }
        return false
    }

    var trainsProjector: Bool { entries.contains { $0.group == .projector } }

    static func makeEntries(_ parts: TrainableParts, mode: TuningMode, trainProjector: Bool, layout: LlavaLayout?,
                            towerKeyPrefix: String? = nil) -> [ParameterEntry] {
        var entries: [ParameterEntry] = []
        let language = parts.language
        let prefix = language.modulePrefix
        var full = false
        if case .full = mode { full = true }

        func linearEntries(_ name: String, _ path: WritableKeyPath<TrainableParts, Linear>,
                           _ gradient: WritableKeyPath<ModelGradients, LinearGradients>, group: ParameterGroup,
                           weights: Bool, adapters: Bool) {
            let linear = parts[keyPath: path]
            if weights {
                entries.append(ParameterEntry(name: name + ".weight", group: group,
                                              read: { $0[keyPath: path].weight.materialized() },
                                              write: { $0[keyPath: path].weight = WeightMatrix($1) },
                                              gradient: gradient.appending(path: \LinearGradients.weight!)))
                if linear.bias != nil {
                    entries.append(ParameterEntry(name: name + ".bias", group: group,
                                                  read: { $0[keyPath: path].bias! },
                                                  write: { $0[keyPath: path].bias = $1 },
                                                  gradient: gradient.appending(path: \LinearGradients.bias!)))
                }
            }
            if adapters, let adapter = linear.adapter as? any TrainableLinearAdapter {
                for (k, suffix) in adapter.parameterNames.enumerated() {
                    entries.append(ParameterEntry(
                        name: name + "." + suffix, group: .adapter,
                        read: { ($0[keyPath: path].adapter as! any TrainableLinearAdapter).parameterValues[k] },
                        write: { parts, value in
                            var a = parts[keyPath: path].adapter as! any TrainableLinearAdapter
                            var values = a.parameterValues
                            values[k] = value
                            a.parameterValues = values
                            parts[keyPath: path].adapter = a
                        },
                        gradient: gradient.appending(path: \LinearGradients.adapter[k])))
                }
            }
        }
        func normEntry(_ name: String, _ path: WritableKeyPath<TrainableParts, RMSNorm>, _ gradient: WritableKeyPath<ModelGradients, Tensor>) {
            entries.append(ParameterEntry(name: name, group: .languageModel, read: { $0[keyPath: path].weight },
                                          write: { $0[keyPath: path].weight = $1 }, gradient: gradient))
        }

        if full {
            entries.append(ParameterEntry(
                name: prefix + "embed_tokens.weight", group: .languageModel,
                read: { $0.language.embedTokens.weight.materialized() },
                write: { parts, value in
                    parts.language.embedTokens.weight = WeightMatrix(value)
                    if parts.language.configuration.tieWordEmbeddings { parts.language.lmHead.weight = parts.language.embedTokens.weight }
                },
                gradient: \ModelGradients.embedding!))
        }
        let adapters: Bool = { if case .adapters = mode { return true } else { return false } }()
        for i in language.layers.indices {
            let layerPath = (\TrainableParts.language).appending(path: \LlamaModel.layers[i])
            let gradientPath = \ModelGradients.layers[i]
            let base = "\(prefix)layers.\(i)."
            if full { normEntry(base + "input_layernorm.weight", layerPath.appending(path: \.inputLayerNorm), gradientPath.appending(path: \.inputNorm!)) }
            for (k, (suffix, linearPath, linearGradient)) in decoderLinears.enumerated() {
                if full && k == 4 {
                    normEntry(base + "post_attention_layernorm.weight", layerPath.appending(path: \.postAttentionLayerNorm),
                              gradientPath.appending(path: \.postNorm!))
                }
                linearEntries(base + suffix, layerPath.appending(path: linearPath), gradientPath.appending(path: linearGradient),
                              group: .languageModel, weights: full, adapters: adapters)
            }
        }
        if full {
            normEntry(prefix + "norm.weight", \TrainableParts.language.norm, \ModelGradients.finalNorm!)
            if !language.configuration.tieWordEmbeddings {
                linearEntries("lm_head", \TrainableParts.language.lmHead, \ModelGradients.lmHead, group: .languageModel,
                              weights: true, adapters: false)
            }
        }
        if trainProjector, let projector = parts.projector {
            for k in projector.linears.indices {
                let name: String
                switch layout {
                case .original?: name = projector.linears.count == 1 ? "model.mm_projector" : "model.mm_projector.\(2 * k)"
                default: name = "model.multi_modal_projector.linear_\(k + 1)"
                }
                linearEntries(name, (\TrainableParts.projector!).appending(path: \Projector.linears[k]),
                              (\ModelGradients.projector!).appending(path: \ProjectorGradients.linears[k]),
                              group: .projector, weights: true, adapters: false)
            }
        }
        if let tower = parts.tower, let towerKeyPrefix {
            entries += towerEntries(tower, depth: parts.towerDepth, namePrefix: FullCheckpointWriter.inMemoryName(towerKeyPrefix))
        }
        return entries
    }

    /// The tower's tensors up to hidden state `depth`, named as the checkpoint names them
    /// (in-memory form, e.g. model.vision_tower.encoder.layers.0.mlp.fc1.weight).
    static func towerEntries(_ tower: CLIPVisionTower, depth: Int, namePrefix: String) -> [ParameterEntry] {
        var entries: [ParameterEntry] = []
        let towerPath = \TrainableParts.tower!
        let gradientPath = \ModelGradients.tower!
        func add(_ name: String, _ path: WritableKeyPath<CLIPVisionTower, Tensor>, _ gradient: WritableKeyPath<VisionTowerGradients, Tensor>) {
            let full = towerPath.appending(path: path)
            entries.append(ParameterEntry(name: namePrefix + name, group: .visionTower, read: { $0[keyPath: full] },
                                          write: { $0[keyPath: full] = $1 }, gradient: gradientPath.appending(path: gradient)))
        }
        func linear(_ name: String, _ path: WritableKeyPath<CLIPVisionTower, Linear>, _ gradient: WritableKeyPath<VisionTowerGradients, LinearGradients>) {
            let full = towerPath.appending(path: path)
            entries.append(ParameterEntry(name: namePrefix + name + ".weight", group: .visionTower,
                                          read: { $0[keyPath: full].weight.materialized() },
                                          write: { $0[keyPath: full].weight = WeightMatrix($1) },
                                          gradient: gradientPath.appending(path: gradient).appending(path: \LinearGradients.weight!)))
            entries.append(ParameterEntry(name: namePrefix + name + ".bias", group: .visionTower,
                                          read: { $0[keyPath: full].bias! }, write: { $0[keyPath: full].bias = $1 },
                                          gradient: gradientPath.appending(path: gradient).appending(path: \LinearGradients.bias!)))
        }
        // The convolution weight keeps its [C, 3, p, p] shape outside; inside it is [C, 3pp].
        let patchShape = [tower.configuration.hiddenSize, tower.configuration.channelCount, tower.configuration.patchSize, tower.configuration.patchSize]
        entries.append(ParameterEntry(
            name: namePrefix + "embeddings.patch_embedding.weight", group: .visionTower,
            read: { Tensor(shape: patchShape, storage: $0.tower!.patchEmbedding.materialized().storage) },
            write: { parts, value in
                parts.tower!.patchEmbedding = WeightMatrix(Tensor(shape: [patchShape[0], value.count / patchShape[0]], storage: value.storage))
            },
            gradient: gradientPath.appending(path: \VisionTowerGradients.patchEmbedding)))
        add("embeddings.class_embedding", \.classEmbedding, \.classEmbedding)
        add("embeddings.position_embedding.weight", \.positionEmbedding, \.positionEmbedding)
        add("pre_layrnorm.weight", \.preLayerNorm.weight, \.preNormWeight!)
        add("pre_layrnorm.bias", \.preLayerNorm.bias, \.preNormBias!)
        for i in 0..<depth {
            let l = "encoder.layers.\(i)."
            add(l + "layer_norm1.weight", \.layers[i].layerNorm1.weight, \.layers[i].norm1Weight!)
            add(l + "layer_norm1.bias", \.layers[i].layerNorm1.bias, \.layers[i].norm1Bias!)
            linear(l + "self_attn.q_proj", \.layers[i].qProj, \.layers[i].q)
            linear(l + "self_attn.k_proj", \.layers[i].kProj, \.layers[i].k)
            linear(l + "self_attn.v_proj", \.layers[i].vProj, \.layers[i].v)
            linear(l + "self_attn.out_proj", \.layers[i].outProj, \.layers[i].o)
            add(l + "layer_norm2.weight", \.layers[i].layerNorm2.weight, \.layers[i].norm2Weight!)
            add(l + "layer_norm2.bias", \.layers[i].layerNorm2.bias, \.layers[i].norm2Bias!)
            linear(l + "mlp.fc1", \.layers[i].mlp.fc1, \.layers[i].fc1)
            linear(l + "mlp.fc2", \.layers[i].mlp.fc2, \.layers[i].fc2)
        }
        return entries
    }
}
