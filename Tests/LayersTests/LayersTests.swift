import Foundation
import Testing
import TensorCore
import Layers

/// Layer kernels against direct definitions (f64 loops). Whole-model parity against
/// transformers lives in ArchitecturesTests.
struct LayersTests {
    /// softmax(scale q k^T + mask) v per head, by definition, in f64.
    func naiveAttention(q: Tensor, k: Tensor, v: Tensor, geometry g: AttentionGeometry, causal: Bool) -> Tensor {
        let (t, s) = (q.rowCount, k.rowCount)
        var out = Tensor(zeros: [t, g.queryWidth])
        for h in 0..<g.heads {
            let kvh = h / (g.heads / g.kvHeads)
            for i in 0..<t {
                let visible = causal ? s - t + i + 1 : s
                var scores = [Double](repeating: 0, count: visible)
                for j in 0..<visible {
                    var dot = 0.0
                    for d in 0..<g.headSize {
                        dot += Double(q.storage[i * g.queryWidth + h * g.headSize + d]) * Double(k.storage[j * g.kvWidth + kvh * g.headSize + d])
                    }
                    scores[j] = dot * Double(g.scale)
                }
                let m = scores.max()!
                let e = scores.map { exp($0 - m) }
                let z = e.reduce(0, +)
                for d in 0..<g.headSize {
                    var acc = 0.0
                    for j in 0..<visible { acc += e[j] / z * Double(v.storage[j * g.kvWidth + kvh * g.headSize + d]) }
                    out.storage[i * g.queryWidth + h * g.headSize + d] = Float(acc)
                }
            }
        }
        return out
    }

    /// rowBlock 2 exercises the causal block skipping (keys past a block's last visible one).
    @Test(arguments: [(5, 5, true, 128), (3, 8, true, 128), (1, 9, true, 128), (6, 6, false, 128), (7, 7, true, 2), (5, 9, true, 2), (6, 6, false, 2)])
    func groupedQueryAttentionMatchesDefinition(tokens: Int, keys: Int, causal: Bool, rowBlock: Int) {
        let g = AttentionGeometry(heads: 6, kvHeads: 2, headSize: 4)
        var rng = SeededGenerator(seed: 11)
        let q = rng.normalTensor(shape: [tokens, g.queryWidth])
        let k = rng.normalTensor(shape: [keys, g.kvWidth])
        let v = rng.normalTensor(shape: [keys, g.kvWidth])
        let (out, saved) = attention(query: q, keys: k, values: v, geometry: g, mask: causal ? .causal : .bidirectional, rowBlock: rowBlock)
        #expect(out.maxAbsDifference(naiveAttention(q: q, k: k, v: v, geometry: g, causal: causal)) < 1e-5)
        #expect(saved.probabilities.shape == [6, tokens, keys])
        // Every probability row sums to one.
        for r in 0..<(6 * tokens) {
            #expect(abs(saved.probabilities.row(r).reduce(0, +) - 1) < 1e-5)
            // The backward relies on masked probabilities being exactly 0.
            let visible = causal ? keys - tokens + r % tokens + 1 : keys
            #expect(Array(saved.probabilities.row(r))[visible...].allSatisfy { $0 == 0 })
        }
    }

    @Test func linearMatchesDefinitionWithBias() {
        var rng = SeededGenerator(seed: 3)
        let w = rng.normalTensor(shape: [7, 5])
        let b = rng.normalTensor(shape: [7])
        let x = rng.normalTensor(shape: [3, 5])
        var expected = naiveMatmul(x, w, transposeB: true)
        expected.addRowVector(b)
        let (y, saved) = Linear(weight: w, bias: b).forwardSaving(x)
        #expect(y.maxAbsDifference(expected) < 1e-5)
        #expect(saved.input == x)
    }

