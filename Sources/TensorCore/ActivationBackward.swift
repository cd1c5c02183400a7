#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Derivatives of the activations, for backward passes: dx = dy * f'(x).
//   GELU (exact)  f'(x) = Phi(x) + x * phi(x),  Phi = (1 + erf(x/sqrt2))/2, phi = exp(-x^2/2)/sqrt(2pi)
//   quick-GELU    f'(x) = s + 1.702 x s (1 - s),  s = sigmoid(1.702 x)
//   SiLU          f'(x) = s (1 + x (1 - s)),      s = sigmoid(x)

@inline(__always) public func geluExactDerivative(_ x: Float) -> Float {
    0.5 * (1 + erff(x * 0.70710678118654752)) + x * 0.39894228040143268 * expf(-0.5 * x * x)
}

@inline(__always) public func quickGeluDerivative(_ x: Float) -> Float {
    let s = sigmoid(1.702 * x)
    return s + 1.702 * x * s * (1 - s)
}

@inline(__always) public func siluDerivative(_ x: Float) -> Float {
    let s = sigmoid(x)
    return s * (1 + x * (1 - s))
}

/// dy * f'(x) elementwise, in parallel for large tensors.
public func activationBackward(_ dy: Tensor, input x: Tensor, derivative: (Float) -> Float) -> Tensor {
    precondition(dy.shape == x.shape, "activation backward: \(dy.shape) vs \(x.shape)")
    var dx = dy
    let n = x.count
    dx.storage.withUnsafeMutableBufferPointer { out in
        x.storage.withUnsafeBufferPointer { xs in
            let (o, i) = (out.baseAddress!, xs.baseAddress!)
            parallelFor(n, minimumChunk: 1 << 15) { range in
                for j in range { o[j] *= derivative(i[j]) }
            }
        }
    }
    return dx
}

/// Softmax over rows, backward from the forward's output p: dx = p * (dy - sum(dy * p)).
public func softmaxRowsBackward(_ dy: Tensor, output p: Tensor) -> Tensor {
    precondition(dy.shape == p.shape)
    let (rows, width) = (p.rowCount, p.lastDimension)
    var dx = Tensor(zeros: p.shape)
    for r in 0..<rows {
        var dot: Float = 0
        for c in 0..<width { dot += dy.storage[r * width + c] * p.storage[r * width + c] }
        for c in 0..<width { dx.storage[r * width + c] = p.storage[r * width + c] * (dy.storage[r * width + c] - dot) }
    }
    return dx
}
