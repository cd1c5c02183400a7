// Backward of scaled dot-product attention with grouped-query heads, the layout the Layers
// module's forward uses: Q [T, NH*HS], K and V [S, NKV*HS], probabilities P [NH, T, S] saved by
// the forward (masked entries 0). Query head h reads key/value head h / (NH / NKV).
//
// Per head h with kv head g:
//   dV_g += P_h^T dO_h                 [S, HS]
//   dP_h  = dO_h V_g^T                 [T, S]
//   dZ_h  = P_h * (dP_h - rowsum(dP_h * P_h))      softmax backward; zero where masked
//   dQ_h  = scale * dZ_h K_g           [T, HS]
//   dK_g += scale * dZ_h^T Q_h         [S, HS]
// Every product is an sgemm on strided views; dZ holds one row block of one head at a time.
// Causal: rows go `rowBlock` at a time and each block's products stop at the last key its last
// row sees (P is 0 beyond it, so those terms are 0), as the forward does.

/// Rows per block when causal attention skips the keys no row of a block can see: for T = 512
/// blocks of 128 rows skip 37.5% of the attention products while keeping sgemm's shapes large.
public let causalRowBlock = 128

/// The query-row blocks attention works through: `rowBlock` rows at a time when causal (so each
/// block can stop at the last key its last row sees), else all rows at once. (first, end) pairs.
public func attentionRowBlocks(tokens: Int, rowBlock: Int, causal: Bool) -> [(first: Int, end: Int)] {
    causal ? stride(from: 0, to: tokens, by: rowBlock).map { ($0, min(tokens, $0 + rowBlock)) } : [(0, tokens)]
}

public struct AttentionGradients: Sendable {
    public var query: Tensor   // [T, NH*HS]
    public var keys: Tensor    // [S, NKV*HS]
    public var values: Tensor  // [S, NKV*HS]
}

public func attentionBackward(outputGradient dO: Tensor, query: Tensor, keys: Tensor, values: Tensor,
                              probabilities: Tensor, heads: Int, kvHeads: Int, headSize: Int,
                              scale: Float, causal: Bool = false, rowBlock: Int = causalRowBlock) -> AttentionGradients {
    let (tokens, keyCount) = (query.rowCount, keys.rowCount)
    let (queryWidth, kvWidth) = (heads * headSize, kvHeads * headSize)
    precondition(dO.shape == query.shape && query.lastDimension == queryWidth, "dO \(dO.shape), Q \(query.shape)")
    precondition(keys.shape == values.shape && keys.lastDimension == kvWidth, "K \(keys.shape), V \(values.shape)")
    precondition(probabilities.shape == [heads, tokens, keyCount], "P \(probabilities.shape) is not [\(heads), \(tokens), \(keyCount)]")
    precondition(rowBlock > 0 && (!causal || keyCount >= tokens), "rowBlock \(rowBlock), T \(tokens), S \(keyCount)")
    let group = heads / kvHeads
    let past = keyCount - tokens
    let blocks = attentionRowBlocks(tokens: tokens, rowBlock: rowBlock, causal: causal)
    var dQ = Tensor(zeros: query.shape), dK = Tensor(zeros: keys.shape), dV = Tensor(zeros: values.shape)
    var dZ = [Float](repeating: 0, count: min(tokens, causal ? rowBlock : tokens) * keyCount)
    dO.storage.withUnsafeBufferPointer { dOut in
    query.storage.withUnsafeBufferPointer { q in
    keys.storage.withUnsafeBufferPointer { k in
    values.storage.withUnsafeBufferPointer { v in
    probabilities.storage.withUnsafeBufferPointer { p in
    dQ.storage.withUnsafeMutableBufferPointer { dq in
    dK.storage.withUnsafeMutableBufferPointer { dk in
    dV.storage.withUnsafeMutableBufferPointer { dv in
    dZ.withUnsafeMutableBufferPointer { dz in
        let (dO0, q0, k0, v0, p0) = (dOut.baseAddress!, q.baseAddress!, k.baseAddress!, v.baseAddress!, p.baseAddress!)
        let (dq0, dk0, dv0, dz0) = (dq.baseAddress!, dk.baseAddress!, dv.baseAddress!, dz.baseAddress!)
        for h in 0..<heads {
            let g = h / group
            for (first, end) in blocks {
                let (rows, seen) = (end - first, causal ? past + end : keyCount)
                let ph = p0 + h * tokens * keyCount + first * keyCount
                let (dOh, qh) = (dO0 + first * queryWidth + h * headSize, q0 + first * queryWidth + h * headSize)
                // dV_g += P_h^T dO_h
                sgemm(transposeA: true, transposeB: false, m: seen, n: headSize, k: rows,
                      a: ph, lda: keyCount, b: dOh, ldb: queryWidth,
                      beta: 1, c: dv0 + g * headSize, ldc: kvWidth)
                // dP_h = dO_h V_g^T, into dZ
                sgemm(transposeA: false, transposeB: true, m: rows, n: seen, k: headSize,
                      a: dOh, lda: queryWidth, b: v0 + g * headSize, ldb: kvWidth,
                      c: dz0, ldc: keyCount)
                // softmax backward, row by row
                parallelFor(rows, minimumChunk: max(1, 16_384 / max(1, seen))) { rowRange in
                    for r in rowRange {
                        let (prow, drow) = (ph + r * keyCount, dz0 + r * keyCount)
                        var dot: Float = 0
                        for j in 0..<seen { dot += prow[j] * drow[j] }
                        for j in 0..<seen { drow[j] = prow[j] * (drow[j] - dot) }
                    }
                }
                // dQ_h = scale * dZ K_g
                sgemm(transposeA: false, transposeB: false, m: rows, n: headSize, k: seen, alpha: scale,
                      a: dz0, lda: keyCount, b: k0 + g * headSize, ldb: kvWidth,
                      c: dq0 + first * queryWidth + h * headSize, ldc: queryWidth)
                // dK_g += scale * dZ^T Q_h
                sgemm(transposeA: true, transposeB: false, m: seen, n: headSize, k: rows, alpha: scale,
                      a: dz0, lda: keyCount, b: qh, ldb: queryWidth,
                      beta: 1, c: dk0 + g * headSize, ldc: kvWidth)
            }
        }
    }}}}}}}}}
    return AttentionGradients(query: dQ, keys: dK, values: dV)
}