    /// Mapped BF16 / F16 bytes read exactly as the TensorCore conversions say.
    @Test(arguments: [WeightElementType.bf16, .f16, .f32])
    func mappedWeightsWidenExactly(type: WeightElementType) {
        var rng = SeededGenerator(seed: 5)
        let values = rng.normalTensor(shape: [6, 4])
        final class Box { var bytes: [UInt8] = [] }
        let box = Box()
        var expected = values
        for i in 0..<values.count {
            let v = values.storage[i]
            switch type {
            case .bf16:
                let bits = floatToBF16Bits(v); expected.storage[i] = bf16BitsToFloat(bits)
                box.bytes += [UInt8(bits & 0xFF), UInt8(bits >> 8)]
            case .f16:
                let bits = floatToF16Bits(v); expected.storage[i] = f16BitsToFloat(bits)
                box.bytes += [UInt8(bits & 0xFF), UInt8(bits >> 8)]
            case .f32:
                withUnsafeBytes(of: v.bitPattern.littleEndian) { box.bytes += $0 }
            }
        }
        box.bytes.withUnsafeBytes { raw in
            let w = WeightMatrix(mapped: raw.baseAddress!, type: type, shape: [6, 4], owner: box)
            #expect(w.materialized() == expected)
            let embedding = Embedding(weight: w)
            #expect(embedding([4, 1]).storage == Array(expected.row(4)) + Array(expected.row(1)))
            let x = rng.normalTensor(shape: [2, 4])
            #expect(Linear(weight: w).forward(x).maxAbsDifference(naiveMatmul(x, expected, transposeB: true)) < 1e-5)
        }
    }

    @Test func swigluMatchesDefinition() {
        var rng = SeededGenerator(seed: 9)
        let (gate, up, down) = (rng.normalTensor(shape: [6, 4]), rng.normalTensor(shape: [6, 4]), rng.normalTensor(shape: [4, 6]))
        let x = rng.normalTensor(shape: [3, 4])
        let mlp = SwiGLUMLP(gate: Linear(weight: gate), up: Linear(weight: up), down: Linear(weight: down))
        let g = naiveMatmul(x, gate, transposeB: true)
        let u = naiveMatmul(x, up, transposeB: true)
        var h = g
        for i in 0..<h.count { let a = Double(g.storage[i]); h.storage[i] = Float(a / (1 + exp(-a))) * u.storage[i] }
        #expect(mlp.forward(x).output.maxAbsDifference(naiveMatmul(h, down, transposeB: true)) < 1e-5)
    }

    @Test func activationsFollowTheirFormulas() {
        let x = Tensor(shape: [4], storage: [-2, -0.5, 0.3, 1.7])
        for (i, v) in x.storage.enumerated() {
            let d = Double(v)
            #expect(abs(Double(Activation.gelu(x).storage[i]) - d * 0.5 * (1 + erf(d / 2.0.squareRoot()))) < 1e-6)
            #expect(abs(Double(Activation.quickGelu(x).storage[i]) - d / (1 + exp(-1.702 * d))) < 1e-6)
            #expect(abs(Double(Activation.silu(x).storage[i]) - d / (1 + exp(-d))) < 1e-6)
        }
    }
}

extension LayersTests {
    /// Wide BF16 weights are widened in blocks of output rows; the product must not change.
    @Test func blockwiseWideningOfAWideWeight() {
        var rng = SeededGenerator(seed: 21)
        let (outputs, inputs) = (2100, 2048)  // more than one block of 2^22 elements
        var bits = [UInt16](repeating: 0, count: outputs * inputs)
        var values = [Float](repeating: 0, count: outputs * inputs)
        for i in 0..<bits.count {
            bits[i] = floatToBF16Bits(rng.nextUniform(low: -1, high: 1))
            values[i] = bf16BitsToFloat(bits[i])
        }
        final class Owner { let bits: [UInt16]; init(_ b: [UInt16]) { bits = b } }
        let owner = Owner(bits)
        let x = rng.normalTensor(shape: [2, inputs])
        owner.bits.withUnsafeBytes { raw in
            let mapped = Linear(weight: WeightMatrix(mapped: raw.baseAddress!, type: .bf16, shape: [outputs, inputs], owner: owner))
            let dense = Linear(weight: Tensor(shape: [outputs, inputs], storage: values))
            #expect(mapped.weight.needsConversion)
            #expect(mapped.forward(x).maxAbsDifference(dense.forward(x)) < 1e-4)
        }
    }
}
