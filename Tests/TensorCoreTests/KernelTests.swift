import Testing
@testable import TensorCore

@Suite struct KernelTests {
    @Test(arguments: KernelFixture.tags("softmax"))
    func softmaxMatchesPyTorch(tag: String) throws {
        let x = try KernelFixture.tensor("softmax.\(tag).x")
        #expect(relativeError(softmaxRows(x), try KernelFixture.tensor("softmax.\(tag).out")) < 1e-6)
    }

    @Test func softmaxOfFullyMaskedRowIsZero() {
        let x = Tensor(shape: [1, 3], storage: [-.infinity, -.infinity, -.infinity])
        #expect(softmaxRows(x).storage == [0, 0, 0])
    }

    @Test(arguments: KernelFixture.tags("layernorm"))
    func layerNormMatchesPyTorch(tag: String) throws {
        let x = try KernelFixture.tensor("layernorm.\(tag).x")
        let (y, stats) = layerNorm(x, weight: try KernelFixture.tensor("layernorm.\(tag).weight"),
                                   bias: try KernelFixture.tensor("layernorm.\(tag).bias"), eps: 1e-5)
        #expect(relativeError(y, try KernelFixture.tensor("layernorm.\(tag).out")) < 2e-6)
        #expect(stats.mean.count == x.rowCount)
    }

    @Test(arguments: KernelFixture.tags("rmsnorm"))
    func rmsNormMatchesTransformers(tag: String) throws {
        let x = try KernelFixture.tensor("act.\(tag).x")
        let (y, _) = rmsNorm(x, weight: try KernelFixture.tensor("rmsnorm.\(tag).weight"), eps: 1e-6)
        #expect(relativeError(y, try KernelFixture.tensor("rmsnorm.\(tag).out")) < 2e-6)
    }

    @Test(arguments: KernelFixture.tags("act"))
    func activationsMatchPyTorch(tag: String) throws {
        let x = try KernelFixture.tensor("act.\(tag).x")
        #expect(relativeError(gelu(x), try KernelFixture.tensor("act.\(tag).gelu")) < 1e-6)
        #expect(relativeError(quickGelu(x), try KernelFixture.tensor("act.\(tag).quick_gelu")) < 1e-6)
        #expect(relativeError(silu(x), try KernelFixture.tensor("act.\(tag).silu")) < 1e-6)
    }

    @Test(arguments: KernelFixture.tags("rope"))
    func rotaryMatchesTransformersLlama(tag: String) throws {
        var x = try KernelFixture.tensor("rope.\(tag).x")            // [T, NH, HS]
        let original = x
        let positions = try KernelFixture.tensor("rope.\(tag).positions").storage.map { Int($0) }
        let theta = try KernelFixture.tensor("rope.\(tag).theta").storage[0]
        let rope = RotaryEmbedding(headSize: x.shape[2], theta: theta)
        rope.apply(&x, heads: x.shape[1], positions: positions)
        #expect(relativeError(x, try KernelFixture.tensor("rope.\(tag).out")) < 1e-5)
        rope.apply(&x, heads: x.shape[1], positions: positions, inverse: true)
        #expect(relativeError(x, original) < 1e-5)
    }

    @Test(arguments: KernelFixture.tags("xent"))
    func crossEntropyMatchesPyTorch(tag: String) throws {
        let logits = try KernelFixture.tensor("xent.\(tag).logits")
        let targets = try KernelFixture.tensor("xent.\(tag).targets").storage.map { Int32($0) }
        let result = crossEntropy(logits: logits, targets: targets, computeGradient: true)
        let expectedLoss = try KernelFixture.tensor("xent.\(tag).loss").storage[0]
        #expect(abs(result.loss - expectedLoss) <= 1e-5 * max(1, abs(expectedLoss)))
        var gradient = result.logitGradient!
        gradient.scale(by: 1 / Float(result.countedRows))
        #expect(relativeError(gradient, try KernelFixture.tensor("xent.\(tag).grad")) < 1e-6)
    }

    @Test func crossEntropyWithEveryTargetIgnoredIsNaN() {
        let result = crossEntropy(logits: Tensor(zeros: [2, 3]), targets: [ignoreIndex, ignoreIndex])
        #expect(result.loss.isNaN && result.countedRows == 0)
    }

    @Test func elementwiseArithmetic() {
        let a = Tensor(shape: [2, 2], storage: [1, 2, 3, 4])
        #expect(add(a, a).storage == [2, 4, 6, 8])
        #expect(scaled(a, by: -0.5).storage == [-0.5, -1, -1.5, -2])
        var b = a
        b.addRowVector(Tensor(shape: [2], storage: [10, 20]))
        #expect(b.storage == [11, 22, 13, 24])
        #expect(a.transposed().storage == [1, 3, 2, 4])
    }
}
