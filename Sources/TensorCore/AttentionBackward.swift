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
// Every product is an sgemm on strided views; only dZ for one head is allocated at a time.

public struct AttentionGradients: Sendable {
    public var query: Tensor   // [T, NH*HS]
    public var keys: Tensor    // [S, NKV*HS]
    public var values: Tensor  // [S, NKV*HS]
}

public func attentionBackward(outputGradient dO: Tensor, query: Tensor, keys: Tensor, values: Tensor,
                              probabilities: Tensor, heads: Int, kvHeads: Int, headSize: Int,
                              scale: Float) -> AttentionGradients {
    let (tokens, keyCount) = (query.rowCount, keys.rowCount)
    let (queryWidth, kvWidth) = (heads * headSize, kvHeads * headSize)
    precondition(dO.shape == query.shape && query.lastDimension == queryWidth, "dO \(dO.shape), Q \(query.shape)")
    precondition(keys.shape == values.shape && keys.lastDimension == kvWidth, "K \(keys.shape), V \(values.shape)")
    precondition(probabilities.shape == [heads, tokens, keyCount], "P \(probabilities.shape) is not [\(heads), \(tokens), \(keyCount)]")
    let group = heads / kvHeads
    var dQ = Tensor(zeros: query.shape), dK = Tensor(zeros: keys.shape), dV = Tensor(zeros: values.shape)
    var dZ = [Float](repeating: 0, count: tokens * keyCount)
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
            let ph = p0 + h * tokens * keyCount
            // dV_g += P_h^T dO_h
            sgemm(transposeA: true, transposeB: false, m: keyCount, n: headSize, k: tokens,
                  a: ph, lda: keyCount, b: dO0 + h * headSize, ldb: queryWidth,
                  beta: 1, c: dv0 + g * headSize, ldc: kvWidth)
            // dP_h = dO_h V_g^T, into dZ
            sgemm(transposeA: false, transposeB: true, m: tokens, n: keyCount, k: headSize,
                  a: dO0 + h * headSize, lda: queryWidth, b: v0 + g * headSize, ldb: kvWidth,
                  c: dz0, ldc: keyCount)
            // softmax backward, row by row
            parallelFor(tokens, minimumChunk: max(1, 16_384 / max(1, keyCount))) { rows in
                for t in rows {
                    let (prow, drow) = (ph + t * keyCount, dz0 + t * keyCount)
                    var dot: Float = 0
                    for j in 0..<keyCount { dot += prow[j] * drow[j] }
                    for j in 0..<keyCount { drow[j] = prow[j] * (drow[j] - dot) }
                }
            }
            // dQ_h = scale * dZ K_g
            sgemm(transposeA: false, transposeB: false, m: tokens, n: headSize, k: keyCount, alpha: scale,
                  a: dz0, lda: keyCount, b: k0 + g * headSize, ldb: kvWidth,
                  c: dq0 + h * headSize, ldc: queryWidth)
            // dK_g += scale * dZ^T Q_h
            sgemm(transposeA: true, transposeB: false, m: keyCount, n: headSize, k: tokens, alpha: scale,
                  a: dz0, lda: keyCount, b: q0 + h * headSize, ldb: queryWidth,
                  beta: 1, c: dk0 + g * headSize, ldc: kvWidth)
        }
    }}}}}}}}}
    return AttentionGradients(query: dQ, keys: dK, values: dV)
}
