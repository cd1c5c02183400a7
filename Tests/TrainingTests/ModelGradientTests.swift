import Adapters
import Architectures
import Foundation
import Layers
import TensorCore
import Testing
import Training

// Whole-model gradients of the tiny LLaVA (grouped-query heads, image features spliced in)
// against finite differences of the summed loss, in every tuning mode.

/// The tiny llava-hf model with random non-zero adapters (dropout on) on every linear.
private func adaptedModel(dropout: Float = 0.1) throws -> TrainableModel {
    let llava = try ModelLoader.loadHuggingFaceLlava(folder: fixturePath("models", "llava-hf"))
    var adapters: [String: LowRankAdapter] = [:]
    for (n, (name, path)) in llava.namedLinears.enumerated() {
        let linear = llava[keyPath: path]
        adapters[name] = randomAdapter(out: linear.outputFeatures, in: linear.inputFeatures, rank: 2, scale: 2,
                                       dropout: dropout, seed: 500 + 2 * UInt64(n))
    }
    return try TrainableModel(llava: llava, mode: .adapters(adapters))
}

/// d(loss sum)/d(parameter) by directional finite differences through setParameters.
private func check(_ model: TrainableModel, _ name: String, batch: [TrainingExample], gradients: [String: Tensor],
                   seed: UInt64 = 0, step: Float = 1e-2) throws -> Double {
    let value = try model.parameter(name)
    return directionalDerivativeError(value, analytic: gradients[name]!, step: step) { v in
        var changed = model
        try! changed.setParameters([name: v])
        return try! changed.lossAndGradients(batch: batch, dropoutSeed: seed).lossSum
    }
}

@Test func wholeLlavaAdapterAndProjectorGradientsMatchFiniteDifferences() throws {
    let model = try adaptedModel()
    let batch = try ParityFixture.batch()
    let result = try model.lossAndGradients(batch: batch, dropoutSeed: 42)
    #expect(result.tokenCount == 9)
    let names = model.parameterNames
    #expect(names.filter { model.parameterGroup(of: $0) == .projector }.count == 4)
    let chosen = names.filter { $0.contains("layers.0.self_attn.k_proj") || $0.contains("layers.1.mlp.down_proj")
        || $0.contains("layers.1.self_attn.o_proj.lora_B") || $0.contains("multi_modal_projector") }
    #expect(chosen.count == 9)
    for name in chosen {
        // The loss is strongly curved along these tensors: a 3e-3 step keeps the truncation error
        // (quadratic in the step) below the f32 rounding noise.
        let error = try check(model, name, batch: batch, gradients: result.gradients, seed: 42, step: 3e-3)
        #expect(error < 1e-3, "\(name): \(error)")
    }
}

