import Architectures
import ArgumentParser
import CLinearAlgebra
import Foundation
import Layers
import TensorCore

/// Prefill and decode throughput of a LLaMA-shaped decoder with random f32 weights, with the
/// achieved GFLOP/s beside the sgemm rate measured in the same run. The PyTorch counterpart is
/// Scripts/bench/bench_forward_torch.py (same shapes, same FLOP count).
struct ForwardBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Tokens/s and GFLOP/s of LLaMA-shaped prefill and KV-cached decode, beside sgemm GFLOP/s.")

    @Option(parsing: .upToNextOption, help: "Hidden sizes C (heads = C / 64, MLP width as LLaMA: 8C/3 rounded up to 256).")
    var hiddenSizes: [Int] = [1024, 2048]

    @Option(help: "Decoder layers.")
    var layers = 8

    @Option(help: "Vocabulary size V.")
    var vocabulary = 32000

    @Option(help: "Prompt tokens T for prefill.")
    var promptTokens = 128

    @Option(help: "Decode steps after the prompt (one token each, KV cache).")
    var decodeTokens = 32

    @Option(help: "Sequences decoded together in the batched measurement.")
    var batch = 8

    @Option(help: "Timed rounds; the fastest counts.")
    var trials = 3

    func run() throws {
        print("threads: \(workerCount) worker(s); OpenBLAS threads: \(openblas_get_num_threads()); layers \(layers), V \(vocabulary), prompt \(promptTokens), decode \(decodeTokens)")
        print("    C   heads  MLP   | prefill tok/s  GFLOP/s | decode tok/s  GFLOP/s  weight GB/s | batch-\(batch) decode tok/s | sgemm GFLOP/s ([T,C]x[C,4C]^T)")
        for hidden in hiddenSizes { try measure(hidden: hidden) }
    }

    static func config(hidden: Int, layers: Int, vocabulary: Int) -> LlamaConfiguration {
        var c = LlamaConfiguration()
        c.hiddenSize = hidden
        c.headCount = hidden / 64
        c.kvHeadCount = c.headCount
        c.headSize = 64
        c.intermediateSize = ((8 * hidden / 3) + 255) / 256 * 256
        c.layerCount = layers
        c.vocabularySize = vocabulary
        return c
    }

    /// Multiply-adds x 2 of one decoder pass over `tokens` new tokens after `past` cached ones,
    /// plus the lm_head on the last token only (as generation does).
    static func flops(_ c: LlamaConfiguration, tokens: Int, past: Int) -> Double {
        let (h, i) = (Double(c.hiddenSize), Double(c.intermediateSize))
        let (q, kv) = (Double(c.headCount * c.headSize), Double(c.kvHeadCount * c.headSize))
        let linearPerToken = 2 * (h * q + 2 * h * kv + q * h + 3 * h * i)
        // QK^T and PV over the visible keys: sum over new tokens of (past + t + 1) keys.
        let visible = Double(tokens) * Double(past) + Double(tokens) * Double(tokens + 1) / 2
        let attention = 2 * 2 * q * visible
        return Double(c.layerCount) * (linearPerToken * Double(tokens) + attention) + 2 * h * Double(c.vocabularySize)
    }

    private func measure(hidden: Int) throws {
        let config = Self.config(hidden: hidden, layers: layers, vocabulary: vocabulary)
        let model = LlamaModel.random(config, seed: 1)
        var rng = SeededGenerator(seed: 2)
        let prompt = (0..<promptTokens).map { _ in Int(rng.next() % UInt64(vocabulary)) }
        var sink: Float = 0
        let prefill = secondsPerCall(trials: trials, minimumSeconds: 0) {
            var cache = model.makeCache(reservingTokens: promptTokens + decodeTokens)
            let h = model.forward(embeddings: model.embedTokens(prompt), cache: &cache)
            sink += model.lastLogits(h).storage[0]
        }
        // Decode: prefill once (untimed), then time decodeTokens single-token steps.
        var best = Double.infinity
        for _ in 0..<trials {
            var cache = model.makeCache(reservingTokens: promptTokens + decodeTokens)
            var h = model.forward(embeddings: model.embedTokens(prompt), cache: &cache)
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<decodeTokens {
                let next = argmaxIndex(model.lastLogits(h).storage)
                h = model.forward(embeddings: model.embedTokens([next]), cache: &cache)
            }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            sink += h.storage[0]
        }
        // Batched decode: `batch` sequences with the same prompt length, one [B, C] pass per step.
        var bestBatch = Double.infinity
        for _ in 0..<trials {
            var caches: [KVCache] = []
            var next: [Int] = []
            for b in 0..<batch {
                var cache = model.makeCache(reservingTokens: promptTokens + decodeTokens)
                let shifted = prompt.map { ($0 + b) % vocabulary }
                let h = model.forward(embeddings: model.embedTokens(shifted), cache: &cache)
                caches.append(cache)
                next.append(argmaxIndex(model.lastLogits(h).storage))
            }
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<decodeTokens {
                let logits = model.logits(model.decodeStep(embeddings: model.embedTokens(next), caches: &caches))
                next = (0..<batch).map { argmaxIndex(Array(logits.storage[($0 * vocabulary)..<(($0 + 1) * vocabulary)])) }
            }
            bestBatch = min(bestBatch, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            sink += Float(next[0])
        }
        let decodeFlops = (0..<decodeTokens).reduce(0.0) { $0 + Self.flops(config, tokens: 1, past: promptTokens + $1) }
        let prefillRate = Self.flops(config, tokens: promptTokens, past: 0) / prefill / 1e9
        let decodeRate = decodeFlops / best / 1e9
        let weightBytes = Double(4 * (config.layerCount * (4 * hidden * hidden + 3 * hidden * config.intermediateSize) + vocabulary * hidden))
        let sgemmRate = sgemmGFLOPs(m: promptTokens, k: hidden, n: 4 * hidden)
        print(String(format: "%5d  %5d  %5d | %13.1f  %7.1f | %12.1f  %7.1f  %11.2f | %20.1f | %13.1f%@",
                     hidden, config.headCount, config.intermediateSize, Double(promptTokens) / prefill, prefillRate,
                     Double(decodeTokens) / best, decodeRate, weightBytes * Double(decodeTokens) / best / 1e9,
                     Double(batch * decodeTokens) / bestBatch, sgemmRate,
                     sink.isNaN ? " " : ""))
    }

    private func argmaxIndex(_ values: [Float]) -> Int {
        var best = 0
        for i in values.indices where values[i] > values[best] { best = i }
        return best
    }

    private func sgemmGFLOPs(m: Int, k: Int, n: Int) -> Double {
        var rng = SeededGenerator(seed: 3)
        let a = rng.uniformTensor(shape: [m, k], low: -1, high: 1)
        let b = rng.uniformTensor(shape: [n, k], low: -1, high: 1)
        var sink: Float = 0
        let seconds = secondsPerCall(trials: trials) { sink += matmul(a, b, transposeB: true).storage[0] }
        return 2 * Double(m) * Double(n) * Double(k) / seconds / 1e9 + (sink.isNaN ? 0 : 0)
    }
}
