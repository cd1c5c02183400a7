// Backward passes of LayerNorm and RMSNorm, from the statistics the forward saved.
// x, dy: [N, C]; weight: [C]. Weight (and bias) gradients are ACCUMULATED into the given
// buffers (several calls may share them, as with gradient accumulation); dx is returned.

/// LayerNorm: xhat = (x - mean) * rstd, y = xhat * w + b.
///   dxhat = dy * w
///   dx    = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
///   dw   += sum_rows dy * xhat,   db += sum_rows dy
public func layerNormBackward(_ dy: Tensor, input x: Tensor, weight: Tensor, statistics: NormStatistics,
                              weightGradient: inout Tensor?, biasGradient: inout Tensor?) -> Tensor {
    let (rows, width) = (x.rowCount, x.lastDimension)
    precondition(dy.shape == x.shape && weight.count == width)
    var dx = Tensor(zeros: x.shape)
    var dw = [Double](repeating: 0, count: width), db = [Double](repeating: 0, count: width)
    for r in 0..<rows {
        let (mean, rstd) = (statistics.mean[r], statistics.reciprocalStd[r])
        var sumD = 0.0, sumDX = 0.0
        for c in 0..<width {
            let xhat = (x.storage[r * width + c] - mean) * rstd
            let d = dy.storage[r * width + c] * weight.storage[c]
            sumD += Double(d)
            sumDX += Double(d * xhat)
            dw[c] += Double(dy.storage[r * width + c] * xhat)
            db[c] += Double(dy.storage[r * width + c])
        }
        let (meanD, meanDX) = (Float(sumD / Double(width)), Float(sumDX / Double(width)))
        for c in 0..<width {
            let xhat = (x.storage[r * width + c] - mean) * rstd
            let d = dy.storage[r * width + c] * weight.storage[c]
            dx.storage[r * width + c] = rstd * (d - meanD - xhat * meanDX)
        }
    }
    if weightGradient != nil { for c in 0..<width { weightGradient!.storage[c] += Float(dw[c]) } }
    if biasGradient != nil { for c in 0..<width { biasGradient!.storage[c] += Float(db[c]) } }
    return dx
}

/// RMSNorm: y = w * x * rstd with rstd = 1/sqrt(mean(x^2) + eps).
///   dx  = rstd * (dy*w - x * rstd^2 * mean(dy*w*x))
///   dw += sum_rows dy * x * rstd
public func rmsNormBackward(_ dy: Tensor, input x: Tensor, weight: Tensor, statistics: NormStatistics,
                            weightGradient: inout Tensor?) -> Tensor {
    let (rows, width) = (x.rowCount, x.lastDimension)
    precondition(dy.shape == x.shape && weight.count == width)
    var dx = Tensor(zeros: x.shape)
    var dw = [Double](repeating: 0, count: width)
    dx.storage.withUnsafeMutableBufferPointer { out in
        x.storage.withUnsafeBufferPointer { xs in
            dy.storage.withUnsafeBufferPointer { dys in
                for r in 0..<rows {
                    let rstd = statistics.reciprocalStd[r]
                    let base = r * width
                    var dot = 0.0
                    for c in 0..<width { dot += Double(dys[base + c] * weight.storage[c]) * Double(xs[base + c]) }
                    let correction = Float(dot / Double(width)) * rstd * rstd
                    for c in 0..<width {
                        out[base + c] = rstd * (dys[base + c] * weight.storage[c] - xs[base + c] * correction)
                        dw[c] += Double(dys[base + c] * xs[base + c] * rstd)
                    }
                }
            }
        }
    }
    if weightGradient != nil { for c in 0..<width { weightGradient!.storage[c] += Float(dw[c]) } }
    return dx
}