@Test func expandedImageTokensGiveTheSameGradients() throws {
    // llava-hf's form (image_token_index x P) and LLaVA's (-200) describe the same sequence.
    let model = try adaptedModel(dropout: 0)
    let batch = try ParityFixture.batch()
    let perImage = model.featuresPerImage
    let imageToken = try #require(model.llavaModel?.imageTokenIndex)
    let expanded = batch.map { example -> TrainingExample in
        var ids: [Int] = [], labels: [Int32] = []
        for (id, label) in zip(example.inputIds, example.labels) {
            if id == imagePlaceholderId { ids += Array(repeating: imageToken, count: perImage); labels += Array(repeating: -100, count: perImage) }
            else { ids.append(id); labels.append(label) }
        }
        return TrainingExample(inputIds: ids, labels: labels, images: example.images)
    }
    let a = try model.lossAndGradients(batch: batch), b = try model.lossAndGradients(batch: expanded)
    #expect(a.tokenCount == b.tokenCount && abs(a.lossSum - b.lossSum) < 1e-9 * abs(a.lossSum))
    for name in model.parameterNames { #expect(relativeDifference(b.gradients[name]!, a.gradients[name]!) < 1e-6) }
}

@Test func gradientCheckpointingRecomputesTheSameGradients() throws {
    var model = try adaptedModel(dropout: 0.3)
    let batch = try ParityFixture.batch()
    let plain = try model.lossAndGradients(batch: batch, dropoutSeed: 7)
    model.gradientCheckpointing = true
    let recomputed = try model.lossAndGradients(batch: batch, dropoutSeed: 7)
    #expect(plain.lossSum == recomputed.lossSum)
    for name in model.parameterNames { #expect(relativeDifference(recomputed.gradients[name]!, plain.gradients[name]!) < 1e-6) }
    // Another dropout seed draws other masks.
    #expect(try model.lossAndGradients(batch: batch, dropoutSeed: 8).lossSum != plain.lossSum)
}

@Test func projectorOnlyAndFullTuningMatchFiniteDifferences() throws {
    let llava = try ModelLoader.loadHuggingFaceLlava(folder: fixturePath("models", "llava-hf"))
    let batch = try ParityFixture.batch()
    let projectorOnly = try TrainableModel(llava: llava, mode: .projector)
    #expect(projectorOnly.parameterNames == ["model.multi_modal_projector.linear_1.weight", "model.multi_modal_projector.linear_1.bias",
                                             "model.multi_modal_projector.linear_2.weight", "model.multi_modal_projector.linear_2.bias"])
    let p = try projectorOnly.lossAndGradients(batch: batch)
    for name in projectorOnly.parameterNames { #expect(try check(projectorOnly, name, batch: batch, gradients: p.gradients) < 1e-3, "\(name)") }

    let full = try TrainableModel(llava: llava, mode: .full)
    let names = full.parameterNames
    #expect(names.first == "model.language_model.embed_tokens.weight")
    #expect(names.contains("lm_head.weight") && names.contains("model.language_model.norm.weight"))
    #expect(names.count == 1 + 2 * 9 + 2 + 4)  // embeddings; per layer 2 norms + 7 linears; norm, lm_head; projector
    let f = try full.lossAndGradients(batch: batch)
    for name in ["model.language_model.embed_tokens.weight", "model.language_model.layers.0.input_layernorm.weight",
                 "model.language_model.layers.1.post_attention_layernorm.weight", "model.language_model.layers.0.self_attn.v_proj.weight",
                 "model.language_model.layers.1.mlp.gate_proj.weight", "model.language_model.norm.weight", "lm_head.weight",
                 "model.multi_modal_projector.linear_1.weight"] {
        #expect(try check(full, name, batch: batch, gradients: f.gradients) < 1e-3, "\(name)")
    }
    // Full tuning of the same model gives the projector the same gradient as projector-only.
    #expect(relativeDifference(f.gradients["model.multi_modal_projector.linear_2.weight"]!,
                               p.gradients["model.multi_modal_projector.linear_2.weight"]!) < 1e-6)
}

@Test func textOnlyLanguageModelTrains() throws {
    var config = tinyLlamaConfiguration()
    config.tieWordEmbeddings = true
    let language = LlamaModel.random(config, seed: 3)
    let example = TrainingExample(inputIds: [1, 5, 7, 9, 2, 4, 11], labels: [-100, -100, 7, 9, 2, 4, 11])
    let full = try TrainableModel(language: language, mode: .full)
    #expect(!full.parameterNames.contains("lm_head.weight"))  // tied: one table
    let f = try full.lossAndGradients(batch: [example, example])
    #expect(f.tokenCount == 10)
    for name in ["model.embed_tokens.weight", "model.layers.1.mlp.down_proj.weight"] {
        #expect(try check(full, name, batch: [example, example], gradients: f.gradients) < 1e-3, "\(name)")
    }
    let adapters = Dictionary(uniqueKeysWithValues: language.namedLinears.enumerated().map { n, item in
        (item.name, randomAdapter(out: language[keyPath: item.path].outputFeatures, in: language[keyPath: item.path].inputFeatures,
                                  rank: 2, seed: 900 + UInt64(n) * 2))
    })
    let adapted = try TrainableModel(language: language, mode: .adapters(adapters))
    #expect(adapted.parameterNames.count == 2 * 7 * 2 && adapted.parameterNames[0] == "model.layers.0.self_attn.q_proj.lora_A.weight")
    let a = try adapted.lossAndGradients(batch: [example])
    #expect(try check(adapted, "model.layers.0.self_attn.v_proj.lora_A.weight", batch: [example], gradients: a.gradients) < 1e-3)
    #expect(adapted.adapterModules.count == 14)
}

