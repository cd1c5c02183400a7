import Adapters
import Architectures
import Foundation
import Layers
import TensorCore
@testable import Training

/// Worst relative error of central finite differences of a scalar `f` against `analytic`, over
/// up to `maxElements` evenly spread elements of `x`:
///   |num - ana| / max(floor, |num| + |ana|)
func finiteDifferenceError(_ x: Tensor, analytic: Tensor, maxElements: Int = 40, step: Float = 1e-2,
                           floor: Double = 1e-2, _ f: (Tensor) -> Double) -> Double {
    precondition(x.shape == analytic.shape, "analytic gradient \(analytic.shape) for \(x.shape)")
    var worst = 0.0
    let stride = max(1, x.count / maxElements)
    for i in Swift.stride(from: 0, to: x.count, by: stride) {
        var plus = x, minus = x
        plus.storage[i] += step
        minus.storage[i] -= step
        let numeric = (f(plus) - f(minus)) / (2 * Double(step))
        let a = Double(analytic.storage[i])
        worst = max(worst, abs(numeric - a) / max(floor, abs(numeric) + abs(a)))
    }
    return worst
}

/// sum(y * probe), accumulated in f64: a scalar whose gradient with respect to y is `probe`.
func dot(_ y: Tensor, _ probe: Tensor) -> Double {
    precondition(y.count == probe.count)
    return zip(y.storage, probe.storage).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}

func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var g = SeededGenerator(seed: seed)
    return g.uniformTensor(shape: shape, low: -scale, high: scale)
}

/// Relative difference of two tensors: max |a - b| / max |b|.
func relativeDifference(_ a: Tensor, _ b: Tensor) -> Double {
    precondition(a.shape == b.shape, "\(a.shape) vs \(b.shape)")
    var (diff, size) = (0.0, 0.0)
    for i in 0..<a.count {
        diff = max(diff, abs(Double(a.storage[i]) - Double(b.storage[i])))
        size = max(size, abs(Double(b.storage[i])))
    }
    return diff / max(size, 1e-30)
}

/// A small LLaMA configuration with grouped-query heads.
func tinyLlamaConfiguration(layers: Int = 2) -> LlamaConfiguration {
    var c = LlamaConfiguration()
    c.vocabularySize = 23
    c.hiddenSize = 16
    c.intermediateSize = 24
    c.layerCount = layers
    c.headCount = 4
    c.kvHeadCount = 2
    c.headSize = 4
    c.rmsNormEps = 1e-5
    c.ropeTheta = 100
    return c
}

/// A LoRA adapter with non-zero A and B.
func randomAdapter(out: Int, in inputs: Int, rank: Int = 3, scale: Float = 1.5, dropout: Float = 0, seed: UInt64) -> LowRankAdapter {
    LowRankAdapter(a: randomTensor([rank, inputs], seed: seed, scale: 0.5), b: randomTensor([out, rank], seed: seed + 1, scale: 0.5),
                   scale: scale, dropout: dropout)
}

/// Directional check, robust to f32 rounding in the forward: for the analytic gradient's own
/// direction and two random directions u (unit length), compare the central difference
/// (f(x + h u) - f(x - h u)) / 2h with g . u. Returns the worst |num - ana| / |g|.
func directionalDerivativeError(_ x: Tensor, analytic: Tensor, step: Float = 1e-2, _ f: (Tensor) -> Double) -> Double {
    precondition(x.shape == analytic.shape, "analytic gradient \(analytic.shape) for \(x.shape)")
    let gradientNorm = analytic.storage.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    guard gradientNorm > 0 else { return f(x).isFinite ? 0 : .infinity }
    var directions = [analytic]
    for seed in [UInt64(1), 2] {
        var g = SeededGenerator(seed: seed)
        directions.append(g.normalTensor(shape: x.shape))
    }
    var worst = 0.0
    for direction in directions {
        let length = direction.storage.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let u = direction.storage.map { Float(Double($0) / length) }
        var plus = x, minus = x
        for i in 0..<x.count { plus.storage[i] += step * u[i]; minus.storage[i] -= step * u[i] }
        let numeric = (f(plus) - f(minus)) / (2 * Double(step))
        let exact = zip(analytic.storage, u).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        worst = max(worst, abs(numeric - exact) / gradientNorm)
    }
    return worst
}
