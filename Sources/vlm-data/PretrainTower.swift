import Architectures
import ArgumentParser
import CLISupport
import Foundation
import Imaging
import Layers
import SafeTensors
import SyntheticWorld
import TensorCore
import Training

/// `vlm-data pretrain-tower`: gives a randomly initialised tower a direct signal before LLaVA's
/// stages, by classifying each patch's shape, colour, size and character from the world's scene
/// graphs (Sources/Training/PatchClassification.swift). With `--objective codes` it instead
/// trains the projector (tower frozen) to map each patch onto a fixed code of those labels
/// (Sources/Training/PatchCodeRegression.swift). Writes the model with the trained part.
struct PretrainTower: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pretrain-tower",
        abstract: "Train a LLaVA model's vision tower to classify each patch's shape, colour, size and character, or its projector to map each patch onto fixed codes of them (from a world's scene graphs).")

    enum Objective: String, ExpressibleByArgument, CaseIterable {
        case classes, codes
    }

    @Option(help: "llava-hf model folder whose tower trains (e.g. a random initialisation).")
    var modelPath: String
    @Option(help: "A world folder written by `vlm-data generate` (scenes/<set>.jsonl, images/).")
    var world: String
    @Option(help: "Which set's images and scenes to train on.")
    var set: String = "pretrain"
    @Option(help: "Where the model with the trained tower is written (created).")
    var outputDir: String
    @Option(help: "Epochs over the images.")
    var numTrainEpochs: Double = 1
    @Option(help: "Images per optimizer step.")
    var batchSize: Int = 32
    @Option(help: "Peak AdamW learning rate (cosine schedule, 3% warmup).")
    var learningRate: Float = 1e-3
    @Option(help: "Clip the global gradient norm to this value; 0 turns clipping off.")
    var maxGradNorm: Float = 1
    @Option(help: "Seed for the heads' initialisation (or the codes) and the image order.")
    var seed: UInt64 = 0
    @Option(help: "classes: the tower trains, linear heads classify each patch's labels (cross-entropy). codes: the tower is frozen and the projector trains to output, for each patch, the sum of a fixed random code per label (mean squared error).")
    var objective: Objective = .classes
    @Option(help: "Standard deviation of the fixed codes' elements (--objective codes).")
    var codeScale: Float = 10
    @Option(help: "Comma-separated labels whose codes make up a patch's target (--objective codes), from shape, color, size, character.")
    var codeLabels: String = "shape,color,size,character"
    @Flag(inversion: .prefixedNo, help: "Give patches with no object a fixed code of their own (--objective codes); with --no-empty-code their target is zero.")
    var emptyCode = true

    struct Record: Encodable {
        var model_path, world, set, output_dir: String
        var num_train_epochs: Double
        var batch_size: Int
        var learning_rate, max_grad_norm: Float
        var seed: UInt64
        var heads: [String]
        var objective: String
        var code_scale: Float?
        var code_labels: [String]?
        var empty_code: Bool?
    }

    func run() throws {
        guard batchSize > 0, numTrainEpochs > 0 else { throw ValidationError("--batch-size and --num-train-epochs must be positive") }
        let codeLabelList = codeLabels.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if objective == .codes {
            let choices = PatchLabeller.headNames.joined(separator: ", ")
            guard !codeLabelList.isEmpty else { throw ValidationError("--code-labels: name at least one of \(choices)") }
            if let unknown = codeLabelList.first(where: { !PatchLabeller.headNames.contains($0) }) {
                throw ValidationError("--code-labels: unknown label '\(unknown)'; choose from \(choices)")
            }
        }
        try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
        try RunRecord.write(Record(model_path: modelPath, world: world, set: set, output_dir: outputDir, num_train_epochs: numTrainEpochs,
                                   batch_size: batchSize, learning_rate: learningRate, max_grad_norm: maxGradNorm, seed: seed,
                                   heads: PatchLabeller.headNames, objective: objective.rawValue,
                                   code_scale: objective == .codes ? codeScale : nil,
                                   code_labels: objective == .codes ? codeLabelList : nil,
                                   empty_code: objective == .codes ? emptyCode : nil), to: outputDir)
        guard case .llava(let llava) = try ModelLoader.load(folder: modelPath) else {
            throw ValidationError("\(modelPath) is not a LLaVA model")
        }
        var model = objective == .codes ? try TrainableModel(llava: llava, mode: .projector)
                                        : try TrainableModel(llava: llava, mode: .full, trainVisionTower: true)
        let preprocessor = CLIPPreprocessor(config: try CLIPPreprocessorConfig.load(path: modelPath + "/preprocessor_config.json"))
        let tower = llava.visionTower.configuration
        let labeller = PatchLabeller(imageSize: tower.imageSize, patchSize: tower.patchSize)
        let samples = try readScenes()
        guard !samples.isEmpty else { throw ValidationError("\(world)/scenes/\(set).jsonl has no scenes") }
        let imageFolder = world + "/images/" + set + "/"
        let extensions = ["png", "jpg"]

        var rng = SeededGenerator(seed: seed)
        let bound = 1 / Float(tower.hiddenSize).squareRoot()  // torch.nn.Linear's default init range
        // Drawn with --objective codes too (unused there), so the image order is the same in both.
        var heads = PatchLabeller.classCounts.map { classes in
            Linear(weight: rng.uniformTensor(shape: [classes, tower.hiddenSize], low: -bound, high: bound),
                   bias: rng.uniformTensor(shape: [classes], low: -bound, high: bound))
        }
        let stepsPerEpoch = (samples.count + batchSize - 1) / batchSize
        let totalSteps = Int((Double(stepsPerEpoch) * numTrainEpochs).rounded(.up))
        let schedule = LearningRateSchedule(kind: .cosine, warmupRatio: 0.03, totalSteps: totalSteps)
        var optimizer = AdamW()
        let trainedGroup: ParameterGroup = objective == .codes ? .projector : .visionTower
        let names = model.parameterNames.filter { model.parameterGroup(of: $0) == trainedGroup }
        let codes = patchCodeTables(classCounts: PatchLabeller.classCounts, width: llava.language.configuration.hiddenSize,
                                    scale: codeScale, seed: seed, emptyCode: emptyCode,
                                    included: PatchLabeller.headNames.map(codeLabelList.contains))
        let bar = ProgressBar(label: objective == .codes ? "projector" : "tower", total: totalSteps, unit: "step")
        var metrics = ""
        var order: [Int] = []
        for step in 0..<totalSteps {
            if step % stepsPerEpoch == 0 { order = Array(samples.indices); order.shuffle(using: &rng) }
            let local = step % stepsPerEpoch
            let batch = try order[(local * batchSize)..<min(order.count, (local + 1) * batchSize)].map { i -> PatchLabelledImage in
                let key = samples[i].key
                guard let path = extensions.map({ imageFolder + key + "." + $0 }).first(where: FileManager.default.fileExists) else {
                    throw ValidationError("no image for scene \(key) under \(imageFolder)")
                }
                return PatchLabelledImage(pixels: try preprocessor.pixelValues(path: path), labels: labeller.labels(samples[i].scene))
            }
            if objective == .codes {
                let result = try model.patchCodeRegressionLossAndGradients(batch, codes: codes)
                var gradients = names.map { result.projectorGradients[$0]! }
                for i in gradients.indices { gradients[i].scale(by: 1 / Float(max(1, result.elementCount))) }
                let norm = clipGradientNorm(&gradients, maxNorm: maxGradNorm)
                let lr = learningRate * Float(schedule.multiplier(at: step))
                try update(&model, names, gradients, &optimizer, lr)
                let mse = result.squaredErrorSum / Double(max(1, result.elementCount))
                let relative = result.squaredErrorSum / max(1e-12, result.targetEnergy)  // 1 - R² about zero
                metrics += String(format: "{\"step\":%d,\"loss\":%.5f,\"relative_error\":%.5f,\"learning_rate\":%.3e,\"grad_norm\":%.4f}\n",
                                  step + 1, mse, relative, lr, Double(norm))
                bar.advance(fields: [("mse", String(format: "%.3f", mse)), ("rel", String(format: "%.3f", relative))])
                continue
            }
            let result = try model.patchClassificationLossAndGradients(batch, heads: heads)
            // Mean over labels, then clip_grad_norm_ over the tower and the heads together.
            var gradients = names.map { result.towerGradients[$0]! } + result.headGradients.flatMap { [$0.weight!, $0.bias!] }
            for i in gradients.indices { gradients[i].scale(by: 1 / Float(max(1, result.labelCount))) }
            let norm = clipGradientNorm(&gradients, maxNorm: maxGradNorm)
            let lr = learningRate * Float(schedule.multiplier(at: step))
            try update(&model, names, Array(gradients[..<names.count]), &optimizer, lr)
            for k in heads.indices {
                var (w, b) = (heads[k].weight.materialized(), heads[k].bias!)
                optimizer.update(&w, name: "head\(k).weight", gradient: gradients[names.count + 2 * k], learningRate: lr)
                optimizer.update(&b, name: "head\(k).bias", gradient: gradients[names.count + 2 * k + 1], learningRate: lr)
                heads[k] = Linear(weight: w, bias: b)
            }
            let patchesPerHead = batch.count * labeller.patchCount
            let accuracy = result.correct.map { Double($0) / Double(patchesPerHead) }
            let loss = result.lossSum / Double(max(1, result.labelCount))
            metrics += String(format: "{\"step\":%d,\"loss\":%.5f,\"learning_rate\":%.3e,\"grad_norm\":%.4f,\"accuracy\":{%@}}\n",
                              step + 1, loss, lr, Double(norm),
                              zip(PatchLabeller.headNames, accuracy).map { "\"\($0)\":\(String(format: "%.4f", $1))" }.joined(separator: ","))
            bar.advance(fields: [("loss", String(format: "%.3f", loss))] + zip(PatchLabeller.headNames, accuracy).map { ($0, String(format: "%.2f", $1)) })
        }
        try AtomicFile.write(Data(metrics.utf8), to: outputDir + (objective == .codes ? "/projector_metrics.jsonl" : "/tower_metrics.jsonl"))
        let trained = Dictionary(uniqueKeysWithValues: try names.map { ($0, try model.parameter($0)) })
        try FullCheckpointWriter.write(source: modelPath, replacing: trained, to: outputDir,
                                       metadata: ["format": "pt", "tuned_by": "vlm-data pretrain-tower --objective \(objective.rawValue)"])
        FileHandle.standardError.write(Data("vlm-data: \(objective == .codes ? "projector" : "tower") trained on \(samples.count) images; model written to \(outputDir)\n".utf8))
    }

    /// One AdamW step on the named tensors only: `model.parameters` would copy the whole language model.
    func update(_ model: inout TrainableModel, _ names: [String], _ gradients: [Tensor], _ optimizer: inout AdamW, _ lr: Float) throws {
        var values: [String: Tensor] = [:]
        for (name, gradient) in zip(names, gradients) {
            var value = try model.parameter(name)
            optimizer.update(&value, name: name, gradient: gradient, learningRate: lr)
            values[name] = value
        }
        try model.setParameters(values)
    }

    func readScenes() throws -> [(key: String, scene: Scene)] {
        struct Line: Decodable { var key: String; var scene: Scene }
        let path = world + "/scenes/" + set + ".jsonl"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("cannot read \(path)") }
        return try text.split(separator: "\n").enumerated().map { n, line in
            do {
                let decoded = try JSONDecoder().decode(Line.self, from: Data(line.utf8))
                return (decoded.key, decoded.scene)
            } catch {
                throw ValidationError("\(path) line \(n + 1): \(error)")
            }
        }
    }
}