@Test func badExamplesAreTypedErrors() throws {
    let model = try adaptedModel(dropout: 0)
    let good = try ParityFixture.batch()[0]
    var shortLabels = good
    shortLabels.labels.removeLast()
    #expect(throws: ModelTrainingError.labelCount(example: 0, ids: good.inputIds.count, labels: good.labels.count - 1)) {
        try model.lossAndGradients(batch: [shortLabels])
    }
    var noImage = good
    noImage.images = []
    #expect(throws: ModelTrainingError.imageCount(example: 1, placeholders: 1, images: 0)) { try model.lossAndGradients(batch: [good, noImage]) }
    var badToken = good
    badToken.inputIds[1] = 100_000
    #expect(throws: ModelTrainingError.tokenOutOfRange(example: 0, id: 100_000, vocabularySize: 131)) { try model.lossAndGradients(batch: [badToken]) }
    var badFeatures = good
    badFeatures.images = [.visionFeatures(Tensor(zeros: [3, 3]))]
    #expect(throws: ModelTrainingError.visionFeatureShape(example: 0, expected: [16, 24], found: [3, 3])) { try model.lossAndGradients(batch: [badFeatures]) }
    var copy = model
    #expect(throws: ModelTrainingError.unknownParameter(name: "nope")) { try copy.setParameters(["nope": Tensor(zeros: [1])]) }
    let textOnly = try TrainableModel(language: LlamaModel.random(tinyLlamaConfiguration(), seed: 1), mode: .full)
    #expect(throws: ModelTrainingError.imagesWithoutVisionTower(example: 0)) {
        try textOnly.lossAndGradients(batch: [TrainingExample(inputIds: [1, -200, 3], labels: [-100, -100, 3], images: good.images)])
    }
    // Cached tower features give what pixels give.
    guard case let .pixels(pixels)? = good.images.first else { Issue.record("fixture has pixels"); return }
    var cached = good
    cached.images = [.visionFeatures(try model.visionFeatures(pixels: pixels))]
    #expect(try model.lossAndGradients(batch: [cached]).lossSum == model.lossAndGradients(batch: [good]).lossSum)
}

@Test func unfrozenVisionTowerGradientsMatchFiniteDifferences() throws {
    // --tune full --unfreeze-mm-vision-tower: the fixture's tower has 3 layers and LLaVA reads
    // hidden state -2, so embeddings, pre-layernorm and layers 0-1 train; layer 2 and
    // post_layernorm do not feed the model and are not parameters (PyTorch leaves them None).
    let llava = try ModelLoader.loadHuggingFaceLlava(folder: fixturePath("models", "llava-hf"))
    let model = try TrainableModel(llava: llava, mode: .full, trainVisionTower: true)
    let tower = model.parameterNames.filter { model.parameterGroup(of: $0) == .visionTower }
    #expect(tower.count == 5 + 2 * 16)  // patch, class, position, pre-LN w/b; per layer 2 norms x 2 + 6 linears x 2
    #expect(tower.allSatisfy { $0.hasPrefix("model.vision_tower.") })
    #expect(!tower.contains { $0.contains("layers.2.") || $0.contains("post_layernorm") })
    #expect(try model.parameter("model.vision_tower.embeddings.patch_embedding.weight").shape.count == 4)
    let batch = try ParityFixture.batch()
    let result = try model.lossAndGradients(batch: batch)
    for name in ["model.vision_tower.embeddings.patch_embedding.weight", "model.vision_tower.embeddings.class_embedding",
                 "model.vision_tower.embeddings.position_embedding.weight", "model.vision_tower.pre_layrnorm.weight",
                 "model.vision_tower.pre_layrnorm.bias", "model.vision_tower.encoder.layers.0.self_attn.q_proj.weight",
                 "model.vision_tower.encoder.layers.0.self_attn.q_proj.bias", "model.vision_tower.encoder.layers.0.layer_norm1.weight",
                 "model.vision_tower.encoder.layers.1.self_attn.v_proj.weight", "model.vision_tower.encoder.layers.1.self_attn.out_proj.bias",
                 "model.vision_tower.encoder.layers.1.layer_norm2.bias", "model.vision_tower.encoder.layers.1.mlp.fc1.weight",
                 "model.vision_tower.encoder.layers.1.mlp.fc2.bias", "model.multi_modal_projector.linear_1.weight"] {
        let error = try check(model, name, batch: batch, gradients: result.gradients, step: 1e-2)
        #expect(error < 1e-3, "\(name): \(error)")
    }
    // A key bias adds the same q.b to every score of a row, which softmax ignores: its true
    // gradient is zero (what is left is rounding).
    let keyBias = result.gradients["model.vision_tower.encoder.layers.0.self_attn.k_proj.bias"]!
    let queryBias = result.gradients["model.vision_tower.encoder.layers.0.self_attn.q_proj.bias"]!
    #expect(keyBias.storage.map(abs).max()! < 1e-5 * queryBias.storage.map(abs).max()!)
    // The rest of the model gets the gradients it gets with a frozen tower.
    let frozen = try TrainableModel(llava: llava, mode: .full).lossAndGradients(batch: batch)
    #expect(abs(frozen.lossSum - result.lossSum) < 1e-9 * abs(result.lossSum))
    for name in ["lm_head.weight", "model.multi_modal_projector.linear_1.weight"] {
        #expect(relativeDifference(result.gradients[name]!, frozen.gradients[name]!) < 1e-6)
    }
    // A written-back tower is what the model then runs.
    var changed = model
    var position = try model.parameter("model.vision_tower.embeddings.position_embedding.weight")
    position.scale(by: 2)
    try changed.setParameters(["model.vision_tower.embeddings.position_embedding.weight": position])
    #expect(try changed.llavaModel!.visionTower.positionEmbedding.storage == position.storage)
    #expect(try changed.lossAndGradients(batch: batch).lossSum != result.lossSum)
}

