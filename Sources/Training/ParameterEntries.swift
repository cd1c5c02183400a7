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

    init(_ parts: TrainableParts, trainLanguageWeights: Bool, trainProjector: Bool) {
        let language = parts.language
        layers = language.layers.map { DecoderLayerGradients(for: $0, trainWeights: trainLanguageWeights) }
        embedding = trainLanguageWeights ? Tensor(zeros: language.embedTokens.weight.shape) : nil
        finalNorm = trainLanguageWeights ? Tensor(zeros: language.norm.weight.shape) : nil
        lmHead = LinearGradients(for: language.lmHead, trainWeight: trainLanguageWeights, trainBias: trainLanguageWeights)
        projector = trainProjector ? parts.projector.map { ProjectorGradients(for: $0) } : nil
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

    static func makeEntries(_ parts: TrainableParts, mode: TuningMode, trainProjector: Bool, layout: LlavaLayout?) -> [ParameterEntry] {
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
        return entries
    }
}
