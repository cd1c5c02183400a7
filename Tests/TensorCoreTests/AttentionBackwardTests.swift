import Foundation
import Testing
@testable import TensorCore

/// Attention backward against finite differences of a plain reference forward (loops, f64),
/// causal and bidirectional, with grouped-query heads and a KV-cache-style offset (S > T).
@Suite struct AttentionBackwardTests {
    /// out [T, NH*HS] and P [NH, T, S]; causal query t sees keys 0...(S - T + t).
    static func referenceAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, heads: Int, kvHeads: Int, headSize: Int,
                                   causal: Bool) -> (Tensor, Tensor) {
        let (T, S) = (q.rowCount, k.rowCount)
        let scale = 1 / Double(headSize).squareRoot()
        var out = Tensor(zeros: [T, heads * headSize]), probs = Tensor(zeros: [heads, T, S])
        for h in 0..<heads {
            let g = h / (heads / kvHeads)
            for t in 0..<T {
                let visible = causal ? S - T + t + 1 : S
                var scores = [Double](repeating: 0, count: visible)
                for j in 0..<visible {
                    for d in 0..<headSize {
                        scores[j] += Double(q.storage[t * heads * headSize + h * headSize + d]) * Double(k.storage[j * kvHeads * headSize + g * headSize + d])
                    }
                    scores[j] *= scale
                }
                let m = scores.max()!
                let e = scores.map { exp($0 - m) }, total = e.reduce(0, +)
                for j in 0..<visible {
                    let pj = e[j] / total
                    probs.storage[(h * T + t) * S + j] = Float(pj)
                    for d in 0..<headSize {
                        out.storage[t * heads * headSize + h * headSize + d] += Float(pj * Double(v.storage[j * kvHeads * headSize + g * headSize + d]))
                    }
                }
            }
        }
        return (out, probs)
    }

    /// rowBlock 2 takes the causal rows two at a time, so the skipped keys are exercised at test size.
    @Test(arguments: [(true, 5, 5, 128), (true, 3, 7, 128), (false, 4, 6, 128), (true, 5, 5, 2), (true, 5, 8, 2)])
    func gradientsMatchFiniteDifferences(causal: Bool, tokens: Int, keyCount: Int, rowBlock: Int) {
        var rng = SeededGenerator(seed: UInt64(tokens * 10 + keyCount))
        let (heads, kvHeads, headSize) = (4, 2, 3)
        let q = rng.normalTensor(shape: [tokens, heads * headSize])
        let k = rng.normalTensor(shape: [keyCount, kvHeads * headSize])
        let v = rng.normalTensor(shape: [keyCount, kvHeads * headSize])
        let probe = rng.normalTensor(shape: [tokens, heads * headSize])
        let (_, probs) = Self.referenceAttention(q, k, v, heads: heads, kvHeads: kvHeads, headSize: headSize, causal: causal)
        let grads = attentionBackward(outputGradient: probe, query: q, keys: k, values: v, probabilities: probs,
                                      heads: heads, kvHeads: kvHeads, headSize: headSize, scale: 1 / Float(headSize).squareRoot(),
                                      causal: causal, rowBlock: rowBlock)
        func loss(_ q: Tensor, _ k: Tensor, _ v: Tensor) -> Double {
            dot(Self.referenceAttention(q, k, v, heads: heads, kvHeads: kvHeads, headSize: headSize, causal: causal).0, probe)
        }
        #expect(finiteDifferenceError(q, analytic: grads.query) { loss($0, k, v) } < 3e-3)
        #expect(finiteDifferenceError(k, analytic: grads.keys) { loss(q, $0, v) } < 3e-3)
        #expect(finiteDifferenceError(v, analytic: grads.values) { loss(q, k, $0) } < 3e-3)
    }
}