@Test func visionTowerTrainingErrorsAreClear() throws {
    let llava = try ModelLoader.loadHuggingFaceLlava(folder: fixturePath("models", "llava-hf"))
    #expect(throws: ModelTrainingError.visionTowerNotTrainable(reason: "it trains only with full tuning (--tune full), which writes the whole model")) {
        try TrainableModel(llava: llava, mode: .projector, trainVisionTower: true)
    }
    let model = try TrainableModel(llava: llava, mode: .full, trainVisionTower: true)
    let example = try ParityFixture.batch()[0]
    let features = try model.visionFeatures(pixels: { if case let .pixels(p) = example.images[0] { return p }; fatalError() }())
    #expect(throws: ModelTrainingError.featuresForTrainableTower(example: 0)) {
        try model.lossAndGradients(batch: [TrainingExample(inputIds: example.inputIds, labels: example.labels, images: [.visionFeatures(features)])])
    }
}

@Test func patchClassificationGradientsMatchFiniteDifferences() throws {
    let llava = try ModelLoader.loadHuggingFaceLlava(folder: fixturePath("models", "llava-hf"))
    let model = try TrainableModel(llava: llava, mode: .full, trainVisionTower: true)
    let pixels = try ParityFixture.batch().map { example -> Tensor in
        guard case let .pixels(p) = example.images[0] else { fatalError() }
        return p
    }
    let patches = model.featuresPerImage, width = llava.visionTower.configuration.hiddenSize
    var rng = SeededGenerator(seed: 4)
    let heads = [3, 5].map { classes in Linear(weight: rng.uniformTensor(shape: [classes, width], low: -0.3, high: 0.3),
                                               bias: rng.uniformTensor(shape: [classes], low: -0.1, high: 0.1)) }
    let images = pixels.enumerated().map { i, p in
        PatchLabelledImage(pixels: p, labels: [(0..<patches).map { Int32(($0 + i) % 3) },
                                               (0..<patches).map { $0 % 4 == 0 ? ignoreIndex : Int32(($0 * 7 + i) % 5) }])
    }
    let result = try model.patchClassificationLossAndGradients(images, heads: heads)
    let unlabelled = (patches + 3) / 4
    #expect(result.labelCount == 2 * (2 * patches - unlabelled))
    for name in ["model.vision_tower.embeddings.patch_embedding.weight", "model.vision_tower.encoder.layers.1.mlp.fc2.weight",
                 "model.vision_tower.encoder.layers.0.self_attn.q_proj.weight", "model.vision_tower.pre_layrnorm.bias"] {
        let value = try model.parameter(name)
        let error = directionalDerivativeError(value, analytic: result.towerGradients[name]!, step: 1e-2) { v in
            var changed = model
            try! changed.setParameters([name: v])
            return try! changed.patchClassificationLossAndGradients(images, heads: heads).lossSum
        }
        #expect(error < 1e-3, "\(name): \(error)")
    }
    let headError = directionalDerivativeError(heads[1].weight.materialized(), analytic: result.headGradients[1].weight!, step: 1e-2) { w in
        var changed = heads
        changed[1].weight = WeightMatrix(w)
        return try! model.patchClassificationLossAndGradients(images, heads: changed).lossSum
    }
    #expect(headError < 1e-3)
    #expect(throws: ModelTrainingError.self) { try TrainableModel(llava: llava, mode: .full).patchClassificationLossAndGradients(images, heads: heads) }
}

