// Aligning the projector to fixed codes: each patch's projector output is pulled (mean squared
// error) onto the sum of one fixed random vector per label it carries (its shape, its colour, its
// size, its character; an empty patch gets its own code or zero). The decoder then starts from
// image tokens in which every attribute has its own direction and little is shared between
// objects. Measured with Scripts/experiments/existence_interference.py
// (Data/pope-investigation.md): with empty cells constant, a fresh decoder learned POPE's
// colour-and-shape existence on such tokens about as fast as on exact codes.

import TensorCore

public struct PatchCodeRegressionResult {
    /// Summed squared error over patches and output elements, and how many elements it has.
    public var squaredErrorSum: Double
    public var elementCount: Int
    /// Sum over elements of the target's squared deviation from zero (for a relative error).
    public var targetEnergy: Double
    /// d(squaredErrorSum)/d(tensor) for every projector parameter of the model.
    public var projectorGradients: [String: Tensor]
}

/// The fixed codes: one [classes, width] table per label set, row 0 ("nothing") zero, except in
/// the first table when `emptyCode`: a patch with no object then gets a code of its own. (A zero
/// target leaves small noise in the projector's output, which the decoder's RMSNorm scales up to
/// a random direction per empty cell; in Scripts/experiments/existence_interference.py a decoder
/// learned object existence markedly faster once empty cells were constant.) Label sets with
/// `included[k] == false` add nothing (their classes' rows are zero; the empty code stays).
/// Every table is drawn either way, so the codes do not depend on which labels are used.
public func patchCodeTables(classCounts: [Int], width: Int, scale: Float, seed: UInt64, emptyCode: Bool = false,
                            included: [Bool]? = nil) -> [Tensor] {
    var rng = SeededGenerator(seed: seed)
    return classCounts.enumerated().map { k, classes in
        var table = rng.normalTensor(shape: [classes, width], std: scale)
        let leftOut = included?[k] == false
        for row in 0..<classes where row == 0 ? !(emptyCode && k == 0) : leftOut {
            for j in 0..<width { table.storage[row * width + j] = 0 }
        }
        return table
    }
}

extension TrainableModel {
    /// Each patch's code: the sum of its labels' rows of `codes` ([P, width]).
    static func patchTargets(_ labels: [[Int32]], codes: [Tensor], patches: Int, width: Int) -> Tensor {
        var target = Tensor(zeros: [patches, width])
        for (k, table) in codes.enumerated() {
            for p in 0..<patches where labels[k][p] >= 0 {  // row 0 is "nothing": zero, or the empty code
                let row = Int(labels[k][p]) * width
                for j in 0..<width { target.storage[p * width + j] += table.storage[row + j] }
            }
        }
        return target
    }

    /// Loss and gradients of regressing every patch's projector output onto its code. Needs a
    /// model whose projector trains and whose tower is frozen (`.projector` mode).
    public func patchCodeRegressionLossAndGradients(_ images: [PatchLabelledImage], codes: [Tensor]) throws -> PatchCodeRegressionResult {
        guard let projector = parts.projector, parts.tower == nil else {
            throw ModelTrainingError.visionTowerNotTrainable(reason: "code regression trains the projector of a LLaVA model with a frozen tower")
        }
        let width = parts.language.configuration.hiddenSize
        var gradients = ModelGradients(parts, trainLanguageWeights: false, trainProjector: true)
        var result = PatchCodeRegressionResult(squaredErrorSum: 0, elementCount: 0, targetEnergy: 0, projectorGradients: [:])
        var generator = SeededGenerator(seed: 0)  // no dropout anywhere; the API wants one
        for (index, image) in images.enumerated() {
            guard image.labels.count == codes.count else {
                throw ModelTrainingError.vision(example: index, reason: "\(image.labels.count) label sets for \(codes.count) code tables")
            }
            let features = try visionInput(.pixels(image.pixels), example: index)
            let (output, tape) = projector.trainingForward(features, generator: &generator)
            let patches = output.rowCount
            guard image.labels.allSatisfy({ $0.count == patches }) else {
                throw ModelTrainingError.vision(example: index, reason: "labels for \(image.labels.map(\.count)) patches, the tower gives \(patches)")
            }
            let target = Self.patchTargets(image.labels, codes: codes, patches: patches, width: width)
            var dOutput = Tensor(zeros: output.shape)
            for i in 0..<output.storage.count {
                let error = output.storage[i] - target.storage[i]
                result.squaredErrorSum += Double(error * error)
                result.targetEnergy += Double(target.storage[i] * target.storage[i])
                dOutput.storage[i] = 2 * error
            }
            result.elementCount += output.storage.count
            projector.backward(dOutput, tape: tape, gradients: &gradients.projector!)
        }
        for entry in entries where entry.group == .projector {
            result.projectorGradients[entry.name] = gradients[keyPath: entry.gradient]
        }
        return result
    }
}
