import Foundation
import SafeTensors
import TensorCore

/// The optimisation loop: micro-batches, gradient accumulation, clipping, the schedule, AdamW,
/// logging, checkpoints and resume. It prints nothing; the executable observes it through
/// `onLog` and `onCheckpoint`.
///
/// Loss normalisation follows the Hugging Face Trainer with `num_items_in_batch` (transformers
/// >= 4.46): the gradients of all micro-batches of one optimizer step are summed and divided by
/// the number of supervised tokens in the whole step, so accumulation of k micro-batches equals
/// one batch k times larger. The logged loss is that step's token-mean loss.
///
/// Determinism: example order comes from `epochOrder(seed, epoch)`, and each micro-batch's
/// dropout seed from (seed, step, micro-batch), so a resumed run continues exactly as an
/// uninterrupted one would.
public final class TrainingLoop {
    public let settings: TrainerSettings
    public let examples: [PreparedExample]
    public let source: GradientSource
    public let store: CheckpointStore
    public private(set) var optimizer = AdamW()
    public private(set) var state: TrainerState
    public let totalSteps: Int

    public var onLog: ((LogEntry) -> Void)?
    public var onCheckpoint: ((String) -> Void)?
    /// More files for each checkpoint (e.g. the adapter in PEFT format).
    public var extraCheckpointFiles: (() throws -> [String: Data])?

    static let projectorMarkers = ["multi_modal_projector", "mm_projector"]
    public static let parametersFile = "trainable_parameters.safetensors"
    public static let optimizerFile = "optimizer.safetensors"
    public static let stateFile = "trainer_state.json"
    public static let metricsFile = "metrics.jsonl"

    public init(settings: TrainerSettings, examples: [PreparedExample], source: GradientSource, outputDirectory: String) {
        precondition(!examples.isEmpty, "TrainingLoop needs examples")
        self.settings = settings
        self.examples = examples
        self.source = source
        store = CheckpointStore(outputDirectory: outputDirectory)
        totalSteps = settings.totalSteps(examples: examples.count)
        state = TrainerState(globalStep: 0, maxSteps: totalSteps, logHistory: [])
    }

    public var stepsPerEpoch: Int { (examples.count + settings.examplesPerStep - 1) / settings.examplesPerStep }

    /// Examples of optimizer step `step`, split into micro-batches.
    public func microBatches(step: Int) -> [[PreparedExample]] {
        let epoch = step / stepsPerEpoch, local = step % stepsPerEpoch
        let order = epochOrder(count: examples.count, epoch: epoch, seed: settings.seed)
        let start = local * settings.examplesPerStep
        let chosen = order[start..<min(order.count, start + settings.examplesPerStep)].map { examples[$0] }
        return stride(from: 0, to: chosen.count, by: settings.perDeviceTrainBatchSize).map {
            Array(chosen[$0..<min(chosen.count, $0 + settings.perDeviceTrainBatchSize)])
        }
    }

    func learningRate(for name: String) -> Float {
        if let projector = settings.projectorLearningRate, Self.projectorMarkers.contains(where: name.contains) { return projector }
        if let tower = settings.visionTowerLearningRate, name.contains("vision_tower") { return tower }
        return settings.learningRate
    }

    /// Continue from the newest complete checkpoint, if any. Returns its step (0 if none).
    @discardableResult
    public func resume() throws -> Int {
        store.removeIncomplete()
        guard let latest = store.latest() else { return 0 }
        let parameters = try SafeTensorsFile(path: latest.path + "/" + Self.parametersFile)
        let current = source.parameters()
        for name in current.keys.sorted() {
            let value = try parameters.tensor(name)
            guard value.shape == current[name]!.shape else {
                throw CheckpointError.corrupt(path: latest.path, reason: "'\(name)' is \(value.shape) in the checkpoint but \(current[name]!.shape) in this run; was it made with other settings?")
            }
            source.setParameter(name, value)
        }
        try optimizer.restore(from: SafeTensorsFile(path: latest.path + "/" + Self.optimizerFile))
        let data = try Data(contentsOf: URL(fileURLWithPath: latest.path + "/" + Self.stateFile))
        state = try JSONDecoder().decode(TrainerState.self, from: data)
        state.maxSteps = totalSteps
        try rewriteMetrics()
        return state.globalStep
    }

