// Greedy (temperature 0) generation at the token-id level, with a KV cache, as transformers'
// `generate(do_sample=False)` does it: prefill the prompt, then feed back the argmax token
// (first index among equal maxima, as torch.argmax) one position at a time. A generated stop
// token ends generation and is kept as the last token, as transformers keeps the EOS.

import Architectures
import TensorCore

public struct GenerationResult: Sendable, Equatable {
    public enum FinishReason: Sendable, Equatable {
        case stopToken(Int)
        case maxNewTokens
    }

    /// New tokens (the stop token included when one ended generation).
    public var tokens: [Int]
    public var finishReason: FinishReason
}

public struct GreedyDecoder: Sendable {
    public var maxNewTokens: Int
    public var stopTokens: Set<Int>

    public init(maxNewTokens: Int, stopTokens: Set<Int> = []) {
        self.maxNewTokens = maxNewTokens
        self.stopTokens = stopTokens
    }

    /// Continue from prompt embeddings [T, C] (text, or text with image features spliced in).
    /// `onToken` sees each new token as it is chosen (for streaming).
    public func generate(_ model: LlamaModel, promptEmbeddings: Tensor, onToken: (Int) -> Void = { _ in }) throws -> GenerationResult {
        var tokens: [Int] = []
        guard maxNewTokens > 0 else { return GenerationResult(tokens: [], finishReason: .maxNewTokens) }
        var cache = model.makeCache(reservingTokens: promptEmbeddings.rowCount + maxNewTokens)
        var hidden = model.forward(embeddings: promptEmbeddings, cache: &cache)
        while true {
            let next = argmax(model.lastLogits(hidden).storage)
            tokens.append(next)
            onToken(next)
            if stopTokens.contains(next) { return GenerationResult(tokens: tokens, finishReason: .stopToken(next)) }
            if tokens.count == maxNewTokens { return GenerationResult(tokens: tokens, finishReason: .maxNewTokens) }
            hidden = model.forward(embeddings: try model.embed([next]), cache: &cache)
        }
    }

    /// Text-only prompt ids.
    public func generate(_ model: LlamaModel, ids: [Int], onToken: (Int) -> Void = { _ in }) throws -> GenerationResult {
        try generate(model, promptEmbeddings: try model.embed(ids), onToken: onToken)
    }

    /// LLaVA prompt ids with image placeholders and one pixel tensor [3, S, S] per image.
    public func generate(_ model: LlavaModel, ids: [Int], pixels: [Tensor], onToken: (Int) -> Void = { _ in }) throws -> GenerationResult {
        let features = try pixels.map { try model.encodeImage($0).features }
        return try generate(model.language, promptEmbeddings: try model.embed(ids: ids, imageFeatures: features), onToken: onToken)
    }
}

/// Index of the largest value; the first one among equal maxima.
public func argmax(_ values: [Float]) -> Int {
    var best = 0
    for i in values.indices where values[i] > values[best] { best = i }
    return best
}

extension GreedyDecoder {
    /// Greedy continuations of several prompts (embeddings [T_b, C] each), decoded together
    /// (`greedyBatch`). Results equal `generate` per prompt.
    public func generateBatch(_ model: LlamaModel, promptEmbeddings: [Tensor]) throws -> [GenerationResult] {
        let sequences = try greedyBatch(model, promptEmbeddings: promptEmbeddings, maxNewTokens: maxNewTokens) { _, tokens in
            stopTokens.contains(tokens.last!)
        }
        return sequences.map { tokens in
            GenerationResult(tokens: tokens, finishReason: tokens.last.map { stopTokens.contains($0) } == true ? .stopToken(tokens.last!) : .maxNewTokens)
        }
    }
}

/// Greedy decoding of several prompts at once: each prompt is prefilled on its own, then every
/// step advances all unfinished sequences with one batched pass (`LlamaModel.decodeStep`: each
/// weight is read once per step for the whole batch). After each new token of sequence i,
/// `stops(i, its tokens so far)` says whether it ends there; a sequence also ends at
/// `maxNewTokens`. Returns the new tokens of each sequence.
func greedyBatch(_ model: LlamaModel, promptEmbeddings: [Tensor], maxNewTokens: Int,
                 stops: (Int, [Int]) -> Bool) throws -> [[Int]] {
    var tokens = [[Int]](repeating: [], count: promptEmbeddings.count)
    guard maxNewTokens > 0 else { return tokens }
    var caches: [KVCache] = [], next: [Int] = []
    for prompt in promptEmbeddings {
        var cache = model.makeCache(reservingTokens: prompt.rowCount + maxNewTokens)
        let hidden = model.forward(embeddings: prompt, cache: &cache)
        caches.append(cache)
        next.append(argmax(model.lastLogits(hidden).storage))
    }
    var active = Array(promptEmbeddings.indices)
    while !active.isEmpty {
        var kept: [Int] = [], keptCaches: [KVCache] = [], feed: [Int] = []
        for (slot, i) in active.enumerated() {
            tokens[i].append(next[slot])
            if stops(i, tokens[i]) || tokens[i].count == maxNewTokens { continue }
            kept.append(i)
            keptCaches.append(caches[slot])
            feed.append(next[slot])
        }
        active = kept
        caches = keptCaches
        guard !active.isEmpty else { break }
        let logits = model.logits(model.decodeStep(embeddings: try model.embed(feed), caches: &caches))  // [B, V]
        let vocabulary = logits.lastDimension
        next = (0..<active.count).map { argmax(Array(logits.storage[($0 * vocabulary)..<(($0 + 1) * vocabulary)])) }
    }
    return tokens
}
