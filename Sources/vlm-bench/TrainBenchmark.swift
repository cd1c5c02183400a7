import Adapters
import Architectures
import ArgumentParser
import CLinearAlgebra
import Foundation
import Layers
import TensorCore
import Training

/// Tokens/s and GFLOP/s of a LoRA training step (forward, backward, AdamW) on a LLaMA-shaped
/// decoder with random f32 weights, beside the sgemm rate measured in the same run. The
/// PyTorch + PEFT counterpart is Scripts/bench/train_step_torch.py: same shapes (heads = C/128,
/// MLP width int(C * 11008 / 4096)), same adapters (all seven projections, alpha = 2r, dropout
/// 0), same FLOP count. `--supervised-fraction` labels only the last part of each sequence, as
/// LLaVA's data does (the image and the prompt are -100): the step then needs logits only there,
/// which we compute and PyTorch (transformers computes every position's logits) does not skip.
struct TrainBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Tokens/s and GFLOP/s of a LoRA training step on LLaMA-shaped models, beside sgemm GFLOP/s.")

    @Option(parsing: .upToNextOption, help: "Hidden sizes C.")
    var hiddenSizes: [Int] = [512, 1024, 2048]

    @Option(help: "Tokens T per sequence (batch 1).")
    var tokens = 512

    @Option(help: "Decoder layers.")
    var layers = 2

    @Option(help: "Adapter rank r.")
    var rank = 64

    @Option(help: "Vocabulary size V (LLaMA's is 32000).")
    var vocabulary = 1000

    @Option(help: "Fraction of the tokens that carry a label (the last ones; the rest are -100, as LLaVA masks the image and prompt).")
    var supervisedFraction = 1.0

    @Option(help: "Timed steps; the fastest counts.")
    var steps = 3

    @Flag(help: "Recompute each layer's forward in the backward (activation checkpointing).")
    var gradientCheckpointing = false

    func run() throws {
        print("threads: \(workerCount) worker(s); OpenBLAS threads: \(openblas_get_num_threads()); T \(tokens), layers \(layers), rank \(rank), V \(vocabulary), supervised \(supervisedRows) rows\(gradientCheckpointing ? ", gradient checkpointing" : "")")
        print("    C  heads   MLP | step s  tokens/s  GFLOP/s | sgemm GFLOP/s  ratio | peak RSS GB")
        for hidden in hiddenSizes { try measure(hidden: hidden) }
    }

    static func config(hidden: Int, layers: Int, vocabulary: Int, tokens: Int) -> LlamaConfiguration {
        var c = LlamaConfiguration()
        c.hiddenSize = hidden
        c.headCount = max(1, hidden / 128)
        c.kvHeadCount = c.headCount
        c.headSize = hidden / c.headCount
        c.intermediateSize = hidden * 11008 / 4096
        c.layerCount = layers
        c.vocabularySize = vocabulary
        c.maxPositionEmbeddings = tokens
        return c
    }

    /// Rows whose next token is labelled (the loss counts them; only they need logits).
    var supervisedRows: Int { max(1, Int((Double(tokens) * supervisedFraction).rounded())) }

    /// As train_step_torch.py's flop_count: 4 x frozen linear parameters x T (forward and input
    /// gradient), 6 x adapter parameters x T, 12 T^2 C of attention per layer, and the lm_head's
    /// 4 x V x C per supervised row (the logits the loss needs).
    static func flops(_ c: LlamaConfiguration, tokens: Int, rank: Int, supervisedRows: Int) -> Double {
        let (h, f, l, t, r) = (Double(c.hiddenSize), Double(c.intermediateSize), Double(c.layerCount), Double(tokens), Double(rank))
        let frozen = l * (4 * h * h + 3 * h * f)
        let adapter = l * r * (4 * (h + h) + 3 * (h + f))
        let attention = l * 12 * t * t * h
        let head = 4 * Double(c.vocabularySize) * h * Double(supervisedRows)
        return 4 * frozen * t + 6 * adapter * t + attention + head
    }

    private func measure(hidden: Int) throws {
        let config = Self.config(hidden: hidden, layers: layers, vocabulary: vocabulary, tokens: tokens)
        let language = LlamaModel.random(config, seed: 1)
        let settings = AdapterSettings(rank: rank, alpha: Float(2 * rank), dropout: 0, initialization: .lora)
        var adapters: [String: LowRankAdapter] = [:]
        for (name, path) in language.namedLinears {
            let linear = language[keyPath: path]
            var adapter = try randomInitialization(module: name, outFeatures: linear.outputFeatures, inFeatures: linear.inputFeatures,
                                                   settings: settings).adapter
            var rng = SeededGenerator(seed: UInt64(adapters.count) + 10)
            adapter.b = rng.uniformTensor(shape: adapter.b.shape, low: -0.01, high: 0.01)  // a trained adapter, not B = 0
            adapters[name] = adapter
        }
        var model = try TrainableModel(language: language, mode: .adapters(adapters))
        model.gradientCheckpointing = gradientCheckpointing
        var rng = SeededGenerator(seed: 2)
        let ids = (0..<tokens).map { _ in Int(rng.next() % UInt64(vocabulary)) }
        let firstLabel = tokens - supervisedRows  // labels[t + 1] is predicted at row t
        let example = TrainingExample(inputIds: ids, labels: ids.enumerated().map { $0.offset >= firstLabel ? Int32($0.element) : -100 })
        var optimizer = AdamW()
        var failure: Error?
        let seconds = secondsPerCall(trials: steps, minimumSeconds: 0) {
            do {
                let result = try model.lossAndGradients(batch: [example])
                var parameters = model.parameters
                for name in model.parameterNames {
                    optimizer.update(&parameters[name]!, name: name, gradient: result.gradients[name]!, learningRate: 1e-4)
                }
                try model.setParameters(parameters)
            } catch { failure = error }
        }
        if let failure { throw failure }
        let rate = Self.flops(config, tokens: tokens, rank: rank, supervisedRows: supervisedRows) / seconds / 1e9
        let sgemmRate = sgemmGFLOPs(m: tokens, k: hidden, n: 4 * hidden)
        print(String(format: "%5d  %5d  %5d | %6.2f  %8.1f  %7.1f | %13.1f  %4.0f%% | %11.2f",
                     hidden, config.headCount, config.intermediateSize, seconds, Double(tokens) / seconds, rate,
                     sgemmRate, 100 * rate / sgemmRate, peakResidentGigabytes()))
    }

    private func sgemmGFLOPs(m: Int, k: Int, n: Int) -> Double {
        var rng = SeededGenerator(seed: 3)
        let a = rng.uniformTensor(shape: [m, k], low: -1, high: 1)
        let b = rng.uniformTensor(shape: [n, k], low: -1, high: 1)
        var sink: Float = 0
        let seconds = secondsPerCall(trials: 3) { sink += matmul(a, b, transposeB: true).storage[0] }
        return 2 * Double(m) * Double(n) * Double(k) / seconds / 1e9 + (sink.isNaN ? 0 : 0)
    }

    private func peakResidentGigabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) * 1024 / 1e9  // ru_maxrss is in KiB on Linux
    }
}
