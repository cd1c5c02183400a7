import Adapters
@testable import Architectures
import Layers
import TensorCore
import Testing
@testable import Training

// Finite-difference checks of every layer's backward: the analytic gradient of
// sum(output * probe) against central differences of the forward, element by element for the
// small layers and along directions for the decoder layer (whose f32 forward is too noisy for
// per-element differences at 1e-3).

private let tolerance = 2e-3

@Test func linearBackwardMatchesFiniteDifferences() {
    let x = randomTensor([5, 6], seed: 1)
    let w = randomTensor([4, 6], seed: 2), bias = randomTensor([4], seed: 3)
    let adapter = randomAdapter(out: 4, in: 6, dropout: 0.25, seed: 4)
    let probe = randomTensor([5, 4], seed: 6)
    func make(_ w: Tensor, _ b: Tensor, _ a: LowRankAdapter) -> Linear {
        var linear = Linear(weight: w, bias: b)
        linear.adapter = a
        return linear
    }
    // The same seed gives the same dropout mask on every call.
    func loss(_ linear: Linear, _ x: Tensor) -> Double {
        var g = SeededGenerator(seed: 9)
        return dot(linear.trainingForward(x, generator: &g).output, probe)
    }
    let linear = make(w, bias, adapter)
    var g = SeededGenerator(seed: 9)
    let (_, saved) = linear.trainingForward(x, generator: &g)
    #expect(saved.adapterTape?.tensors.count == 3)  // dropout mask recorded
    var grads = LinearGradients(for: linear, trainWeight: true, trainBias: true)
    var dx: Tensor? = Tensor(zeros: x.shape)
    linear.backward(probe, saved: saved, gradients: &grads, inputGradient: &dx)
    #expect(finiteDifferenceError(x, analytic: dx!) { loss(linear, $0) } < tolerance)
    #expect(finiteDifferenceError(w, analytic: grads.weight!) { loss(make($0, bias, adapter), x) } < tolerance)
    #expect(finiteDifferenceError(bias, analytic: grads.bias!) { loss(make(w, $0, adapter), x) } < tolerance)
    var withA = adapter, withB = adapter
    #expect(finiteDifferenceError(adapter.a, analytic: grads.adapter[0]) { withA.a = $0; return loss(make(w, bias, withA), x) } < tolerance)
    #expect(finiteDifferenceError(adapter.b, analytic: grads.adapter[1]) { withB.b = $0; return loss(make(w, bias, withB), x) } < tolerance)

    // Frozen base: no weight or bias buffer, the same input gradient.
    var frozen = LinearGradients(for: linear)
    #expect(frozen.weight == nil && frozen.bias == nil && frozen.adapter.count == 2)
    var dx2: Tensor? = Tensor(zeros: x.shape)
    linear.backward(probe, saved: saved, gradients: &frozen, inputGradient: &dx2)
    #expect(dx2 == dx)
    #expect(frozen.adapter == grads.adapter)
}

@Test func linearWithMappedHalfWeightsUsesTheWidenedValues() {
    // A BF16-mapped weight: the input gradient must use the same widened values as the forward.
    let w = randomTensor([7, 5], seed: 11)
    let bits = w.storage.map { floatToBF16Bits($0) }
    final class Owner { let bits: [UInt16]; init(_ b: [UInt16]) { bits = b } }
    let owner = Owner(bits)
    let linear = owner.bits.withUnsafeBytes { raw in
        Linear(weight: WeightMatrix(mapped: raw.baseAddress!, type: .bf16, shape: [7, 5], owner: owner))
    }
    let dense = Linear(weight: linear.weight.materialized())
    let x = randomTensor([3, 5], seed: 12), probe = randomTensor([3, 7], seed: 13)
    var g = SeededGenerator(seed: 0)
    var (a, b): (Tensor?, Tensor?) = (Tensor(zeros: x.shape), Tensor(zeros: x.shape))
    var grads = LinearGradients(for: linear)
    linear.backward(probe, saved: linear.trainingForward(x, generator: &g).saved, gradients: &grads, inputGradient: &a)
    dense.backward(probe, saved: dense.trainingForward(x, generator: &g).saved, gradients: &grads, inputGradient: &b)
    #expect(relativeDifference(a!, b!) < 1e-6)
}

