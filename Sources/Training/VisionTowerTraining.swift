// Training forward and backward of the CLIP vision tower (Architectures/CLIPVision.swift), for
// LLaVA's --unfreeze-mm-vision-tower. Only what the selected hidden state depends on runs and
// trains: the embeddings, the pre-layernorm and the encoder layers up to the selected one
// (post_layernorm and deeper layers get no gradient, as in PyTorch, where they stay None).
//
//   columns = im2col(pixels) [P, 3pp];  e = [cls; columns W_patch^T] + pos;  x0 = preLN(e)
//   layer:  h = x + out(attn(q(ln1(x)), k(ln1(x)), v(ln1(x))));  y = h + fc2(act(fc1(ln2(h))))
//   features = x_L without the CLS row (the "default" strategy) or with it ("full")

import Architectures
import Layers
import TensorCore

/// Gradient buffers of one CLIP encoder layer (every weight and bias trains).
public struct CLIPLayerGradients: @unchecked Sendable {
    public var norm1Weight, norm1Bias: Tensor?
    public var q, k, v, o: LinearGradients
    public var norm2Weight, norm2Bias: Tensor?
    public var fc1, fc2: LinearGradients

    public init(for layer: CLIPEncoderLayer) {
        func make(_ linear: Linear) -> LinearGradients { LinearGradients(for: linear, trainWeight: true, trainBias: true) }
        let width = layer.layerNorm1.weight.shape
        (norm1Weight, norm1Bias, norm2Weight, norm2Bias) = (Tensor(zeros: width), Tensor(zeros: width), Tensor(zeros: width), Tensor(zeros: width))
        (q, k, v, o) = (make(layer.qProj), make(layer.kProj), make(layer.vProj), make(layer.outProj))
        (fc1, fc2) = (make(layer.mlp.fc1), make(layer.mlp.fc2))
    }
}

/// Gradient buffers of the trainable part of a tower that feeds hidden state `depth`.
public struct VisionTowerGradients: @unchecked Sendable {
    /// [C, 3, p, p], the convolution weight's own shape.
    public var patchEmbedding: Tensor
    public var classEmbedding: Tensor     // [C]
    public var positionEmbedding: Tensor  // [P + 1, C]
    public var preNormWeight, preNormBias: Tensor?
    public var layers: [CLIPLayerGradients]

    public init(for tower: CLIPVisionTower, depth: Int) {
        let c = tower.configuration
        patchEmbedding = Tensor(zeros: [c.hiddenSize, c.channelCount, c.patchSize, c.patchSize])
        classEmbedding = Tensor(zeros: tower.classEmbedding.shape)
        positionEmbedding = Tensor(zeros: tower.positionEmbedding.shape)
        preNormWeight = Tensor(zeros: tower.preLayerNorm.weight.shape)
        preNormBias = Tensor(zeros: tower.preLayerNorm.bias.shape)
        layers = tower.layers.prefix(depth).map { CLIPLayerGradients(for: $0) }
    }
}

struct CLIPLayerTape {
    let norm1: LayerNorm.Saved
    let q, k, v, o: Linear.TrainingSaved
    let query, keys, values: Tensor
    let probabilities: Tensor  // [NH, N, N]
    let norm2: LayerNorm.Saved
    let fc1: Linear.TrainingSaved
    let activation: Activation.Saved
    let fc2: Linear.TrainingSaved
}

struct VisionTowerTape {
    let columns: Tensor  // [P, 3pp]
    let preNorm: LayerNorm.Saved
    let layers: [CLIPLayerTape]
    let dropsClassToken: Bool
}

extension CLIPEncoderLayer {
    /// x [N, C] -> [N, C] with the tape for backward.
    func trainingForward(_ x: Tensor, generator: inout SeededGenerator) -> (Tensor, CLIPLayerTape) {
        let (n1, s1) = layerNorm1.forward(x)
        let (q, qSaved) = qProj.trainingForward(n1, generator: &generator)
        let (k, kSaved) = kProj.trainingForward(n1, generator: &generator)
        let (v, vSaved) = vProj.trainingForward(n1, generator: &generator)
        let attended = attention(query: q, keys: k, values: v, geometry: geometry, mask: .bidirectional)
        var (h, oSaved) = outProj.trainingForward(attended.output, generator: &generator)
        h.add(x)
        let (n2, s2) = layerNorm2.forward(h)
        let (f1, fc1Saved) = mlp.fc1.trainingForward(n2, generator: &generator)
        let (a, activationSaved) = mlp.activation.forward(f1)
        var (out, fc2Saved) = mlp.fc2.trainingForward(a, generator: &generator)
        out.add(h)
        return (out, CLIPLayerTape(norm1: s1, q: qSaved, k: kSaved, v: vSaved, o: oSaved, query: q, keys: k, values: v,
                                   probabilities: attended.saved.probabilities, norm2: s2, fc1: fc1Saved,
                                   activation: activationSaved, fc2: fc2Saved))
    }

