#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Elementwise kernels and activations. Formulas follow PyTorch / transformers exactly:
//   GELU (exact)  x/2 * (1 + erf(x / sqrt 2))          nn.GELU(), LLaVA's projector
//   quick-GELU    x * sigmoid(1.702 x)                  CLIP's hidden_act "quick_gelu"
//   SiLU          x * sigmoid(x)                        LLaMA's "silu"

public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.shape == b.shape, "add: \(a.shape) vs \(b.shape)")
    var out = a
    out.add(b)
    return out
}

public func scaled(_ a: Tensor, by factor: Float) -> Tensor {
    var out = a
    out.scale(by: factor)
    return out
}

extension Tensor {
    /// self += other (same shape).
    public mutating func add(_ other: Tensor, scaledBy factor: Float = 1) {
        precondition(shape == other.shape, "add: \(shape) vs \(other.shape)")
        let n = count
        storage.withUnsafeMutableBufferPointer { out in
            other.storage.withUnsafeBufferPointer { src in
                for i in 0..<n { out[i] += factor * src[i] }
            }
        }
    }

    /// self[r, :] += vector for every row (bias add).
    public mutating func addRowVector(_ vector: Tensor) {
        precondition(vector.count == lastDimension, "bias of \(vector.count) for rows of \(lastDimension)")
        let (rows, width) = (rowCount, lastDimension)
        storage.withUnsafeMutableBufferPointer { out in
            vector.storage.withUnsafeBufferPointer { v in
                for r in 0..<rows { for c in 0..<width { out[r * width + c] += v[c] } }
            }
        }
    }

    public mutating func scale(by factor: Float) {
        let n = count
        storage.withUnsafeMutableBufferPointer { out in for i in 0..<n { out[i] *= factor } }
    }

    /// Apply `f` to every element, in parallel for large tensors.
    public func map(_ f: (Float) -> Float) -> Tensor {
        var out = self
        let n = count
        out.storage.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            parallelFor(n, minimumChunk: 1 << 15) { range in
                for i in range { base[i] = f(base[i]) }
            }
        }
        return out
    }
}

@inline(__always) public func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }
@inline(__always) public func geluExact(_ x: Float) -> Float { 0.5 * x * (1 + erff(x * 0.70710678118654752)) }
@inline(__always) public func quickGelu(_ x: Float) -> Float { x * sigmoid(1.702 * x) }
@inline(__always) public func silu(_ x: Float) -> Float { x * sigmoid(x) }

public func gelu(_ x: Tensor) -> Tensor { x.map(geluExact) }
public func quickGelu(_ x: Tensor) -> Tensor { x.map(quickGelu) }
public func silu(_ x: Tensor) -> Tensor { x.map(silu) }
