import Testing
@testable import TensorCore

/// Finite-difference checks of every backward kernel (loss = sum(y * probe) for a random probe).
@Suite struct BackwardTests {
    var rng = SeededGenerator(seed: 11)

    @Test mutating func layerNorm() {
        let x = rng.normalTensor(shape: [3, 7]), w = rng.normalTensor(shape: [7]), b = rng.normalTensor(shape: [7])
        let probe = rng.normalTensor(shape: [3, 7])
        let (_, stats) = TensorCore.layerNorm(x, weight: w, bias: b, eps: 1e-5)
        var dw: Tensor? = Tensor(zeros: [7]), db: Tensor? = Tensor(zeros: [7])
        let dx = layerNormBackward(probe, input: x, weight: w, statistics: stats, weightGradient: &dw, biasGradient: &db)
        #expect(finiteDifferenceError(x, analytic: dx) { dot(TensorCore.layerNorm($0, weight: w, bias: b, eps: 1e-5).0, probe) } < 2e-3)
        #expect(finiteDifferenceError(w, analytic: dw!) { dot(TensorCore.layerNorm(x, weight: $0, bias: b, eps: 1e-5).0, probe) } < 2e-3)
        #expect(finiteDifferenceError(b, analytic: db!) { dot(TensorCore.layerNorm(x, weight: w, bias: $0, eps: 1e-5).0, probe) } < 2e-3)
    }

    @Test mutating func rmsNorm() {
        let x = rng.normalTensor(shape: [4, 33]), w = rng.normalTensor(shape: [33])
        let probe = rng.normalTensor(shape: [4, 33])
        let (_, stats) = TensorCore.rmsNorm(x, weight: w, eps: 1e-6)
        var dw: Tensor? = Tensor(zeros: [33])
        let dx = rmsNormBackward(probe, input: x, weight: w, statistics: stats, weightGradient: &dw)
        #expect(finiteDifferenceError(x, analytic: dx) { dot(TensorCore.rmsNorm($0, weight: w, eps: 1e-6).0, probe) } < 2e-3)
        #expect(finiteDifferenceError(w, analytic: dw!) { dot(TensorCore.rmsNorm(x, weight: $0, eps: 1e-6).0, probe) } < 2e-3)
    }

    @Test mutating func activations() {
        let x = rng.normalTensor(shape: [5, 13], std: 2), probe = rng.normalTensor(shape: [5, 13])
        for (forward, derivative) in [(gelu as (Tensor) -> Tensor, geluExactDerivative as (Float) -> Float),
                                      (quickGelu, quickGeluDerivative), (silu, siluDerivative)] {
            let dx = activationBackward(probe, input: x, derivative: derivative)
            #expect(finiteDifferenceError(x, analytic: dx) { dot(forward($0), probe) } < 2e-3)
        }
    }

    @Test mutating func softmax() {
        let x = rng.normalTensor(shape: [3, 9]), probe = rng.normalTensor(shape: [3, 9])
        let dx = softmaxRowsBackward(probe, output: softmaxRows(x))
        #expect(finiteDifferenceError(x, analytic: dx) { dot(softmaxRows($0), probe) } < 2e-3)
    }

    @Test mutating func crossEntropy() {
        let logits = rng.normalTensor(shape: [4, 11]), targets: [Int32] = [3, ignoreIndex, 0, 10]
        var grad = TensorCore.crossEntropy(logits: logits, targets: targets, computeGradient: true).logitGradient!
        grad.scale(by: 1.0 / 3)
        #expect(finiteDifferenceError(logits, analytic: grad) { Double(TensorCore.crossEntropy(logits: $0, targets: targets).loss) } < 2e-3)
    }

    @Test mutating func rotaryBackwardIsTheInverseRotation() {
        let rope = RotaryEmbedding(headSize: 8, theta: 10000)
        let positions = [0, 3, 17]
        let x = rng.normalTensor(shape: [3, 2, 8]), probe = rng.normalTensor(shape: [3, 2, 8])
        var dx = probe
        rope.apply(&dx, heads: 2, positions: positions, inverse: true)
        #expect(finiteDifferenceError(x, analytic: dx) { var y = $0; rope.apply(&y, heads: 2, positions: positions); return dot(y, probe) } < 2e-3)
    }

    @Test mutating func matmulProductsOfALinearLayer() {
        // Y = X W^T: dX = dY W, dW = dY^T X.
        let x = rng.normalTensor(shape: [5, 7]), w = rng.normalTensor(shape: [3, 7]), probe = rng.normalTensor(shape: [5, 3])
        let dx = matmul(probe, w), dw = matmul(probe, x, transposeA: true)
        #expect(finiteDifferenceError(x, analytic: dx) { dot(matmul($0, w, transposeB: true), probe) } < 2e-3)
        #expect(finiteDifferenceError(w, analytic: dw) { dot(matmul(x, $0, transposeB: true), probe) } < 2e-3)
    }
}
