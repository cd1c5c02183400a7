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
    /// Greedy continuations of several prompts (embeddings [T_b, C] each), decoded together:
    /// each prompt is prefilled on its own, then every step advances all unfinished sequences
    /// with one batched pass (LlamaModel.decodeStep). Results equal `generate` per prompt.
    public func generateBatch(_ model: LlamaModel, promptEmbeddings: [Tensor]) throws -> [GenerationResult] {
        var results = promptEmbeddings.map { _ in GenerationResult(tokens: [], finishReason: .maxNewTokens) }
        guard maxNewTokens > 0, !promptEmbeddings.isEmpty else { return results }
        var caches: [KVCache] = []
        var next: [Int] = []
        for prompt in promptEmbeddings {
            var cache = model.makeCache(reservingTokens: prompt.rowCount + maxNewTokens)
            let hidden = model.forward(embeddings: prompt, cache: &cache)
            caches.append(cache)
            next.append(argmax(model.lastLogits(hidden).storage))
        }
        var active = Array(promptEmbeddings.indices)
        while !active.isEmpty {
            var stillActive: [Int] = [], keptCaches: [KVCache] = [], tokens: [Int] = []
            for (slot, index) in active.enumerated() {
                let token = next[slot]
                results[index].tokens.append(token)
                if stopTokens.contains(token) {
                    results[index].finishReason = .stopToken(token)
                } else if results[index].tokens.count < maxNewTokens {
                    stillActive.append(index)
                    keptCaches.append(caches[slot])
                    tokens.append(token)
                }
            }
            active = stillActive
            caches = keptCaches
            guard !active.isEmpty else { break }
            let hidden = model.decodeStep(embeddings: try model.embed(tokens), caches: &caches)
            let logits = model.logits(hidden)                       // [B, V]
            let vocabulary = logits.lastDimension
            next = (0..<active.count).map { argmax(Array(logits.storage[($0 * vocabulary)..<(($0 + 1) * vocabulary)])) }
        }
        return results
    }
}
