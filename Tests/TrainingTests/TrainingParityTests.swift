import Adapters
import Architectures
import Foundation
import SafeTensors
import TensorCore
import Testing
import Training

// Parity with PyTorch + PEFT (Scripts/fixtures/make_training_parity_fixtures.py): the tiny
// grouped-query LLaVA of Tests/Fixtures/models/llava-hf with LoRA / MiLoRA adapters on every
// language-model linear and a trainable projector. One batch of two LLaVA-style examples: the
// loss and every adapter and projector gradient, then four AdamW steps (clipping 1.0).

struct ParityReference: Decodable {
    var loss: Double
    var lossSum: Double
    var tokenCount: Int
    var stepLosses: [Double]
    var lossAfterSteps: Double
    var adapterLr: Float
    var projectorLr: Float
    var maxGradNorm: Float
    var parameters: [String]

    enum CodingKeys: String, CodingKey {
        case loss, lossSum = "loss_sum", tokenCount = "token_count", stepLosses = "step_losses"
        case lossAfterSteps = "loss_after_steps", adapterLr = "adapter_lr", projectorLr = "projector_lr"
        case maxGradNorm = "max_grad_norm", parameters
    }
}

enum ParityFixture {
    static func path(_ parts: String...) -> String { fixturePath("training_parity", parts.joined(separator: "/")) }

    static func reference(_ name: String) throws -> ParityReference {
        try JSONDecoder().decode(ParityReference.self, from: Data(contentsOf: URL(fileURLWithPath: path(name, "reference.json"))))
    }

    /// The base LLaVA with the case's initial adapter (and MiLoRA's residual base weights).
    static func model(_ name: String) throws -> TrainableModel {
        let llava = try ModelLoader.loadHuggingFaceLlava(folder: fixturePath("models", "llava-hf"))
        let adapters = try AdapterSet.read(from: path(name, "initial_adapter"))
        var residuals: [String: Tensor] = [:]
        let residualPath = path(name, "residual.safetensors")
        if FileManager.default.fileExists(atPath: residualPath) {
            let file = try SafeTensorsFile(path: residualPath)
            for key in file.names { residuals[String(key.dropLast(".weight".count))] = try file.tensor(key) }
        }
        return try TrainableModel(llava: llava, mode: .adapters(adapters.modules, residualWeights: residuals, trainProjector: true))
    }

    /// The two examples: LLaVA-form ids (one -200 each), labels, pixels [3, S, S].
    static func batch() throws -> [TrainingExample] {
        let file = try SafeTensorsFile(path: path("inputs.safetensors"))
        let pixels = try file.tensor("pixel_values")
        let perImage = pixels.count / pixels.shape[0]
        return try (0..<2).map { k in
            let image = Tensor(shape: Array(pixels.shape.dropFirst()), storage: Array(pixels.storage[(k * perImage)..<((k + 1) * perImage)]))
            return TrainingExample(inputIds: try file.integers("input_ids_\(k)").map { Int($0) },
                                   labels: try file.integers("labels_\(k)").map { Int32($0) }, pixelValues: image)
        }
    }
}

@Test(arguments: ["lora", "milora"])
func lossAndGradientsMatchPEFT(_ name: String) throws {
    let reference = try ParityFixture.reference(name)
    let model = try ParityFixture.model(name)
    let result = try model.lossAndGradients(batch: try ParityFixture.batch())
    #expect(result.tokenCount == reference.tokenCount)
    let loss = result.lossSum / Double(result.tokenCount)
    #expect(abs(loss - reference.loss) <= 1e-4 * abs(reference.loss), "loss \(loss) vs PyTorch \(reference.loss)")
    #expect(Set(model.parameterNames) == Set(reference.parameters))
    #expect(model.parameterNames.count == 2 * 7 * 2 + 4)  // A and B of 7 linears x 2 layers, projector
    let expected = try SafeTensorsFile(path: ParityFixture.path(name, "gradients.safetensors"))
    for parameter in reference.parameters {
        let want = try expected.tensor(parameter)
        var got = try #require(result.gradients[parameter])
        got.scale(by: 1 / Float(result.tokenCount))  // the gradient of the mean, as PyTorch's loss
        #expect(relativeDifference(got, want) < 1e-4, "\(parameter): relative difference \(relativeDifference(got, want))")
        #expect(want.storage.contains { $0 != 0 }, "\(parameter): PyTorch gradient is all zero")
    }
}

