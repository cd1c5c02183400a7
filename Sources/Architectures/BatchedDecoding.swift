import Layers
import TensorCore

// One decoding step for several sequences at once. Each sequence has its own KV cache and
// position; the B new tokens go through every linear layer as one [B, C] product, so each
// weight matrix is read once per step for the whole batch instead of once per sequence (decode
// is bound by weight bandwidth at batch 1). Attention stays per sequence, over its own cache.

extension LlamaModel {
    /// embeddings [B, C] (one new token per sequence) -> final hidden [B, C]; caches[b] grows by one.
    public func decodeStep(embeddings: Tensor, caches: inout [KVCache]) -> Tensor {
        let batch = caches.count
        precondition(embeddings.rowCount == batch && embeddings.lastDimension == configuration.hiddenSize,
                     "decodeStep needs one [\(configuration.hiddenSize)] row per cache, got \(embeddings.shape) for \(batch)")
        let positions = caches.map(\.length)
        var x = embeddings
        for (i, layer) in layers.enumerated() {
            let attention = layer.selfAttention
            let normed = layer.inputLayerNorm(x)
            var q = attention.qProj(normed)                       // [B, NH*HS]
            var k = attention.kProj(normed)                       // [B, NKV*HS]
            let v = attention.vProj(normed)
            _ = attention.rotary.forward(&q, heads: attention.geometry.heads, positions: positions)
            _ = attention.rotary.forward(&k, heads: attention.geometry.kvHeads, positions: positions)
            let qWidth = q.lastDimension
            var attended = Tensor(zeros: [batch, qWidth])
            for b in 0..<batch {
                caches[b].append(layer: i, keys: Self.row(k, b), values: Self.row(v, b))
                let query = Self.row(q, b)
                let out = caches[b].withLayer(i) { keys, values, count in
                    Layers.attention(query: query, keys: keys, values: values, keyCount: count,
                                     geometry: attention.geometry, mask: .causal).output
                }
                attended.storage.replaceSubrange((b * qWidth)..<((b + 1) * qWidth), with: out.storage)
            }
            var h = x
            h.add(attention.oProj(attended))
            h.add(layer.mlp.forward(layer.postAttentionLayerNorm(h)).output)
            x = h
        }
        for b in 0..<batch { caches[b].advance(by: 1) }
        return norm(x)
    }

    static func row(_ t: Tensor, _ b: Int) -> Tensor {
        let width = t.lastDimension
        return Tensor(shape: [1, width], storage: Array(t.storage[(b * width)..<((b + 1) * width)]))
    }
}
