import Foundation
import Testing
import TensorCore
@testable import Training

/// The loop on a toy least-squares model (one "token" per example): loss falls, accumulation
/// equals a larger batch, and an interrupted run resumed from its checkpoint ends with exactly
/// the weights of an uninterrupted one.
@Suite struct TrainingLoopTests {
    final class ToyModel {
        var parameters: [String: Tensor] = ["w": Tensor(shape: [3], storage: [0.1, -0.2, 0.3]),
                                            "model.multi_modal_projector.b": Tensor(shape: [1], storage: [0])]
        var source: GradientSource {
            GradientSource(parameters: { self.parameters }, setParameter: { self.parameters[$0] = $1 },
                           lossAndGradients: { batch, _ in self.lossAndGradients(batch) })
        }
        func lossAndGradients(_ batch: [PreparedExample]) -> MicroBatchResult {
            let w = parameters["w"]!.storage, b = parameters["model.multi_modal_projector.b"]!.storage[0]
            var loss = 0.0
            var gw = [Float](repeating: 0, count: 3), gb: Float = 0
            for example in batch {
                let x = example.inputIds.map { Float($0) / 10 }
                let error = w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + b - Float(example.labels[1])
                loss += Double(error * error)
                for i in 0..<3 { gw[i] += 2 * error * x[i] }
                gb += 2 * error
            }
            return MicroBatchResult(lossSum: loss, tokenCount: batch.count,
                                    gradients: ["w": Tensor(shape: [3], storage: gw), "model.multi_modal_projector.b": Tensor(shape: [1], storage: [gb])])
        }
    }

    static let examples: [PreparedExample] = (0..<12).map { i in
        let x = [i % 5, (i * 3) % 7, (i * 7) % 4]
        let target = Int32(2 * x[0] - x[1] + 3 * x[2]) / 5
        return PreparedExample(id: "\(i)", inputIds: x, labels: [ignoreIndex, target], imagePath: nil)
    }

    func settings(batch: Int = 4, accumulation: Int = 1, steps: Int = 6) -> TrainerSettings {
        var s = TrainerSettings()
        s.learningRate = 0.05
        s.projectorLearningRate = 0.01
        s.perDeviceTrainBatchSize = batch
        s.gradientAccumulationSteps = accumulation
        s.maxSteps = steps
        s.warmupRatio = 0
        s.saveSteps = 3
        s.saveTotalLimit = 2
        return s
    }

    func folder() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("loop-\(UUID().uuidString)").path }

    @Test func lossFallsAndMetricsAndCheckpointsAreWritten() throws {
        let model = ToyModel(), output = folder()
        let loop = TrainingLoop(settings: settings(steps: 30), examples: Self.examples, source: model.source, outputDirectory: output)
        try loop.run()
        let losses = loop.state.logHistory.map(\.loss)
        #expect(losses.count == 30 && losses.last! < losses.first! / 4)
        #expect(try String(contentsOfFile: output + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").count == 30)
        #expect(CheckpointStore(outputDirectory: output).completed().map(\.step) == [27, 30])
        // The projector-named parameter moved at its own, smaller learning rate.
        #expect(loop.learningRate(for: "model.multi_modal_projector.b") == 0.01 && loop.learningRate(for: "w") == 0.05)
        // The tower follows the main rate unless it has its own (--mm-vision-tower-lr).
        #expect(loop.learningRate(for: "model.vision_tower.encoder.layers.0.mlp.fc1.weight") == 0.05)
        var towerSettings = settings()
        towerSettings.visionTowerLearningRate = 0.002
        let towerLoop = TrainingLoop(settings: towerSettings, examples: Self.examples, source: model.source, outputDirectory: folder())
        #expect(towerLoop.learningRate(for: "model.vision_tower.embeddings.class_embedding") == 0.002)
        #expect(towerLoop.learningRate(for: "model.multi_modal_projector.b") == 0.01 && towerLoop.learningRate(for: "w") == 0.05)
    }

    @Test func resumeReproducesAnUninterruptedRun() throws {
        let straight = ToyModel()
        try TrainingLoop(settings: settings(), examples: Self.examples, source: straight.source, outputDirectory: folder()).run()

        let output = folder()
        let first = ToyModel()
        try TrainingLoop(settings: settings(), examples: Self.examples, source: first.source, outputDirectory: output).run(stopAfter: 4)
        // Steps 4 was done but not saved (saves every 3): the resume starts again from step 3.
        let resumedModel = ToyModel()
        let resumed = TrainingLoop(settings: settings(), examples: Self.examples, source: resumedModel.source, outputDirectory: output)
        #expect(try resumed.resume() == 3)
        try resumed.run()
        #expect(resumedModel.parameters == straight.parameters)
        #expect(try String(contentsOfFile: output + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").count == 6)
    }

    @Test func accumulationMatchesALargerBatch() throws {
        let big = ToyModel(), small = ToyModel()
        try TrainingLoop(settings: settings(batch: 4, accumulation: 1), examples: Self.examples, source: big.source, outputDirectory: folder()).run()
        try TrainingLoop(settings: settings(batch: 2, accumulation: 2), examples: Self.examples, source: small.source, outputDirectory: folder()).run()
        for (name, value) in big.parameters { #expect(value.maxAbsDifference(small.parameters[name]!) < 1e-6, "\(name)") }
    }

    @Test func stepCountsFollowTheTrainer() {
        var s = TrainerSettings()
        s.perDeviceTrainBatchSize = 4
        s.gradientAccumulationSteps = 2
        s.numTrainEpochs = 2
        #expect(s.totalSteps(examples: 17) == 6)     // ceil(17 / 8) = 3 per epoch
        s.maxSteps = 5
        #expect(s.totalSteps(examples: 17) == 5)
    }
}
