import Testing
@testable import TensorCore

@Suite struct MatmulTests {
    @Test(arguments: KernelFixture.tags("matmul"))
    func everyTransposeCombinationMatchesPyTorch(tag: String) throws {
        let a = try KernelFixture.tensor("matmul.\(tag).a")
        let b = try KernelFixture.tensor("matmul.\(tag).b")
        let at = try KernelFixture.tensor("matmul.\(tag).a_t")
        let bt = try KernelFixture.tensor("matmul.\(tag).b_t")
        let expected = try KernelFixture.tensor("matmul.\(tag).out")
        let k = Float(a.shape[1])
        let tolerance: Float = 2e-6 * k.squareRoot() + 1e-6
        for (x, y, ta, tb) in [(a, b, false, false), (a, bt, false, true), (at, b, true, false), (at, bt, true, true)] {
            #expect(relativeError(matmul(x, y, transposeA: ta, transposeB: tb), expected) < tolerance, "\(tag) tA=\(ta) tB=\(tb)")
            #expect(relativeError(naiveMatmul(x, y, transposeA: ta, transposeB: tb), expected) < tolerance, "naive \(tag)")
        }
    }

    @Test func accumulateAddsScaledProduct() throws {
        var rng = SeededGenerator(seed: 3)
        let a = rng.normalTensor(shape: [7, 33]), b = rng.normalTensor(shape: [7, 5])
        var c = rng.normalTensor(shape: [33, 5])
        let before = c
        matmulAccumulate(&c, a, b, alpha: 0.5, transposeA: true)
        var expected = before
        expected.add(naiveMatmul(a, b, transposeA: true), scaledBy: 0.5)
        #expect(c.maxAbsDifference(expected) < 1e-5)
    }

    @Test func emptyInnerDimensionGivesZeros() {
        let product = matmul(Tensor(zeros: [3, 0]), Tensor(zeros: [0, 2]))
        #expect(product == Tensor(zeros: [3, 2]))
    }
}
