// One forward + backward over a batch, example by example (sequences stay unpadded, so the
// result is exact and needs no attention mask), gradients summed.
//
// Loss: transformers' ForCausalLMLoss: position t predicts labels[t + 1]; -100 is ignored.
// `lossAndGradients` returns the SUM of the per-token losses, the number of counted tokens and
// the gradients of that sum. The caller normalises. The Hugging Face Trainer (transformers >=
// 4.46) with gradient accumulation divides by the number of counted label tokens across ALL
// micro-batches of the optimizer step (num_items_in_batch): loss = sum over the accumulated
// micro-batches / total tokens, which is what dividing our summed gradients by the summed token
// counts gives. (A single micro-batch: the usual mean over its tokens.)

import Architectures
import Layers
import TensorCore

/// An example's input after splicing images into the token embeddings.
struct SplicedSequence {
    var embeddings: Tensor  // [L, C]
    var tokenIds: [Int]     // [L] vocabulary id per row, -1 on image rows
    var labels: [Int32]     // [L]
    var imageRows: [[Int]]  // per image, the sequence row of each of its P feature rows
}

extension TrainableModel {
    /// Summed next-token loss over the batch, the number of counted tokens, and the gradient of
    /// the sum for every trainable tensor (keys: `parameterNames`). Dropout masks come from a
    /// generator seeded with `dropoutSeed` (derive it from the run seed and the step so a resumed
    /// run draws the same masks).
    public func lossAndGradients(batch: [TrainingExample], dropoutSeed: UInt64 = 0) throws
        -> (lossSum: Double, tokenCount: Int, gradients: [String: Tensor]) {
        var gradients = ModelGradients(parts, trainLanguageWeights: trainsLanguageWeights, trainProjector: trainsProjector)
        var generator = SeededGenerator(seed: dropoutSeed)
        var (lossSum, tokens) = (0.0, 0)
        for (index, example) in batch.enumerated() {
            let (loss, count) = try accumulate(example, index: index, gradients: &gradients, generator: &generator)
            lossSum += loss
            tokens += count
        }
        if trainsLanguageWeights && parts.language.configuration.tieWordEmbeddings, let head = gradients.lmHead.weight {
            gradients.embedding!.add(head)  // one shared table
        }
        var out: [String: Tensor] = [:]
        for entry in entries { out[entry.name] = gradients[keyPath: entry.gradient] }
        return (lossSum, tokens, out)
    }