    /// dy [N, C] -> dx [N, C]; both residual branches pass dy through unchanged.
    func backward(_ dy: Tensor, tape: CLIPLayerTape, gradients g: inout CLIPLayerGradients) -> Tensor {
        var dActivated: Tensor? = Tensor(zeros: tape.fc2.input.shape)
        mlp.fc2.backward(dy, saved: tape.fc2, gradients: &g.fc2, inputGradient: &dActivated)
        let dHidden = mlp.activation.backward(dActivated!, saved: tape.activation)
        dActivated = nil
        var dn2: Tensor? = Tensor(zeros: dy.shape)
        mlp.fc1.backward(dHidden, saved: tape.fc1, gradients: &g.fc1, inputGradient: &dn2)
        var dh = layerNorm2.backward(dn2!, saved: tape.norm2, weightGradient: &g.norm2Weight, biasGradient: &g.norm2Bias)
        dh.add(dy)

        var dAttended: Tensor? = Tensor(zeros: tape.query.shape)
        outProj.backward(dh, saved: tape.o, gradients: &g.o, inputGradient: &dAttended)
        let d = attentionBackward(outputGradient: dAttended!, query: tape.query, keys: tape.keys, values: tape.values,
                                  probabilities: tape.probabilities, heads: geometry.heads, kvHeads: geometry.kvHeads,
                                  headSize: geometry.headSize, scale: geometry.scale)
        dAttended = nil
        var dn1: Tensor? = Tensor(zeros: dy.shape)
        qProj.backward(d.query, saved: tape.q, gradients: &g.q, inputGradient: &dn1)
        kProj.backward(d.keys, saved: tape.k, gradients: &g.k, inputGradient: &dn1)
        vProj.backward(d.values, saved: tape.v, gradients: &g.v, inputGradient: &dn1)
        var dx = layerNorm1.backward(dn1!, saved: tape.norm1, weightGradient: &g.norm1Weight, biasGradient: &g.norm1Bias)
        dx.add(dh)
        return dx
    }
}

extension CLIPVisionTower {
    /// pixels [3, S, S] -> hidden state `depth` (0 = the pre-layernorm output), CLS row dropped
    /// when `dropsClassToken`: [P, C] (or [P + 1, C]), with the tape for backward.
    func trainingForward(pixels: Tensor, depth: Int, dropsClassToken: Bool,
                         generator: inout SeededGenerator) throws -> (Tensor, VisionTowerTape) {
        precondition((0...layers.count).contains(depth), "hidden state \(depth) of a \(layers.count)-layer tower")
        let columns = try patchColumns(pixels)
        let (embedded, preNormSaved) = preLayerNorm.forward(embed(patches: Linear(weight: patchEmbedding)(columns)))
        var x = embedded
        var tapes: [CLIPLayerTape] = []
        for layer in layers.prefix(depth) {
            let (y, tape) = layer.trainingForward(x, generator: &generator)
            tapes.append(tape)
            x = y
        }
        let features = dropsClassToken ? Tensor(shape: [x.rowCount - 1, x.lastDimension], storage: Array(x.storage.dropFirst(x.lastDimension))) : x
        return (features, VisionTowerTape(columns: columns, preNorm: preNormSaved, layers: tapes, dropsClassToken: dropsClassToken))
    }

    /// dFeatures (the shape `trainingForward` returned) -> gradients of every tensor it used.
    func backward(_ dFeatures: Tensor, tape: VisionTowerTape, gradients g: inout VisionTowerGradients) {
        let width = configuration.hiddenSize
        var d = tape.dropsClassToken
            ? Tensor(shape: [dFeatures.rowCount + 1, width], storage: [Float](repeating: 0, count: width) + dFeatures.storage)
            : dFeatures
        for i in tape.layers.indices.reversed() {
            d = layers[i].backward(d, tape: tape.layers[i], gradients: &g.layers[i])
        }
        let dEmbedded = preLayerNorm.backward(d, saved: tape.preNorm, weightGradient: &g.preNormWeight, biasGradient: &g.preNormBias)
        g.positionEmbedding.add(dEmbedded)
        let patchRows = dEmbedded.rowCount - 1
        let patchWidth = tape.columns.lastDimension
        dEmbedded.storage.withUnsafeBufferPointer { dy in
            for c in 0..<width { g.classEmbedding.storage[c] += dy[c] }
            // dW_patch [C, 3pp] += dE[1...]^T [C, P] columns [P, 3pp]
            tape.columns.storage.withUnsafeBufferPointer { x in
                g.patchEmbedding.storage.withUnsafeMutableBufferPointer { w in
                    sgemm(transposeA: true, transposeB: false, m: width, n: patchWidth, k: patchRows,
                          a: dy.baseAddress! + width, lda: width, b: x.baseAddress!, ldb: patchWidth,
                          beta: 1, c: w.baseAddress!, ldc: patchWidth)
                }
            }
        }
    }
}
