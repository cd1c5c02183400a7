// Training forward and backward of the LLaMA decoder layer (Architectures/Llama.swift), as
// transformers' LlamaDecoderLayer computes it (eager attention), in llm.c's style: the forward
// returns a tape with exactly what the backward reads, the backward takes the upstream
// gradient and returns the input gradient, accumulating parameter gradients.
//
//   n1 = rms1(x);  q,k,v = n1 Wq^T, n1 Wk^T, n1 Wv^T (+ adapters);  q,k <- rope(q,k)
//   a  = softmax(q k^T * scale, causal) v  (grouped-query heads);  h = x + a Wo^T
//   n2 = rms2(h);  out = h + down(silu(gate(n2)) * up(n2))
// Backward: rope's inverse rotation carries dq and dk back through the rotary embedding.

import Architectures
import Layers
import TensorCore

/// Gradient buffers of one decoder layer; nil / empty entries are frozen.
public struct DecoderLayerGradients: @unchecked Sendable {
    public var q, k, v, o: LinearGradients
    public var mlp: SwiGLUMLP.Gradients
    /// [C] input_layernorm / post_attention_layernorm weights (full tuning)
    public var inputNorm: Tensor?
    public var postNorm: Tensor?

    public init(for layer: LlamaDecoderLayer, trainWeights: Bool) {
        let attention = layer.selfAttention
        func make(_ linear: Linear) -> LinearGradients { LinearGradients(for: linear, trainWeight: trainWeights, trainBias: trainWeights) }
        q = make(attention.qProj)
        k = make(attention.kProj)
        v = make(attention.vProj)
        o = make(attention.oProj)
        mlp = SwiGLUMLP.Gradients(gate: make(layer.mlp.gate), up: make(layer.mlp.up), down: make(layer.mlp.down))
        inputNorm = trainWeights ? Tensor(zeros: layer.inputLayerNorm.weight.shape) : nil
        postNorm = trainWeights ? Tensor(zeros: layer.postAttentionLayerNorm.weight.shape) : nil
    }
}

struct AttentionTape {
    let q, k, v, o: Linear.TrainingSaved
    let query: Tensor          // [T, NH*HS] after rope
    let keys: Tensor           // [T, NKV*HS] after rope
    let values: Tensor         // [T, NKV*HS]
    let probabilities: Tensor  // [NH, T, T]
    let positions: [Int]
}

struct DecoderLayerTape {
    let inputNorm: RMSNorm.Saved  // holds the layer input x
    let attention: AttentionTape
    let postNorm: RMSNorm.Saved   // holds h = x + attention
    let mlp: SwiGLUMLP.TrainingSaved
}

extension LlamaAttention {
    /// x [T, C] at `positions` -> [T, C] (no KV cache: a training sequence is seen whole).
    func trainingForward(_ x: Tensor, positions: [Int], generator: inout SeededGenerator) -> (Tensor, AttentionTape) {
        var (q, qSaved) = qProj.trainingForward(x, generator: &generator)  // [T, NH*HS]
        var (k, kSaved) = kProj.trainingForward(x, generator: &generator)  // [T, NKV*HS]
        let (v, vSaved) = vProj.trainingForward(x, generator: &generator)  // [T, NKV*HS]
        rotary.embedding.apply(&q, heads: geometry.heads, positions: positions)
        rotary.embedding.apply(&k, heads: geometry.kvHeads, positions: positions)
        let attended = attention(query: q, keys: k, values: v, geometry: geometry, mask: .causal)
        let (y, oSaved) = oProj.trainingForward(attended.output, generator: &generator)
        return (y, AttentionTape(q: qSaved, k: kSaved, v: vSaved, o: oSaved, query: q, keys: k, values: v,
                                 probabilities: attended.saved.probabilities, positions: positions))
    }

    /// dy [T, C] -> dx [T, C] accumulated into `dx`.
    func backward(_ dy: Tensor, tape: AttentionTape, gradients: inout DecoderLayerGradients, inputGradient dx: inout Tensor?) {
        var dAttended: Tensor? = Tensor(zeros: tape.query.shape)
        oProj.backward(dy, saved: tape.o, gradients: &gradients.o, inputGradient: &dAttended)
        var d = attentionBackward(outputGradient: dAttended!, query: tape.query, keys: tape.keys, values: tape.values,
                                  probabilities: tape.probabilities, heads: geometry.heads, kvHeads: geometry.kvHeads,
                                  headSize: geometry.headSize, scale: geometry.scale, causal: true)
        dAttended = nil
        // The rotation is orthogonal: its backward is the rotation by -angle.
        rotary.embedding.apply(&d.query, heads: geometry.heads, positions: tape.positions, inverse: true)
        rotary.embedding.apply(&d.keys, heads: geometry.kvHeads, positions: tape.positions, inverse: true)
        qProj.backward(d.query, saved: tape.q, gradients: &gradients.q, inputGradient: &dx)
        kProj.backward(d.keys, saved: tape.k, gradients: &gradients.k, inputGradient: &dx)
        vProj.backward(d.values, saved: tape.v, gradients: &gradients.v, inputGradient: &dx)
    }
}

