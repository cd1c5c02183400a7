import Testing
import TensorCore
@testable import Adapters

// The adapter's forward against the definition, its backward against finite differences, and
// the initialisation invariants (output unchanged, merge == unmerged forward).

private func randomAdapter(out: Int = 6, inFeatures: Int = 5, rank: Int = 3, dropout: Float = 0, seed: UInt64 = 1) -> LowRankAdapter {
    var g = SeededGenerator(seed: seed)
    return LowRankAdapter(a: g.normalTensor(shape: [rank, inFeatures]), b: g.normalTensor(shape: [out, rank]),
                          scale: 1.5, dropout: dropout)
}

@Test func forwardIsBasePlusScaledLowRankProduct() {
    let adapter = randomAdapter()
    var g = SeededGenerator(seed: 2)
    let x = g.normalTensor(shape: [4, 5]), base = g.normalTensor(shape: [4, 6])
    let (y, _) = adapter.forward(x, baseOutput: base)
    // base + scale x A^T B^T = base + x (scale B A)^T
    var expected = naiveMatmul(x, naiveMatmul(adapter.b, adapter.a), transposeB: true)
    expected.scale(by: adapter.scale)
    expected.add(base)
    #expect(y.maxAbsDifference(expected) <= 1e-5)
}

@Test(arguments: [Float(0), 0.4])
func backwardMatchesFiniteDifferences(dropout: Float) {
    let adapter = randomAdapter(dropout: dropout)
    var g = SeededGenerator(seed: 3)
    let x = g.normalTensor(shape: [4, 5]), base = g.normalTensor(shape: [4, 6]), upstream = g.normalTensor(shape: [4, 6])
    // loss = sum(y * upstream) with the same dropout mask every time (same generator seed)
    func loss(_ a: LowRankAdapter, _ x: Tensor) -> Double {
        var dg = SeededGenerator(seed: 9)
        let (y, _) = a.forward(x, baseOutput: base, dropoutGenerator: &dg)
        return zip(y.storage, upstream.storage).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }
    var dg = SeededGenerator(seed: 9)
    let (_, saved) = adapter.forward(x, baseOutput: base, dropoutGenerator: &dg)
    if dropout > 0 { #expect(saved.mask != nil) }
    var gradients = LowRankAdapter.Gradients(for: adapter)
    let dx = adapter.backward(upstream, saved: saved, gradients: &gradients)
    let h: Float = 1e-2
    func central(_ perturb: (inout LowRankAdapter, inout Tensor, Float) -> Void) -> Double {
        var (ap, xp, am, xm) = (adapter, x, adapter, x)
        perturb(&ap, &xp, h)
        perturb(&am, &xm, -h)
        return (loss(ap, xp) - loss(am, xm)) / Double(2 * h)
    }
    for i in 0..<adapter.a.count {
        let fd = central { a, _, d in a.a.storage[i] += d }
        #expect(abs(fd - Double(gradients.a.storage[i])) <= 2e-3 * max(1, abs(fd)), "dA[\(i)]")
    }
    for i in 0..<adapter.b.count {
        let fd = central { a, _, d in a.b.storage[i] += d }
        #expect(abs(fd - Double(gradients.b.storage[i])) <= 2e-3 * max(1, abs(fd)), "dB[\(i)]")
    }
    for i in 0..<x.count {
        // the base path's dX is the caller's; loss's x-dependence here is only the adapter's
        let fd = central { _, x, d in x.storage[i] += d }
        #expect(abs(fd - Double(dx.storage[i])) <= 2e-3 * max(1, abs(fd)), "dX[\(i)]")
    }
}

@Test func dropoutActsOnlyInTrainingAndKeepsExpectation() {
    let adapter = randomAdapter(out: 4, inFeatures: 64, rank: 2, dropout: 0.25)
    var g = SeededGenerator(seed: 4)
    let x = g.normalTensor(shape: [64, 64])
    let (_, saved) = adapter.forward(x, baseOutput: Tensor(zeros: [64, 4]), dropoutGenerator: &g)
    let mask = saved.mask!
    let kept = mask.filter { $0 > 0 }
    #expect(kept.allSatisfy { abs($0 - 1 / 0.75) < 1e-6 })
    let keptFraction = Double(kept.count) / Double(mask.count)
    #expect(abs(keptFraction - 0.75) < 0.03)
    let (_, evalSaved) = adapter.forward(x, baseOutput: Tensor(zeros: [64, 4]))
    #expect(evalSaved.mask == nil && evalSaved.droppedInput == x)
}

@Test func mergeUnmergeAndMergedForwardAgree() {
    let adapter = randomAdapter()
    var g = SeededGenerator(seed: 5)
    let w = g.normalTensor(shape: [6, 5]), x = g.normalTensor(shape: [3, 5])
    var merged = w
    adapter.merge(into: &merged)
    let (unmergedY, _) = adapter.forward(x, baseOutput: matmul(x, w, transposeB: true))
    #expect(matmul(x, merged, transposeB: true).maxAbsDifference(unmergedY) <= 1e-5)
    adapter.unmerge(from: &merged)
    #expect(merged.maxAbsDifference(w) <= 1e-5)
    #expect(merged.maxAbsDifference(w) <= 1e-5)
    var delta = w
    delta.add(adapter.delta())
    adapter.unmerge(from: &delta)
    #expect(delta.maxAbsDifference(w) <= 1e-5)
}

@Test(arguments: AdapterInitialization.allCases)
func outputUnchangedAtInitialisation(mode: AdapterInitialization) throws {
    var g = SeededGenerator(seed: 6)
    let w = g.normalTensor(shape: [24, 16], std: 0.3), x = g.normalTensor(shape: [7, 16])
    let weight = NamedWeight(name: "model.language_model.layers.0.mlp.up_proj", shape: [24, 16]) { w }
    for alpha: Float in [4, 8] {
        let settings = AdapterSettings(rank: 4, alpha: alpha, dropout: 0.1, initialization: mode)
        let (module, _) = try initializeModule(weight, settings: settings, cache: nil)
        let base = module.residualWeight ?? w
        #expect(mode.usesSVD == (module.residualWeight != nil))
        let (y, _) = module.adapter.forward(x, baseOutput: matmul(x, base, transposeB: true))
        let y0 = matmul(x, w, transposeB: true)
        #expect(relativeError(y, y0) <= 1e-5, "\(mode) alpha \(alpha)")
        if mode.usesSVD { #expect(module.adapter.b.storage.contains { $0 != 0 }) }
    }
}

@Test func randomInitialisationsFollowPEFTDistributions() throws {
    let loraSettings = AdapterSettings(rank: 8, initialization: .lora)
    let lora = try randomInitialization(module: "m", outFeatures: 10, inFeatures: 400, settings: loraSettings)
    let bound = 1 / Float(400).squareRoot()  // kaiming_uniform_(a=sqrt(5)) on [r, in]
    #expect(lora.adapter.a.storage.allSatisfy { abs($0) <= bound })
    let variance = lora.adapter.a.storage.reduce(0) { $0 + Double($1 * $1) } / Double(lora.adapter.a.count)
    #expect(abs(variance - Double(bound * bound) / 3) < 0.1 * Double(bound * bound) / 3)
    #expect(lora.adapter.b.storage.allSatisfy { $0 == 0 } && lora.adapter.scale == 1)
    let gaussian = try randomInitialization(module: "m", outFeatures: 10, inFeatures: 400,
                                            settings: AdapterSettings(rank: 8, alpha: 16, initialization: .gaussian))
    let std = (gaussian.adapter.a.storage.reduce(0) { $0 + Double($1 * $1) } / Double(gaussian.adapter.a.count)).squareRoot()
    #expect(abs(std - 1.0 / 8) < 0.01)
    #expect(gaussian.adapter.scale == 2)
}

@Test func selectionsFollowSvdInit() throws {
    #expect(AdapterInitialization.milora.selectedPositions(count: 10, rank: 3, seed: 0) == [7, 8, 9])
    #expect(AdapterInitialization.pissa.selectedPositions(count: 10, rank: 3, seed: 0) == [0, 1, 2])
    #expect(AdapterInitialization.mid.selectedPositions(count: 10, rank: 3, seed: 0) == [3, 4, 5])
    let random = AdapterInitialization.random.selectedPositions(count: 50, rank: 10, seed: 7)
    #expect(random == random.sorted() && Set(random).count == 10 && random.allSatisfy { $0 < 50 })
    #expect(random == AdapterInitialization.random.selectedPositions(count: 50, rank: 10, seed: 7))
    #expect(try AdapterInitialization(name: "min") == .milora && AdapterInitialization(name: "max") == .pissa)
    #expect(throws: AdaptersError.unknownInitialization("olora")) { try AdapterInitialization(name: "olora") }
}

@Test func rankLargerThanTheMatrixIsATypedError() {
    let weight = NamedWeight(name: "model.language_model.layers.0.self_attn.q_proj", shape: [6, 4]) { Tensor(zeros: [6, 4]) }
    for mode in [AdapterInitialization.milora, .lora] {
        #expect(throws: AdaptersError.rankTooLarge(module: weight.name, rank: 5, rows: 6, columns: 4)) {
            _ = try initializeModule(weight, settings: AdapterSettings(rank: 5, initialization: mode), cache: nil)
        }
    }
    let nan = NamedWeight(name: "w", shape: [2, 2]) { Tensor(shape: [2, 2], storage: [1, .nan, 0, 1]) }
    #expect(throws: AdaptersError.nonFiniteWeight(module: "w")) {
        _ = try initializeModule(nan, settings: AdapterSettings(rank: 1), cache: nil)
    }
}