@Test func patchCodeRegressionGradientsMatchFiniteDifferences() throws {
    let llava = try ModelLoader.loadHuggingFaceLlava(folder: fixturePath("models", "llava-hf"))
    let model = try TrainableModel(llava: llava, mode: .projector)
    let pixels = try ParityFixture.batch().map { example -> Tensor in
        guard case let .pixels(p) = example.images[0] else { fatalError() }
        return p
    }
    let patches = model.featuresPerImage, width = llava.language.configuration.hiddenSize
    let plain = patchCodeTables(classCounts: [3, 5], width: width, scale: 0.5, seed: 2)
    #expect(plain[0].storage[..<width].allSatisfy { $0 == 0 } && plain[1].storage[..<width].allSatisfy { $0 == 0 },
            "class 0 (nothing) has no code")
    let codes = patchCodeTables(classCounts: [3, 5], width: width, scale: 0.5, seed: 2, emptyCode: true)
    #expect(codes[0].storage[..<width].contains { $0 != 0 } && codes[1].storage[..<width].allSatisfy { $0 == 0 },
            "only the first table's class 0 is the empty patch's code")
    #expect(codes[0].storage[width...] == plain[0].storage[width...] && codes[1].storage == plain[1].storage)
    let colourOnly = patchCodeTables(classCounts: [3, 5], width: width, scale: 0.5, seed: 2, emptyCode: true, included: [false, true])
    #expect(colourOnly[0].storage[..<width] == codes[0].storage[..<width] && colourOnly[0].storage[width...].allSatisfy { $0 == 0 },
            "a left-out label set adds nothing, the empty code stays")
    #expect(colourOnly[1].storage == codes[1].storage)
    let labels: [[[Int32]]] = pixels.indices.map { i in [(0..<patches).map { Int32(($0 + i) % 3) }, (0..<patches).map { Int32(($0 * 7 + i) % 5) }] }
    let images = zip(pixels, labels).map { PatchLabelledImage(pixels: $0, labels: $1) }
    let result = try model.patchCodeRegressionLossAndGradients(images, codes: codes)
    #expect(result.elementCount == pixels.count * patches * width)
    // The loss against a direct computation: the projector's output minus the summed codes.
    var expected = 0.0
    for (image, label) in zip(images, labels) {
        let output = llava.projector(try model.visionFeatures(pixels: image.pixels))
        for p in 0..<patches { for j in 0..<width {
            let target = codes[0].storage[Int(label[0][p]) * width + j] + codes[1].storage[Int(label[1][p]) * width + j]
            expected += Double((output.storage[p * width + j] - target) * (output.storage[p * width + j] - target))
        } }
    }
    #expect(abs(result.squaredErrorSum - expected) < 1e-4 * expected)
    for name in ["model.multi_modal_projector.linear_1.weight", "model.multi_modal_projector.linear_1.bias",
                 "model.multi_modal_projector.linear_2.weight", "model.multi_modal_projector.linear_2.bias"] {
        let value = try model.parameter(name)
        let error = directionalDerivativeError(value, analytic: result.projectorGradients[name]!, step: 1e-2) { v in
            var changed = model
            try! changed.setParameters([name: v])
            return try! changed.patchCodeRegressionLossAndGradients(images, codes: codes).squaredErrorSum
        }
        #expect(error < 1e-3, "\(name): \(error)")
    }
    #expect(throws: ModelTrainingError.self) {
        try TrainableModel(llava: llava, mode: .full, trainVisionTower: true).patchCodeRegressionLossAndGradients(images, codes: codes)
    }
}