extension LlamaDecoderLayer {
    /// x [T, C] -> [T, C] with the tape for backward.
    func trainingForward(_ x: Tensor, positions: [Int], generator: inout SeededGenerator) -> (Tensor, DecoderLayerTape) {
        let (n1, s1) = inputLayerNorm.forward(x)
        let (attended, attentionTape) = selfAttention.trainingForward(n1, positions: positions, generator: &generator)
        var h = attended
        h.add(x)
        let (n2, s3) = postAttentionLayerNorm.forward(h)
        var (out, mlpTape) = mlp.trainingForward(n2, generator: &generator)
        out.add(h)
        return (out, DecoderLayerTape(inputNorm: s1, attention: attentionTape, postNorm: s3, mlp: mlpTape))
    }

    /// dy [T, C] -> dx [T, C]. Both residual branches pass dy through unchanged. Without
    /// `inputGradient` (the first layer over frozen embeddings) the q/k/v input products and
    /// the first norm's backward are skipped, and nil is returned.
    func backward(_ dy: Tensor, tape: DecoderLayerTape, gradients: inout DecoderLayerGradients,
                  inputGradient: Bool = true) -> Tensor? {
        // out = h + mlp(rms2(h))
        var dn2: Tensor? = Tensor(zeros: dy.shape)
        mlp.backward(dy, saved: tape.mlp, gradients: &gradients.mlp, inputGradient: &dn2)
        var dh = postAttentionLayerNorm.backward(dn2!, saved: tape.postNorm, weightGradient: &gradients.postNorm)
        dn2 = nil
        dh.add(dy)
        // h = x + attention(rms1(x))
        var dn1: Tensor? = inputGradient || gradients.inputNorm != nil ? Tensor(zeros: dy.shape) : nil
        selfAttention.backward(dh, tape: tape.attention, gradients: &gradients, inputGradient: &dn1)
        guard dn1 != nil else { return nil }
        var dx = inputLayerNorm.backward(dn1!, saved: tape.inputNorm, weightGradient: &gradients.inputNorm)
        dx.add(dh)
        return dx
    }
}

// MARK: - Projector

/// Gradient buffers of the projector's linears (weights and biases train).
public struct ProjectorGradients: @unchecked Sendable {
    public var linears: [LinearGradients]

    public init(for projector: Projector) {
        linears = projector.linears.map { LinearGradients(for: $0, trainWeight: true, trainBias: true) }
    }
}

struct ProjectorTape {
    var linears: [Linear.TrainingSaved] = []
    var activations: [Activation.Saved] = []  // before linear i (i >= 1)
}

extension Projector {
    /// features [P, Cv] (the tower's output) -> [P, C]: Linear, then (activation, Linear)...
    func trainingForward(_ x: Tensor, generator: inout SeededGenerator) -> (Tensor, ProjectorTape) {
        var tape = ProjectorTape()
        var h = x
        for (i, linear) in linears.enumerated() {
            if i > 0 {
                let (a, saved) = activation.forward(h)
                tape.activations.append(saved)
                h = a
            }
            let (y, saved) = linear.trainingForward(h, generator: &generator)
            tape.linears.append(saved)
            h = y
        }
        return (h, tape)
    }

    /// dy [P, C] -> parameter gradients (when `gradients` is given: the projector trains), and
    /// the input gradient [P, Cv] when `inputGradient` (the tower trains); nil otherwise.
    @discardableResult
    func backward(_ dy: Tensor, tape: ProjectorTape, gradients: inout ProjectorGradients, inputGradient: Bool = false) -> Tensor? {
        var d = dy
        for i in linears.indices.reversed() {
            var dx: Tensor? = i > 0 || inputGradient ? Tensor(zeros: tape.linears[i].input.shape) : nil
            linears[i].backward(d, saved: tape.linears[i], gradients: &gradients.linears[i], inputGradient: &dx)
            guard i > 0 else { return dx }
            d = activation.backward(dx!, saved: tape.activations[i - 1])
        }
        return inputGradient ? d : nil  // no linears: the identity
    }
}