    /// Run until `totalSteps` (or `stopAfter` more steps, for tests of interruption).
    public func run(stopAfter: Int? = nil) throws {
        var remaining = stopAfter ?? Int.max
        let schedule = LearningRateSchedule(kind: settings.lrSchedulerType, warmupRatio: settings.warmupRatio, totalSteps: totalSteps)
        while state.globalStep < totalSteps && remaining > 0 {
            let started = Date()
            let step = state.globalStep
            var lossSum = 0.0, tokens = 0, processed = 0
            var gradients: [String: Tensor] = [:]
            for (m, batch) in microBatches(step: step).enumerated() {
                let seed = settings.seed &* 1_000_003 &+ UInt64(step) &* 1009 &+ UInt64(m)
                let result = try source.lossAndGradients(batch, seed)
                lossSum += result.lossSum
                tokens += result.tokenCount
                processed += result.processedTokens
                for (name, g) in result.gradients {
                    if gradients[name] == nil { gradients[name] = g } else { gradients[name]!.add(g) }
                }
            }
            let names = gradients.keys.sorted()
            var ordered = names.map { gradients[$0]! }
            let normaliser = 1 / Float(max(tokens, 1))
            for i in ordered.indices { ordered[i].scale(by: normaliser) }
            let norm = clipGradientNorm(&ordered, maxNorm: settings.maxGradNorm)
            let multiplier = schedule.multiplier(at: step)
            var parameters = source.parameters()
            for (name, gradient) in zip(names, ordered) {
                guard var value = parameters[name] else { continue }
                optimizer.update(&value, name: name, gradient: gradient,
                                 learningRate: Float(Double(learningRate(for: name)) * multiplier), weightDecay: settings.weightDecay)
                source.setParameter(name, value)
                parameters[name] = value
            }
            state.globalStep += 1
            remaining -= 1
            let seconds = Date().timeIntervalSince(started)
            let entry = LogEntry(step: state.globalStep, epoch: Double(state.globalStep) / Double(stepsPerEpoch),
                                 loss: tokens > 0 ? lossSum / Double(tokens) : .nan,
                                 learningRate: Double(settings.learningRate) * multiplier, gradNorm: Double(norm),
                                 supervisedTokens: tokens, tokensPerSecond: Double(processed) / max(seconds, 1e-9))
            if state.globalStep % max(1, settings.loggingSteps) == 0 || state.globalStep == totalSteps {
                state.logHistory.append(entry)
                try appendMetrics(entry)
            }
            onLog?(entry)
            let periodic = settings.saveSteps > 0 && state.globalStep % settings.saveSteps == 0
            if periodic || state.globalStep == totalSteps { try saveCheckpoint() }
        }
    }

    public func saveCheckpoint() throws {
        let parameters = source.parameters()
        var files: [String: Data] = [:]
        files[Self.parametersFile] = try safetensorsData(parameters.keys.sorted().map { TensorRecord(name: $0, tensor: parameters[$0]!) })
        files[Self.optimizerFile] = try safetensorsData(optimizer.records())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        files[Self.stateFile] = try encoder.encode(state)
        if let extra = extraCheckpointFiles { files.merge(try extra()) { $1 } }
        let path = try store.save(step: state.globalStep, files: files)
        store.prune(keepingLatest: settings.saveTotalLimit)
        onCheckpoint?(path)
    }

    private func safetensorsData(_ records: [TensorRecord]) throws -> Data {
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        try SafeTensorsWriter.write(records, to: temporary)
        return try Data(contentsOf: URL(fileURLWithPath: temporary))
    }

    private var metricsPath: String { store.outputDirectory + "/" + Self.metricsFile }

    private func appendMetrics(_ entry: LogEntry) throws {
        try FileManager.default.createDirectory(atPath: store.outputDirectory, withIntermediateDirectories: true)
        let line = try JSONEncoder.sortedKeys.encode(entry) + Data("\n".utf8)
        if let handle = FileHandle(forWritingAtPath: metricsPath) {
            handle.seekToEndOfFile()
            handle.write(line)
            try handle.close()
        } else {
            try line.write(to: URL(fileURLWithPath: metricsPath))
        }
    }

    /// After a resume, metrics.jsonl holds exactly the checkpoint's history (steps logged after
    /// the checkpoint by the interrupted run are dropped, since they will be redone).
    private func rewriteMetrics() throws {
        var data = Data()
        for entry in state.logHistory { data += try JSONEncoder.sortedKeys.encode(entry) + Data("\n".utf8) }
        try AtomicFile.write(data, to: metricsPath)
    }
}

extension JSONEncoder {
    static var sortedKeys: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