@Test(arguments: ["lora", "milora"])
func fourAdamWStepsMatchPyTorch(_ name: String) throws {
    let reference = try ParityFixture.reference(name)
    var model = try ParityFixture.model(name)
    let batch = try ParityFixture.batch()
    var optimizer = AdamW()
    var losses: [Double] = []
    for _ in 0..<reference.stepLosses.count {
        let result = try model.lossAndGradients(batch: batch)
        losses.append(result.lossSum / Double(result.tokenCount))
        let names = model.parameterNames
        var gradients = names.map { scaled(result.gradients[$0]!, by: 1 / Float(result.tokenCount)) }
        clipGradientNorm(&gradients, maxNorm: reference.maxGradNorm)
        var parameters = model.parameters
        for (name, gradient) in zip(names, gradients) {
            let rate = model.parameterGroup(of: name) == .projector ? reference.projectorLr : reference.adapterLr
            optimizer.update(&parameters[name]!, name: name, gradient: gradient, learningRate: rate)
        }
        try model.setParameters(parameters)
    }
    let final = try model.lossAndGradients(batch: batch)
    losses.append(final.lossSum / Double(final.tokenCount))
    for (got, want) in zip(losses, reference.stepLosses + [reference.lossAfterSteps]) {
        #expect(abs(got - want) <= 1e-4 * max(1, abs(want)), "losses \(losses) vs PyTorch \(reference.stepLosses + [reference.lossAfterSteps])")
    }
}

/// transformers with every parameter trainable (--tune full --unfreeze-mm-vision-tower): the loss
/// and the gradient of every vision-tower tensor, the projector and lm_head.
@Test func unfrozenVisionTowerGradientsMatchTransformers() throws {
    struct Reference: Decodable {
        var loss: Double
        var token_count: Int
        var parameters: [String]
        var without_gradient: [String]
    }
    let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: ParityFixture.path("full_tower", "reference.json"))))
    let llava = try ModelLoader.loadHuggingFaceLlava(folder: fixturePath("models", "llava-hf"))
    let model = try TrainableModel(llava: llava, mode: .full, trainVisionTower: true)
    let result = try model.lossAndGradients(batch: try ParityFixture.batch())
    #expect(result.tokenCount == reference.token_count)
    let loss = result.lossSum / Double(result.tokenCount)
    #expect(abs(loss - reference.loss) <= 1e-4 * abs(reference.loss), "loss \(loss) vs PyTorch \(reference.loss)")
    // The same tower tensors train here as get a gradient in PyTorch.
    let tower = Set(model.parameterNames.filter { model.parameterGroup(of: $0) == .visionTower })
    #expect(tower == Set(reference.parameters.filter { $0.contains("vision_tower") }))
    #expect(tower.isDisjoint(with: reference.without_gradient))
    let expected = try SafeTensorsFile(path: ParityFixture.path("full_tower", "gradients.safetensors"))
    for parameter in reference.parameters {
        let want = try expected.tensor(parameter)
        var got = try #require(result.gradients[parameter], "\(parameter)")
        got.scale(by: 1 / Float(result.tokenCount))
        // A key bias's true gradient is zero (softmax ignores a per-row constant): compare it absolutely.
        let tolerance = parameter.hasSuffix("k_proj.bias") ? 1e-6 : 1e-4
        let error = parameter.hasSuffix("k_proj.bias") ? Double(zip(got.storage, want.storage).map { abs($0 - $1) }.max()!)
                                                       : relativeDifference(got, want)
        #expect(error < tolerance, "\(parameter): \(error)")
    }
}
