import ArgumentParser
import Foundation

enum TuneTarget: String, ExpressibleByArgument, CaseIterable, Codable {
    case adapters, projector, full
}

struct TuneOptions: ParsableArguments {
    // MARK: model and data
    @Option(help: "Model folder (llava-hf, haotian-liu/LLaVA or LlamaForCausalLM). Default: the built-in model in Data/base-model.")
    var modelPath: String?

    @Option(help: "Training data: LLaVA conversation JSON, or instruction JSON (instruction/input/output or query/response). Default: the built-in world's fine-tuning set.")
    var dataPath: String?

    @Option(help: "Folder the data's image paths are relative to. Default: the built-in world's images when --data-path is not given.")
    var imageFolder: String?

    @Option(help: "Where everything is written (created). Default: runs/<init>-r<rank>.")
    var outputDir: String?

    // MARK: what trains
    @Option(help: "What trains: adapters (LoRA family + projector, LLaVA-1.5's LoRA recipe), projector (stage-1 pretraining, 'plain' template), full (all language-model weights + projector).")
    var tune: TuneTarget = .adapters

    @Option(name: .customLong("init"), help: "Adapter initialisation: milora (r smallest singular triplets), pissa (r largest), lora (Kaiming-uniform A, B = 0), gaussian, mid, random.")
    var initialization: String = "milora"

    @Option(name: [.customLong("rank"), .customLong("lora-r")], help: "Adapter rank r.")
    var rank: Int = 128

    @Option(help: "LoRA alpha; the adapter output is scaled by alpha / r. Default: rank for the SVD inits (PiSSA, MiLoRA, mid, random: the paper's setting), 2 x rank for lora/gaussian (LLaVA-1.5's r 128, alpha 256).")
    var loraAlpha: Float?

    @Option(help: "Dropout on the adapter branch's input (PEFT's lora_dropout).")
    var loraDropout: Float = 0.05

    @Option(help: "Comma-separated module names to adapt (e.g. q_proj,k_proj,v_proj,up_proj,down_proj). Default: every linear of the language model except lm_head.")
    var targetModules: String?

    @Option(help: "Folder for cached singular value decompositions (keyed by weight content), so another rank or init recomputes nothing. Default: <output-dir>/../.svd-cache.")
    var svdCache: String?

    // MARK: optimisation (transformers TrainingArguments)
    @Option(help: "Peak learning rate (adapters, or every weight for --tune full).")
    var learningRate: Float = 2e-4

    @Option(help: "Learning rate of the projector (LLaVA's --mm_projector_lr). Default: 2e-5 with adapters (LLaVA-1.5's LoRA recipe); --learning-rate for --tune projector and --tune full, whose LLaVA scripts leave it unset.")
    var mmProjectorLr: Float?

    @Flag(help: "Train the CLIP vision tower too (LLaVA's --unfreeze_mm_vision_tower); needs --tune full. Its weights are written with the model.")
    var unfreezeMmVisionTower = false

    @Option(help: "Learning rate of the vision tower when it trains (LLaVA-NeXT's --mm_vision_tower_lr). Default: --learning-rate.")
    var mmVisionTowerLr: Float?

    @Option(help: "Decoupled AdamW weight decay.")
    var weightDecay: Float = 0

    @Option(help: "Clip the global gradient norm to this value; 0 turns clipping off.")
    var maxGradNorm: Float = 1

    @Option(help: "Epochs over the data (fractions allowed).")
    var numTrainEpochs: Double = 1

    @Option(help: "Stop after this many optimizer steps (overrides epochs). 0 writes the initialised adapter and stops.")
    var maxSteps: Int?

    @Option(help: "Examples per micro-batch.")
    var perDeviceTrainBatchSize: Int = 16

    @Option(help: "Micro-batches per optimizer step.")
    var gradientAccumulationSteps: Int = 1

    @Option(help: "Fraction of the steps spent warming the learning rate up linearly.")
    var warmupRatio: Double = 0.03

    @Option(help: "Learning-rate schedule: cosine, linear, constant, constant_with_warmup.")
    var lrSchedulerType: String = "cosine"

    @Option(help: "Truncate every sequence to this many tokens (LLaVA's model_max_length).")
    var modelMaxLength: Int = 2048

    @Option(help: "Conversation template: vicuna_v1 (alias v1), llava_v1, plain. Default: plain for --tune projector, else vicuna_v1.")
    var convMode: String?

    @Option(help: "Image preprocessing: pad (LLaVA-1.5: pad to a square with the mean colour) or original.")
    var imageAspectRatio: String = "pad"

    @Flag(help: "Recompute each decoder layer's activations in the backward pass instead of keeping them (less memory, ~30% more time).")
    var gradientCheckpointing = false

    @Option(help: "Save a checkpoint every N optimizer steps (0: only at the end).")
    var saveSteps: Int = 0

    @Option(help: "Keep at most this many checkpoints.")
    var saveTotalLimit: Int = 1

    @Option(help: "Log (metrics.jsonl, progress line) every N optimizer steps.")
    var loggingSteps: Int = 1

    @Option(help: "Seed for initialisation, data order and dropout.")
    var seed: UInt64 = 42

    @Flag(help: "Stop at the first sample with a missing/corrupt image or malformed conversation, instead of skipping it.")
    var strict = false
}
