// A direct training signal for a vision tower that starts from random weights: linear heads
// classify every patch's feature (the hidden state LLaVA reads, CLS dropped) into labels given
// per patch (e.g. "what shape covers this patch"), and the summed cross-entropy trains the tower
// and the heads. It plays the part of CLIP's own pretraining before LLaVA's stages, for a tower
// that has none. Only the tower's tensors are parameters of the model; the heads are returned
// separately and thrown away afterwards.

import Layers
import TensorCore

/// One image for patch classification: pixels [3, S, S] and, per head, one label per patch
/// (-100: no label).
public struct PatchLabelledImage: @unchecked Sendable {
    public var pixels: Tensor
    public var labels: [[Int32]]

    public init(pixels: Tensor, labels: [[Int32]]) {
        self.pixels = pixels
        self.labels = labels
    }
}

public struct PatchClassificationResult {
    /// Summed cross-entropy over heads and labelled patches, and how many terms it has.
    public var lossSum: Double
    public var labelCount: Int
    /// Correctly classified labelled patches, per head.
    public var correct: [Int]
    /// d(lossSum)/d(tensor) for every vision-tower parameter of the model.
    public var towerGradients: [String: Tensor]
    /// Weight and bias gradients of each head.
    public var headGradients: [LinearGradients]
}

extension TrainableModel {
    /// Loss and gradients of classifying every patch of every image with `heads` ([classes, Cv]
    /// linears with bias, one per label set). Needs a model whose tower trains.
    public func patchClassificationLossAndGradients(_ images: [PatchLabelledImage], heads: [Linear]) throws -> PatchClassificationResult {
        guard let tower = parts.tower else {
            throw ModelTrainingError.visionTowerNotTrainable(reason: "patch classification needs a model made with trainVisionTower")
        }
        var gradients = ModelGradients(parts, trainLanguageWeights: false, trainProjector: false)
        var result = PatchClassificationResult(lossSum: 0, labelCount: 0, correct: heads.map { _ in 0 }, towerGradients: [:],
                                               headGradients: heads.map { LinearGradients(for: $0, trainWeight: true, trainBias: true) })
        var generator = SeededGenerator(seed: 0)  // no dropout anywhere; the API wants one
        for (index, image) in images.enumerated() {
            guard image.labels.count == heads.count else {
                throw ModelTrainingError.vision(example: index, reason: "\(image.labels.count) label sets for \(heads.count) heads")
            }
            let (features, tape): (Tensor, VisionTowerTape)
            do {
                (features, tape) = try tower.trainingForward(pixels: image.pixels, depth: parts.towerDepth,
                                                             dropsClassToken: parts.dropsClassToken, generator: &generator)
            } catch {
                throw ModelTrainingError.vision(example: index, reason: "\(error)")
            }
            var dFeatures: Tensor? = Tensor(zeros: features.shape)
            for (k, head) in heads.enumerated() {
                guard image.labels[k].count == features.rowCount else {
                    throw ModelTrainingError.vision(example: index, reason: "\(image.labels[k].count) labels for \(features.rowCount) patches")
                }
                let (logits, saved) = head.trainingForward(features, generator: &generator)
                let loss = crossEntropy(logits: logits, targets: image.labels[k], computeGradient: true)
                result.lossSum += loss.lossSum
                result.labelCount += loss.countedRows
                result.correct[k] += Self.correctCount(logits, image.labels[k])
                head.backward(loss.logitGradient!, saved: saved, gradients: &result.headGradients[k], inputGradient: &dFeatures)
            }
            tower.backward(dFeatures!, tape: tape, gradients: &gradients.tower!)
        }
        for entry in entries where entry.group == .visionTower {
            result.towerGradients[entry.name] = gradients[keyPath: entry.gradient]
        }
        return result
    }

    static func correctCount(_ logits: Tensor, _ labels: [Int32]) -> Int {
        let classes = logits.lastDimension
        var correct = 0
        for (row, label) in labels.enumerated() where label != ignoreIndex {
            let scores = logits.storage[(row * classes)..<((row + 1) * classes)]
            if scores.indices.max(by: { scores[$0] < scores[$1] })! - row * classes == Int(label) { correct += 1 }
        }
        return correct
    }
}
