import Adapters
import Architectures
import CLISupport
import Decoding
import Foundation
import Imaging
import SafeTensors
import TensorCore
import Tokenization
import Training

/// One `vlm-tune` run, start to finish: resolve options, load, prepare data, initialise,
/// train (resuming when checkpoints exist), write the results.
struct TuneRun {
    let options: TuneOptions

    func run() throws {
        let configuration = try resolve()
        try FileManager.default.createDirectory(atPath: configuration.output_dir, withIntermediateDirectories: true)
        try RunRecord.write(configuration, to: configuration.output_dir)
        let note = BuiltInDefaults.note

        // Model, tokenizer, image preprocessing.
        note("loading \(configuration.model_path)")
        guard case .llava(var llava) = try ModelLoader.load(folder: configuration.model_path) else {
            throw TuneFailure(message: "\(configuration.model_path): vlm-tune trains LLaVA models (llava-hf or haotian-liu/LLaVA layout); this folder holds another kind")
        }
        let tokenizer = try VLMSession.loadTokenizer(folder: configuration.model_path, for: .llava(llava))
        let template = try ConversationTemplate.named(configuration.conv_mode)
        guard let aspect = ImageAspectRatio(rawValue: configuration.image_aspect_ratio) else {
            throw TuneFailure(message: "--image-aspect-ratio must be one of \(ImageAspectRatio.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let imageProcessor = try VLMSession.imagePreprocessor(for: llava).0

        // Data.
        let read = try TrainingDataReader(strict: configuration.strict).read(path: configuration.data_path)
        var preprocessor = LLaVAPreprocessor(tokenizer: tokenizer, template: template, modelMaxLength: configuration.model_max_length)
        preprocessor.isMultimodal = true
        let preparation = DatasetPreparation(preprocessor: preprocessor, imageFolder: configuration.image_folder, strict: configuration.strict)
        let bar = ProgressBar(label: "prepare data", total: read.samples.count, unit: "sample")
        let prepared = try preparation.prepare(read.samples) { done, _ in if done % 64 == 0 || done == read.samples.count { bar.advance(by: done - bar.completed) } }
        let skipped = read.skipped.map(\.description) + prepared.skipped
        try writeSkipped(skipped, to: configuration.output_dir)

        // What trains.
        let mode: TuningMode
        var initialized: InitializedAdapters? = nil
        switch options.tune {
        case .adapters:
            let settings = AdapterSettings(rank: configuration.lora_r, alpha: configuration.lora_alpha, dropout: configuration.lora_dropout,
                                           initialization: try AdapterInitialization(name: configuration.init_method), seed: configuration.trainer.seed)
            let cache = try DecompositionCache(folder: configuration.svd_cache)
            let initBar = ProgressBar(label: "init \(configuration.init_method)", total: llava.namedLinears.count, unit: "module")
            // Prefetch the 256 largest and smallest triplets (or r): another rank up to that, or
            // PiSSA after MiLoRA, then comes from the cache without any decomposition.
            let result = try llava.initializeAdapters(settings: settings, targets: configuration.target_modules, cache: cache,
                                                      prefetch: max(256, configuration.lora_r)) { progress in
                initBar.advance(fields: [("module", progress.module), ("cached", progress.fromCache ? "yes" : "no")])
            }
            llava.detachAdapters()
            initialized = result
            if options.maxSteps == 0 {
                try result.write(to: configuration.output_dir, moduleNames: llava.namedLinears.map(\.name),
                                 metadata: ["init": configuration.init_method])
                note("wrote the initialised \(configuration.init_method) adapter (rank \(configuration.lora_r)) to \(configuration.output_dir); --max-steps 0, so no training")
                return
            }
            mode = .adapters(result.adapters.modules, residualWeights: [:], trainProjector: true)
        case .projector: mode = .projector
        case .full: mode = .full
        }
        var trainable: TrainableModel
        do {
            trainable = try TrainableModel(llava: llava, mode: mode, trainVisionTower: configuration.unfreeze_mm_vision_tower)
        } catch let error as ModelTrainingError {
            throw TuneFailure(message: error.description)
        }
        trainable.gradientCheckpointing = configuration.gradient_checkpointing

        // A frozen tower's features are computed once per image; a training tower needs the
        // pixels of every batch (decoded again each time: memory stays flat on large sets).
        let features = trainable.trainsVisionTower ? [:]
            : try visionFeatures(prepared.examples, processor: imageProcessor, aspect: aspect, model: trainable)
        let box = TrainableBox(trainable)
        let source = GradientSource(
            parameters: { box.model.parameters },
            setParameter: { name, value in try? box.model.setParameters([name: value]) },
            lossAndGradients: { batch, seed in
                let examples = try batch.map { example in
                    let image: ImageInput? = try example.imagePath.map { path in
                        box.model.trainsVisionTower ? .pixels(try imageProcessor.pixelValues(path: path, aspectRatio: aspect))
                                                    : .visionFeatures(features[path]!)
                    }
                    return TrainingExample(inputIds: example.inputIds, labels: example.labels, images: image.map { [$0] } ?? [])
                }
                let result = try box.model.lossAndGradients(batch: examples, dropoutSeed: seed)
                let images = batch.filter { $0.imagePath != nil }.count
                let processed = batch.reduce(0) { $0 + $1.inputIds.count } + images * (box.model.featuresPerImage - 1)
                return MicroBatchResult(lossSum: result.lossSum, tokenCount: result.tokenCount, processedTokens: processed,
                                        gradients: result.gradients)
            })

        // Train.
        let loop = TrainingLoop(settings: configuration.trainer, examples: prepared.examples, source: source,
                                outputDirectory: configuration.output_dir)
        let resumed = try loop.resume()
        if resumed > 0 { note("resuming from checkpoint-\(resumed) in \(configuration.output_dir)") }
        note("training \(loop.totalSteps) steps on \(prepared.examples.count) examples (\(skipped.count) skipped), \(box.model.parameterNames.count) trainable tensors")
        let trainBar = ProgressBar(label: "train", total: loop.totalSteps, unit: "step", alreadyCompleted: resumed)
        loop.onLog = { entry in
            trainBar.advance(fields: [("loss", String(format: "%.4f", entry.loss)), ("lr", String(format: "%.2e", entry.learningRate)),
                                      ("tok/s", String(format: "%.0f", entry.tokensPerSecond))])
        }
        loop.onCheckpoint = { path in try? writePlot(loop.state.logHistory, to: configuration.output_dir) ; _ = path }
        try loop.run()

        // Results.
        try writePlot(loop.state.logHistory, to: configuration.output_dir)
        try writeResults(box.model, initialized: initialized, configuration: configuration, llava: llava)
        if !skipped.isEmpty { note("\(skipped.count) sample(s) skipped; see skipped_samples.txt") }
        note("done: \(configuration.output_dir)")
    }

    // MARK: - pieces

    func resolve() throws -> TuneConfiguration {
        let builtIn = options.modelPath == nil && options.dataPath == nil
        var modelPath = options.modelPath, dataPath = options.dataPath, imageFolder = options.imageFolder
        if options.modelPath == nil {
            modelPath = BuiltInDefaults.path(BuiltInDefaults.modelFolder)
            BuiltInDefaults.note("no --model-path: using the built-in default model \(BuiltInDefaults.modelFolder)")
            guard FileManager.default.fileExists(atPath: modelPath! + "/config.json") else {
                throw TuneFailure(message: "the built-in model \(modelPath!) is missing; run Scripts/pretrain_default_model.sh or pass --model-path")
            }
        }
        if options.dataPath == nil {
            try BuiltInDefaults.ensureWorld()
            dataPath = BuiltInDefaults.path(BuiltInDefaults.fineTuningData)
            imageFolder = imageFolder ?? BuiltInDefaults.path(BuiltInDefaults.images)
            BuiltInDefaults.note("no --data-path: using the built-in world's fine-tuning task \(BuiltInDefaults.fineTuningData)")
        }
        guard options.rank > 0 else { throw TuneFailure(message: "--rank must be positive") }
        guard !options.unfreezeMmVisionTower || options.tune == .full else {
            throw TuneFailure(message: "--unfreeze-mm-vision-tower needs --tune full (the tower's weights are written with the whole model)")
        }
        guard let schedule = ScheduleKind(rawValue: options.lrSchedulerType) else {
            throw TuneFailure(message: "--lr-scheduler-type must be one of \(ScheduleKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard options.perDeviceTrainBatchSize > 0, options.gradientAccumulationSteps > 0 else {
            throw TuneFailure(message: "--per-device-train-batch-size and --gradient-accumulation-steps must be positive")
        }
        var trainer = TrainerSettings()
        trainer.learningRate = options.learningRate
        // LLaVA's LoRA script passes --mm_projector_lr 2e-5; its pretraining and full fine-tuning
        // scripts do not, so the projector then learns at the main rate.
        trainer.projectorLearningRate = options.mmProjectorLr ?? (options.tune == .adapters ? 2e-5 : nil)
        trainer.visionTowerLearningRate = options.mmVisionTowerLr
        trainer.weightDecay = options.weightDecay
        trainer.maxGradNorm = options.maxGradNorm
        trainer.perDeviceTrainBatchSize = options.perDeviceTrainBatchSize
        trainer.gradientAccumulationSteps = options.gradientAccumulationSteps
        trainer.numTrainEpochs = options.numTrainEpochs
        trainer.maxSteps = options.maxSteps ?? -1
        trainer.warmupRatio = options.warmupRatio
        trainer.lrSchedulerType = schedule
        trainer.loggingSteps = options.loggingSteps
        trainer.saveSteps = options.saveSteps
        trainer.saveTotalLimit = options.saveTotalLimit
        trainer.seed = options.seed
        let initName = options.tune == .adapters ? options.initialization : options.tune.rawValue
        let output = options.outputDir ?? BuiltInDefaults.path("runs/\(initName)-r\(options.rank)")
        return TuneConfiguration(
            model_path: modelPath!, data_path: dataPath!, image_folder: imageFolder, output_dir: output, built_in_default: builtIn,
            tune: options.tune.rawValue, init_method: options.initialization, lora_r: options.rank,
            lora_alpha: try options.loraAlpha ?? defaultAlpha(), lora_dropout: options.loraDropout,
            target_modules: options.targetModules.map(TargetModules.parse), conv_mode: options.convMode ?? (options.tune == .projector ? "plain" : "vicuna_v1"),
            model_max_length: options.modelMaxLength, image_aspect_ratio: options.imageAspectRatio,
            gradient_checkpointing: options.gradientCheckpointing, unfreeze_mm_vision_tower: options.unfreezeMmVisionTower,
            svd_cache: options.svdCache ?? (URL(fileURLWithPath: output).deletingLastPathComponent().path + "/.svd-cache"),
            strict: options.strict, trainer: trainer)
    }

    /// The paper's rule: alpha = r for the SVD inits, 2 r for the random ones (LLaVA's LoRA).
    func defaultAlpha() throws -> Float {
        let initialization = try AdapterInitialization(name: options.initialization)
        return Float(initialization.usesSVD ? options.rank : 2 * options.rank)
    }

    func visionFeatures(_ examples: [PreparedExample], processor: CLIPPreprocessor, aspect: ImageAspectRatio,
                        model: TrainableModel) throws -> [String: Tensor] {
        let paths = Array(Set(examples.compactMap(\.imagePath))).sorted()
        guard !paths.isEmpty else { return [:] }
        let bar = ProgressBar(label: "image features", total: paths.count, unit: "image")
        var features: [String: Tensor] = [:]
        for path in paths {
            features[path] = try model.visionFeatures(pixels: try processor.pixelValues(path: path, aspectRatio: aspect))
            bar.advance()
        }
        return features
    }

    func writeSkipped(_ lines: [String], to folder: String) throws {
        guard !lines.isEmpty else { return }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: folder + "/skipped_samples.txt"))
    }

    func writePlot(_ history: [LogEntry], to folder: String) throws {
        let plot = LinePlot(title: "training loss", xLabel: "optimizer step", yLabel: "loss",
                            series: [.init(name: "loss", points: history.map { (Double($0.step), $0.loss) })])
        try Data(plot.svg().utf8).write(to: URL(fileURLWithPath: folder + "/loss.svg"), options: .atomic)
    }
}

/// Reference box so the loop's closures can update the (value-type) model.
final class TrainableBox {
    var model: TrainableModel
    init(_ model: TrainableModel) { self.model = model }
}

extension TuneRun {
    /// adapters: the PEFT folder (+ residual bases + projector, + converted_lora/ for SVD inits);
    /// projector / full: a whole model folder with the trained tensors.
    func writeResults(_ model: TrainableModel, initialized: InitializedAdapters?, configuration: TuneConfiguration,
                      llava: LlavaModel) throws {
        let output = configuration.output_dir
        let parameters = model.parameters
        guard let initialized else {
            try FullCheckpointWriter.write(source: configuration.model_path, replacing: parameters, to: output,
                                           metadata: ["format": "pt", "tuned_by": "vlm-tune --tune \(configuration.tune)"])
            return
        }
        let trained = AdapterSet(config: initialized.adapters.config, modules: model.adapterModules)
        let metadata = ["init": configuration.init_method]
        try InitializedAdapters(adapters: trained, residuals: initialized.residuals)
            .write(to: output, moduleNames: llava.namedLinears.map(\.name), metadata: metadata)
        let projector = parameters.filter { model.parameterGroup(of: $0.key) == .projector }
        if !projector.isEmpty {
            try SafeTensorsWriter.write(projector.keys.sorted().map { TensorRecord(name: $0, tensor: projector[$0]!) },
                                        metadata: ["format": "pt"], to: output + "/" + projectorWeightsFileName)
        }
        if !initialized.residuals.isEmpty {
            // A plain LoRA of rank 2R on the ORIGINAL base (PEFT's conversion), with the projector.
            let converted = try trained.convertedToOriginalBase(initial: initialized.adapters)
            let folder = output + "/converted_lora"
            try converted.write(to: folder, metadata: metadata)
            if !projector.isEmpty {
                try AtomicFile.write(Data(contentsOf: URL(fileURLWithPath: output + "/" + projectorWeightsFileName)),
                                     to: folder + "/" + projectorWeightsFileName)
            }
        }
    }
}