@Test func normsActivationsAndEmbeddingMatchFiniteDifferences() {
    let x = randomTensor([4, 8], seed: 21), probe = randomTensor([4, 8], seed: 22)
    let weight = randomTensor([8], seed: 23)
    func rms(_ w: Tensor, _ x: Tensor) -> Double { dot(RMSNorm(weight: w, eps: 1e-5).forward(x).output, probe) }
    let norm = RMSNorm(weight: weight, eps: 1e-5)
    var dw: Tensor? = Tensor(zeros: [8])
    let dx = norm.backward(probe, saved: norm.forward(x).saved, weightGradient: &dw)
    #expect(finiteDifferenceError(x, analytic: dx) { rms(weight, $0) } < tolerance)
    #expect(finiteDifferenceError(weight, analytic: dw!) { rms($0, x) } < tolerance)

    for activation in [Activation.gelu, .quickGelu, .silu] {
        let d = activation.backward(probe, saved: activation.forward(x).saved)
        #expect(finiteDifferenceError(x, analytic: d) { dot(activation($0), probe) } < tolerance)
    }

    let table = randomTensor([6, 8], seed: 24)
    let ids = [3, -1, 0, 3]  // -1: a spliced image row, not from the table
    var gradient = Tensor(zeros: [6, 8])
    Embedding(weight: WeightMatrix(table)).backward(probe, ids: ids, weightGradient: &gradient)
    func lookup(_ t: Tensor) -> Double {
        var rows: [Float] = []
        for id in ids { rows += id < 0 ? [Float](repeating: 0, count: 8) : Array(t.row(id)) }
        return dot(Tensor(shape: [4, 8], storage: rows), probe)
    }
    #expect(finiteDifferenceError(table, analytic: gradient, maxElements: 48) { lookup($0) } < tolerance)
}

@Test func swigluMLPWithAdaptersMatchesFiniteDifferences() {
    let (c, i) = (6, 10)
    var mlp = SwiGLUMLP(gate: Linear(weight: randomTensor([i, c], seed: 31)), up: Linear(weight: randomTensor([i, c], seed: 32)),
                        down: Linear(weight: randomTensor([c, i], seed: 33)))
    mlp.gate.adapter = randomAdapter(out: i, in: c, dropout: 0.2, seed: 34)
    mlp.down.adapter = randomAdapter(out: c, in: i, seed: 36)
    let x = randomTensor([5, c], seed: 37), probe = randomTensor([5, c], seed: 38)
    func loss(_ m: SwiGLUMLP, _ x: Tensor) -> Double {
        var g = SeededGenerator(seed: 5)
        return dot(m.trainingForward(x, generator: &g).output, probe)
    }
    var g = SeededGenerator(seed: 5)
    let saved = mlp.trainingForward(x, generator: &g).saved
    var grads = SwiGLUMLP.Gradients(gate: LinearGradients(for: mlp.gate), up: LinearGradients(for: mlp.up, trainWeight: true),
                                    down: LinearGradients(for: mlp.down))
    var dx: Tensor? = Tensor(zeros: x.shape)
    mlp.backward(probe, saved: saved, gradients: &grads, inputGradient: &dx)
    #expect(finiteDifferenceError(x, analytic: dx!) { loss(mlp, $0) } < tolerance)
    #expect(finiteDifferenceError(mlp.up.weight.materialized(), analytic: grads.up.weight!) { w in
        var m = mlp; m.up.weight = WeightMatrix(w); return loss(m, x)
    } < tolerance)
    let gateAdapter = mlp.gate.adapter as! LowRankAdapter, downAdapter = mlp.down.adapter as! LowRankAdapter
    #expect(finiteDifferenceError(gateAdapter.a, analytic: grads.gate.adapter[0]) { a in
        var m = mlp, adapter = gateAdapter; adapter.a = a; m.gate.adapter = adapter; return loss(m, x)
    } < tolerance)
    #expect(finiteDifferenceError(downAdapter.b, analytic: grads.down.adapter[1]) { b in
        var m = mlp, adapter = downAdapter; adapter.b = b; m.down.adapter = adapter; return loss(m, x)
    } < tolerance)
}

