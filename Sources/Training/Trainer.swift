import Foundation
import SafeTensors
import TensorCore

/// What the training loop needs from a model, so the loop does not depend on how gradients
/// are computed. `lossAndGradients` returns the SUM of token losses over the micro-batch, the
/// number of supervised tokens, and d(sum)/d(parameter) for every trainable parameter.
public struct GradientSource {
    public var parameters: () -> [String: Tensor]
    public var setParameter: (String, Tensor) -> Void
    public var lossAndGradients: (_ examples: [PreparedExample], _ dropoutSeed: UInt64) throws -> MicroBatchResult

    public init(parameters: @escaping () -> [String: Tensor], setParameter: @escaping (String, Tensor) -> Void,
                lossAndGradients: @escaping ([PreparedExample], UInt64) throws -> MicroBatchResult) {
        self.parameters = parameters
        self.setParameter = setParameter
        self.lossAndGradients = lossAndGradients
    }
}

public struct MicroBatchResult {
    public var lossSum: Double
    /// Tokens that carry loss (the normaliser).
    public var tokenCount: Int
    /// Sequence positions processed (text tokens plus image feature rows), for throughput.
    public var processedTokens: Int
    public var gradients: [String: Tensor]
    public init(lossSum: Double, tokenCount: Int, processedTokens: Int? = nil, gradients: [String: Tensor]) {
        self.lossSum = lossSum
        self.tokenCount = tokenCount
        self.processedTokens = processedTokens ?? tokenCount
        self.gradients = gradients
    }
}

/// Hyperparameters of the loop, named as transformers' TrainingArguments names them.
public struct TrainerSettings: Codable, Sendable, Equatable {
    public var learningRate: Float = 2e-4
    /// Learning rate of parameters whose name contains a projector marker (`--mm-projector-lr`).
    public var projectorLearningRate: Float? = nil
    /// Learning rate of vision-tower parameters (`--mm-vision-tower-lr`, as LLaVA-NeXT's
    /// mm_vision_tower_lr); nil: the main learning rate.
    public var visionTowerLearningRate: Float? = nil
    public var weightDecay: Float = 0
    public var maxGradNorm: Float = 1
    public var perDeviceTrainBatchSize = 16
    public var gradientAccumulationSteps = 1
    public var numTrainEpochs: Double = 1
    /// > 0 overrides the epoch count.
    public var maxSteps = -1
    public var warmupRatio: Double = 0.03
    public var lrSchedulerType: ScheduleKind = .cosine
    public var loggingSteps = 1
    /// 0 saves only at the end.
    public var saveSteps = 0
    public var saveTotalLimit = 1
    public var seed: UInt64 = 42

    public init() {}

    enum CodingKeys: String, CodingKey {
        case learningRate = "learning_rate", projectorLearningRate = "mm_projector_lr"
        case visionTowerLearningRate = "mm_vision_tower_lr", weightDecay = "weight_decay"
        case maxGradNorm = "max_grad_norm", perDeviceTrainBatchSize = "per_device_train_batch_size"
        case gradientAccumulationSteps = "gradient_accumulation_steps", numTrainEpochs = "num_train_epochs"
        case maxSteps = "max_steps", warmupRatio = "warmup_ratio", lrSchedulerType = "lr_scheduler_type"
        case loggingSteps = "logging_steps", saveSteps = "save_steps", saveTotalLimit = "save_total_limit", seed
    }

    public var examplesPerStep: Int { perDeviceTrainBatchSize * gradientAccumulationSteps }

    /// Optimizer steps for `count` examples: ceil(count / examplesPerStep) per epoch, as the
    /// Trainer counts them (it keeps a final short batch), times the epochs; or max_steps.
    public func totalSteps(examples count: Int) -> Int {
        if maxSteps >= 0 { return maxSteps }
        let perEpoch = (count + examplesPerStep - 1) / examplesPerStep
        return Int((Double(perEpoch) * numTrainEpochs).rounded(.up))
    }
}

/// One entry of `log_history` (trainer_state.json) and of `metrics.jsonl`.
public struct LogEntry: Codable, Sendable, Equatable {
    public var step: Int
    public var epoch: Double
    public var loss: Double
    public var learningRate: Double
    public var gradNorm: Double
    /// Tokens that carried loss in this step.
    public var supervisedTokens: Int
    /// Sequence positions processed per second (text tokens and image feature rows).
    public var tokensPerSecond: Double
    enum CodingKeys: String, CodingKey {
        case step, epoch, loss, learningRate = "learning_rate", gradNorm = "grad_norm", supervisedTokens = "supervised_tokens"
        case tokensPerSecond = "tokens_per_second"
    }
}

/// `trainer_state.json` in each checkpoint: where the run is, and what it logged so far.
public struct TrainerState: Codable, Sendable, Equatable {
    public var globalStep: Int
    public var maxSteps: Int
    public var logHistory: [LogEntry]
    enum CodingKeys: String, CodingKey { case globalStep = "global_step", maxSteps = "max_steps", logHistory = "log_history" }
}
