import TensorCore

// Scaled dot-product attention with grouped-query heads, as transformers' eager attention
// computes it: scores = (Q K^T) * scale, masked, softmax in f32, then P V. Query head h reads
// key/value head h / (NH / NKV) (repeat_kv). All products go through sgemm on strided views,
// so no head is ever copied out.

public struct AttentionGeometry: Sendable, Equatable {
    public let heads: Int       // NH
    public let kvHeads: Int     // NKV, divides NH
    public let headSize: Int    // HS
    public let scale: Float

    public init(heads: Int, kvHeads: Int, headSize: Int, scale: Float? = nil) {
        precondition(heads > 0 && kvHeads > 0 && heads % kvHeads == 0, "\(heads) heads cannot share \(kvHeads) key/value heads")
        self.heads = heads
        self.kvHeads = kvHeads
        self.headSize = headSize
        self.scale = scale ?? 1 / Float(headSize).squareRoot()
    }

    public var queryWidth: Int { heads * headSize }
    public var kvWidth: Int { kvHeads * headSize }
}

public enum AttentionMask: Sendable {
    /// Query t is the (S - T + t)-th position and sees keys 0...S - T + t (decoder; with a KV
    /// cache the queries are the last T of S positions).
    case causal
    /// Every query sees every key (CLIP).
    case bidirectional
}

public struct AttentionSaved {
    /// softmax probabilities [NH, T, S] (masked entries are 0)
    public let probabilities: Tensor
}

/// query [T, NH*HS]; keys, values: S rows of NKV*HS floats -> ([T, NH*HS], saved).
/// Causal: rows are taken `rowBlock` at a time, and a block's products stop at the last key its
/// last row sees (entries past that stay 0, as the mask makes them).
public func attention(query: Tensor, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, keyCount: Int,
                      geometry: AttentionGeometry, mask: AttentionMask,
                      rowBlock: Int = causalRowBlock) -> (output: Tensor, saved: AttentionSaved) {
    let (tokens, heads, headSize) = (query.rowCount, geometry.heads, geometry.headSize)
    let (queryWidth, kvWidth) = (geometry.queryWidth, geometry.kvWidth)
    precondition(query.lastDimension == queryWidth, "query rows must be \(queryWidth) wide, got \(query.shape)")
    precondition(keyCount >= tokens || mask == .bidirectional, "causal attention needs at least as many keys (\(keyCount)) as queries (\(tokens))")
    precondition(rowBlock > 0, "rowBlock must be positive")
    let group = heads / geometry.kvHeads
    let past = keyCount - tokens
    let blocks = attentionRowBlocks(tokens: tokens, rowBlock: rowBlock, causal: mask == .causal)
    var probabilities = Tensor(zeros: [heads, tokens, keyCount])
    var out = Tensor(zeros: [tokens, queryWidth])
    query.storage.withUnsafeBufferPointer { q in
        probabilities.storage.withUnsafeMutableBufferPointer { p in
            out.storage.withUnsafeMutableBufferPointer { o in
                let (qBase, pBase, oBase) = (q.baseAddress!, p.baseAddress!, o.baseAddress!)
                for h in 0..<heads {
                    let kvHead = h / group
                    let scores = pBase + h * tokens * keyCount
                    for (first, end) in blocks {
                        let seen = mask == .causal ? past + end : keyCount  // keys any row of the block sees
                        let blockScores = scores + first * keyCount
                        // scores [rows, seen] = scale * Q_h [rows, HS] K_g^T [HS, seen]
                        sgemm(transposeA: false, transposeB: true, m: end - first, n: seen, k: headSize,
                              alpha: geometry.scale, a: qBase + first * queryWidth + h * headSize, lda: queryWidth,
                              b: keys + kvHead * headSize, ldb: kvWidth, c: blockScores, ldc: keyCount)
                        parallelFor(end - first, minimumChunk: max(1, 16_384 / max(1, seen))) { rows in
                            for r in rows {
                                let row = blockScores + r * keyCount
                                switch mask {
                                case .bidirectional:
                                    softmaxRowInPlace(row, count: keyCount)
                                case .causal:
                                    let visible = past + first + r + 1
                                    softmaxRowInPlace(row, count: visible)
                                    for j in visible..<seen { row[j] = 0 }
                                }
                            }
                        }
                        // out_h [rows, HS] = P [rows, seen] V_g [seen, HS]
                        sgemm(transposeA: false, transposeB: false, m: end - first, n: headSize, k: seen,
                              a: blockScores, lda: keyCount, b: values + kvHead * headSize, ldb: kvWidth,
                              c: oBase + first * queryWidth + h * headSize, ldc: queryWidth)
                    }
                }
            }
        }
    }
    return (out, AttentionSaved(probabilities: probabilities))
}

/// Attention over tensors: keys, values [S, NKV*HS].
public func attention(query: Tensor, keys: Tensor, values: Tensor, geometry: AttentionGeometry,
                      mask: AttentionMask, rowBlock: Int = causalRowBlock) -> (output: Tensor, saved: AttentionSaved) {
    precondition(keys.shape == values.shape && keys.lastDimension == geometry.kvWidth,
                 "keys \(keys.shape) and values \(values.shape) must be [S, \(geometry.kvWidth)]")
    return keys.storage.withUnsafeBufferPointer { k in
        values.storage.withUnsafeBufferPointer { v in
            attention(query: query, keys: k.baseAddress!, values: v.baseAddress!, keyCount: keys.rowCount,
                      geometry: geometry, mask: mask, rowBlock: rowBlock)
        }
    }
}

/// Rotary position embedding applied to [T, NH*HS] rows (rotate-half, as LLaMA).
public struct RotaryLayer: Sendable {
    public let embedding: RotaryEmbedding

    public struct Saved {
        public let positions: [Int]
    }

    public init(headSize: Int, theta: Float) {
        embedding = RotaryEmbedding(headSize: headSize, theta: theta)
    }

    /// x [T, NH*HS] rotated in place by the angles of `positions` (T entries).
    public func forward(_ x: inout Tensor, heads: Int, positions: [Int]) -> Saved {
        embedding.apply(&x, heads: heads, positions: positions)
        return Saved(positions: positions)
    }
}