    /// Forward and backward of one example; gradients of its summed loss added to `gradients`.
    func accumulate(_ example: TrainingExample, index: Int, gradients: inout ModelGradients,
                    generator: inout SeededGenerator) throws -> (lossSum: Double, tokens: Int) {
        let language = parts.language
        // Images: tower features (frozen, or computed here with a tape when the tower trains) ->
        // projector (trainable or not).
        var projected: [Tensor] = [], projectorTapes: [ProjectorTape] = [], towerTapes: [VisionTowerTape] = []
        for image in example.images {
            let features: Tensor
            if let tower = parts.tower {
                guard case let .pixels(pixels) = image else { throw ModelTrainingError.featuresForTrainableTower(example: index) }
                do {
                    let (f, tape) = try tower.trainingForward(pixels: pixels, depth: parts.towerDepth, dropsClassToken: parts.dropsClassToken,
                                                              generator: &generator)
                    features = f
                    towerTapes.append(tape)
                } catch {
                    throw ModelTrainingError.vision(example: index, reason: "\(error)")
                }
            } else {
                features = try visionInput(image, example: index)
            }
            guard let projector = parts.projector else { throw ModelTrainingError.imagesWithoutVisionTower(example: index) }
            let (y, tape) = projector.trainingForward(features, generator: &generator)
            projected.append(y)
            projectorTapes.append(tape)
        }
        let sequence = try splice(example, index: index, features: projected)
        let rows = sequence.labels.count
        let positions = Array(0..<rows)

        // Decoder forward, keeping tapes (or only layer inputs when checkpointing).
        var x = sequence.embeddings
        var tapes: [DecoderLayerTape] = []
        var checkpoints: [(input: Tensor, generator: SeededGenerator)] = []
        for layer in language.layers {
            if gradientCheckpointing { checkpoints.append((x, generator)) }
            let (y, tape) = layer.trainingForward(x, positions: positions, generator: &generator)
            if !gradientCheckpointing { tapes.append(tape) }
            x = y
        }
        let (hidden, normSaved) = language.norm.forward(x)
        x = Tensor(zeros: [0])

        // Loss on the rows whose next label counts: only those need logits.
        var targets: [Int32] = [], counted: [Int] = []
        for t in 0..<max(0, rows - 1) where sequence.labels[t + 1] != ignoreIndex {
            counted.append(t)
            targets.append(sequence.labels[t + 1])
        }
        guard !counted.isEmpty else { return (0, 0) }
        let width = language.configuration.hiddenSize
        var gathered = [Float](repeating: 0, count: counted.count * width)
        for (r, t) in counted.enumerated() {
            gathered.replaceSubrange((r * width)..<((r + 1) * width), with: hidden.storage[(t * width)..<((t + 1) * width)])
        }
        let headInput = Tensor(shape: [counted.count, width], storage: gathered)
        let (logits, headSaved) = language.lmHead.trainingForward(headInput, generator: &generator)
        let loss = crossEntropy(logits: logits, targets: targets, computeGradient: true)

        // Backward: lm_head, final norm, layers (last first), then embeddings and projector.
        var dGathered: Tensor? = Tensor(zeros: headInput.shape)
        language.lmHead.backward(loss.logitGradient!, saved: headSaved, gradients: &gradients.lmHead, inputGradient: &dGathered)
        var dHidden = Tensor(zeros: hidden.shape)
        for (r, t) in counted.enumerated() {
            dHidden.storage.replaceSubrange((t * width)..<((t + 1) * width), with: dGathered!.storage[(r * width)..<((r + 1) * width)])
        }
        dGathered = nil
        var d: Tensor? = language.norm.backward(dHidden, saved: normSaved, weightGradient: &gradients.finalNorm)
        // The embeddings need a gradient only when they or the projector feeding them train.
        let embeddingsNeedGradient = gradients.embedding != nil || (gradients.projector != nil && !sequence.imageRows.isEmpty)
        for i in language.layers.indices.reversed() {
            let tape: DecoderLayerTape
            if gradientCheckpointing {
                var replay = checkpoints[i].generator  // the same dropout masks as the forward
                tape = language.layers[i].trainingForward(checkpoints[i].input, positions: positions, generator: &replay).1
                checkpoints.removeLast()
            } else {
                tape = tapes.removeLast()
            }
            d = language.layers[i].backward(d!, tape: tape, gradients: &gradients.layers[i], inputGradient: i > 0 || embeddingsNeedGradient)
        }
        guard let d else { return (loss.lossSum, loss.countedRows) }
        if gradients.embedding != nil {
            language.embedTokens.backward(d, ids: sequence.tokenIds, weightGradient: &gradients.embedding!)
        }
        if gradients.projector != nil {
            for (image, rowsOfImage) in sequence.imageRows.enumerated() {
                var dFeatures = [Float](repeating: 0, count: rowsOfImage.count * width)
                for (p, row) in rowsOfImage.enumerated() {
                    dFeatures.replaceSubrange((p * width)..<((p + 1) * width), with: d.storage[(row * width)..<((row + 1) * width)])
                }
                let dVision = parts.projector!.backward(Tensor(shape: [rowsOfImage.count, width], storage: dFeatures),
                                                        tape: projectorTapes[image], gradients: &gradients.projector!,
                                                        inputGradient: gradients.tower != nil)
                if let dVision { parts.tower!.backward(dVision, tape: towerTapes[image], gradients: &gradients.tower!) }
            }
        }
        return (loss.lossSum, loss.countedRows)
    }