@Test func decoderLayerWithRopeAndGroupedHeadsMatchesFiniteDifferences() throws {
    // One LLaMA layer: RMSNorms, q/k/v/o with rotary embeddings over 4 query heads sharing 2
    // key/value heads, causal softmax, SwiGLU, both residuals; adapters on every linear.
    var model = LlamaModel.random(tinyLlamaConfiguration(layers: 1), seed: 41)
    for (n, (_, path)) in model.namedLinears.enumerated() {
        let linear = model[keyPath: path]
        model[keyPath: path].adapter = randomAdapter(out: linear.outputFeatures, in: linear.inputFeatures, rank: 2,
                                                     dropout: n == 0 ? 0.2 : 0, seed: 100 + UInt64(n) * 2)
    }
    model.layers[0].inputLayerNorm.weight = randomTensor([16], seed: 42)
    let layer = model.layers[0]
    let x = randomTensor([6, 16], seed: 43), probe = randomTensor([6, 16], seed: 44)
    let positions = Array(3..<9)  // rope angles of later positions too
    func loss(_ l: LlamaDecoderLayer, _ x: Tensor) -> Double {
        var g = SeededGenerator(seed: 8)
        return dot(l.trainingForward(x, positions: positions, generator: &g).0, probe)
    }
    var g = SeededGenerator(seed: 8)
    let tape = layer.trainingForward(x, positions: positions, generator: &g).1
    var grads = DecoderLayerGradients(for: layer, trainWeights: true)
    let dx = try #require(layer.backward(probe, tape: tape, gradients: &grads))
    // Over frozen inputs (the first layer on frozen embeddings) the input gradient is skipped;
    // the adapters' gradients are the same.
    var adaptersOnly = DecoderLayerGradients(for: layer, trainWeights: false)
    var adaptersWithInput = adaptersOnly
    #expect(layer.backward(probe, tape: tape, gradients: &adaptersOnly, inputGradient: false) == nil)
    _ = layer.backward(probe, tape: tape, gradients: &adaptersWithInput)
    #expect(adaptersOnly.q.adapter == adaptersWithInput.q.adapter && adaptersOnly.mlp.up.adapter == adaptersWithInput.mlp.up.adapter)
    #expect(directionalDerivativeError(x, analytic: dx) { loss(layer, $0) } < 1e-4)
    #expect(directionalDerivativeError(layer.inputLayerNorm.weight, analytic: grads.inputNorm!) { w in
        var l = layer; l.inputLayerNorm.weight = w; return loss(l, x)
    } < 1e-4)
    #expect(directionalDerivativeError(layer.postAttentionLayerNorm.weight, analytic: grads.postNorm!) { w in
        var l = layer; l.postAttentionLayerNorm.weight = w; return loss(l, x)
    } < 1e-4)
    let linears: [(WritableKeyPath<LlamaDecoderLayer, Linear>, LinearGradients)] = [
        (\.selfAttention.qProj, grads.q), (\.selfAttention.kProj, grads.k), (\.selfAttention.vProj, grads.v),
        (\.selfAttention.oProj, grads.o), (\.mlp.gate, grads.mlp.gate), (\.mlp.up, grads.mlp.up), (\.mlp.down, grads.mlp.down),
    ]
    for (path, gradient) in linears {
        let adapter = layer[keyPath: path].adapter as! LowRankAdapter
        #expect(directionalDerivativeError(adapter.a, analytic: gradient.adapter[0]) { a in
            var l = layer, changed = adapter; changed.a = a; l[keyPath: path].adapter = changed; return loss(l, x)
        } < 1e-4)
        #expect(directionalDerivativeError(adapter.b, analytic: gradient.adapter[1]) { b in
            var l = layer, changed = adapter; changed.b = b; l[keyPath: path].adapter = changed; return loss(l, x)
        } < 1e-4)
        #expect(directionalDerivativeError(layer[keyPath: path].weight.materialized(), analytic: gradient.weight!) { w in
            var l = layer; l[keyPath: path].weight = WeightMatrix(w); return loss(l, x)
        } < 1e-4)
    }
}

@Test func projectorMatchesFiniteDifferences() {
    let projector = Projector(linears: [Linear(weight: randomTensor([7, 5], seed: 51), bias: randomTensor([7], seed: 52)),
                                        Linear(weight: randomTensor([7, 7], seed: 53), bias: randomTensor([7], seed: 54))],
                              activation: .gelu)
    let x = randomTensor([4, 5], seed: 55), probe = randomTensor([4, 7], seed: 56)
    var g = SeededGenerator(seed: 0)
    let tape = projector.trainingForward(x, generator: &g).1
    #expect(projector.trainingForward(x, generator: &g).0 == projector(x))
    var grads = ProjectorGradients(for: projector)
    projector.backward(probe, tape: tape, gradients: &grads)
    for k in 0..<2 {
        #expect(finiteDifferenceError(projector.linears[k].weight.materialized(), analytic: grads.linears[k].weight!) { w in
            var p = projector; p.linears[k].weight = WeightMatrix(w); return dot(p(x), probe)
        } < tolerance)
        #expect(finiteDifferenceError(projector.linears[k].bias!, analytic: grads.linears[k].bias!) { b in
            var p = projector; p.linears[k].bias = b; return dot(p(x), probe)
        } < tolerance)
    }
}
