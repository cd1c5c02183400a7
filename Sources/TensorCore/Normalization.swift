// LayerNorm (CLIP) and RMSNorm (LLaMA) over the last dimension, returning the per-row
// statistics a backward pass needs. Statistics are accumulated in f64 so the result does not
// depend on summation order; PyTorch's f32 kernels agree to about 1e-7.

public struct NormStatistics: Sendable {
    /// Per-row mean (LayerNorm only; zeros for RMSNorm).
    public var mean: [Float]
    /// Per-row 1 / sqrt(variance + eps) (LayerNorm) or 1 / sqrt(mean(x^2) + eps) (RMSNorm).
    public var reciprocalStd: [Float]
}

/// y = (x - mean) / sqrt(var + eps) * weight + bias, biased variance, as torch.nn.LayerNorm.
public func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor?, eps: Float) -> (Tensor, NormStatistics) {
    let (rows, width) = (x.rowCount, x.lastDimension)
    precondition(weight.count == width && (bias?.count ?? width) == width, "LayerNorm parameters must have \(width) elements")
    var out = x
    var stats = NormStatistics(mean: .init(repeating: 0, count: rows), reciprocalStd: .init(repeating: 0, count: rows))
    let biasValues = bias?.storage ?? [Float](repeating: 0, count: width)
    out.storage.withUnsafeMutableBufferPointer { buffer in
        stats.mean.withUnsafeMutableBufferPointer { means in
            stats.reciprocalStd.withUnsafeMutableBufferPointer { rstds in
                let (base, meanBase, rstdBase) = (buffer.baseAddress!, means.baseAddress!, rstds.baseAddress!)
                parallelFor(rows, minimumChunk: 16) { range in
                    for r in range {
                        let row = base + r * width
                        var sum = 0.0
                        for c in 0..<width { sum += Double(row[c]) }
                        let mean = sum / Double(width)
                        var squares = 0.0
                        for c in 0..<width { let d = Double(row[c]) - mean; squares += d * d }
                        let rstd = 1 / (squares / Double(width) + Double(eps)).squareRoot()
                        let (m, s) = (Float(mean), Float(rstd))
                        for c in 0..<width { row[c] = (row[c] - m) * s * weight.storage[c] + biasValues[c] }
                        meanBase[r] = m
                        rstdBase[r] = s
                    }
                }
            }
        }
    }
    return (out, stats)
}

/// y = x / sqrt(mean(x^2) + eps) * weight, as transformers' LlamaRMSNorm.
public func rmsNorm(_ x: Tensor, weight: Tensor, eps: Float) -> (Tensor, NormStatistics) {
    let (rows, width) = (x.rowCount, x.lastDimension)
    precondition(weight.count == width, "RMSNorm weight must have \(width) elements")
    var out = x
    var stats = NormStatistics(mean: .init(repeating: 0, count: rows), reciprocalStd: .init(repeating: 0, count: rows))
    out.storage.withUnsafeMutableBufferPointer { buffer in
        stats.reciprocalStd.withUnsafeMutableBufferPointer { rstds in
            let (base, rstdBase) = (buffer.baseAddress!, rstds.baseAddress!)
            parallelFor(rows, minimumChunk: 16) { range in
                for r in range {
                    let row = base + r * width
                    var squares = 0.0
                    for c in 0..<width { squares += Double(row[c]) * Double(row[c]) }
                    let s = Float(1 / (squares / Double(width) + Double(eps)).squareRoot())
                    // transformers multiplies by rsqrt first, then by the weight.
                    for c in 0..<width { row[c] = weight.storage[c] * (row[c] * s) }
                    rstdBase[r] = s
                }
            }
        }
    }
    return (out, stats)
}