    /// The projector's input for one image: the tower's features, computed or given.
    func visionInput(_ image: ImageInput, example: Int) throws -> Tensor {
        guard let shell = visionShell, let projector = parts.projector else {
            throw ModelTrainingError.imagesWithoutVisionTower(example: example)
        }
        let features: Tensor
        switch image {
        case let .visionFeatures(f): features = f
        case let .pixels(pixels):
            do { features = try visionFeatures(pixels: pixels) } catch {
                throw ModelTrainingError.vision(example: example, reason: "\(error)")
            }
        }
        let expected = [shell.featuresPerImage, projector.linears.first?.inputFeatures ?? parts.language.configuration.hiddenSize]
        guard features.shape == expected else {
            throw ModelTrainingError.visionFeatureShape(example: example, expected: expected, found: features.shape)
        }
        return features
    }

    /// Token embeddings with each image's projected features spliced in (LLaVA's
    /// prepare_inputs_labels_for_multimodal, and llava-hf's image_token_index rows).
    func splice(_ example: TrainingExample, index: Int, features: [Tensor]) throws -> SplicedSequence {
        let language = parts.language
        let (ids, labels) = (example.inputIds, example.labels)
        guard ids.count == labels.count else { throw ModelTrainingError.labelCount(example: index, ids: ids.count, labels: labels.count) }
        let perImage = featuresPerImage
        let imageToken = visionShell?.imageTokenIndex
        let placeholders = ids.filter { $0 == imagePlaceholderId }.count
        let tokenRows = imageToken.map { token in ids.filter { $0 == token }.count } ?? 0
        let wanted = placeholders + (perImage > 0 ? (tokenRows + perImage - 1) / perImage : 0)
        guard wanted == features.count, perImage == 0 || tokenRows % perImage == 0 else {
            throw ModelTrainingError.imageCount(example: index, placeholders: wanted, images: features.count)
        }
        let width = language.configuration.hiddenSize
        var sequence = SplicedSequence(embeddings: Tensor(zeros: [0]), tokenIds: [], labels: [], imageRows: features.map { _ in [] })
        var rows: [Float] = []
        rows.reserveCapacity((ids.count + placeholders * perImage) * width)
        var (image, row) = (0, 0)  // cursor over the rows of all images
        for (id, label) in zip(ids, labels) {
            if id == imagePlaceholderId {
                guard row == 0 else { throw ModelTrainingError.imageCount(example: index, placeholders: wanted, images: features.count) }
                for p in 0..<perImage {
                    sequence.imageRows[image].append(sequence.tokenIds.count)
                    sequence.tokenIds.append(-1)
                    sequence.labels.append(ignoreIndex)
                    rows += features[image].storage[(p * width)..<((p + 1) * width)]
                }
                image += 1
            } else if id == imageToken {
                sequence.imageRows[image].append(sequence.tokenIds.count)
                sequence.tokenIds.append(-1)
                sequence.labels.append(label)
                rows += features[image].storage[(row * width)..<((row + 1) * width)]
                row += 1
                if row == perImage { (image, row) = (image + 1, 0) }
            } else {
                guard id >= 0 && id < language.vocabularySize else {
                    throw ModelTrainingError.tokenOutOfRange(example: index, id: id, vocabularySize: language.vocabularySize)
                }
                sequence.tokenIds.append(id)
                sequence.labels.append(label)
                rows += [Float](repeating: 0, count: width)
                rows.withUnsafeMutableBufferPointer { buffer in
                    language.embedTokens.weight.convertRows(id..<(id + 1), into: buffer.baseAddress! + buffer.count - width)
                }
            }
        }
        sequence.embeddings = Tensor(shape: [sequence.tokenIds.count, width], storage: rows)
        return sequence
    }
}
