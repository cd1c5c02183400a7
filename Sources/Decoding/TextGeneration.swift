// Text generation with a KV cache: prefill the prompt embeddings, then feed back one chosen
// token at a time (greedy or sampled), stopping at a stop token (EOS), at a stop string found
// in the newly decoded text, or after max_new_tokens. Text is detokenised incrementally the way
// LLaVA's scripts read it (decode the new ids with special tokens skipped) and vLLM's stop
// strings cut it (MiLoRA's GSM8K/MATH protocol: the text ends before the first stop string).

import Architectures
import TensorCore
import Tokenization

public struct GenerationOptions: Sendable, Equatable {
    public var maxNewTokens: Int
    public var sampling: SamplingSettings
    /// Token ids that end generation (kept out of the text; LLaVA: the EOS `</s>`).
    public var stopTokens: Set<Int>
    /// Strings that end generation when the decoded new text contains one; the text is cut
    /// before the first (in list order, as vLLM checks them).
    public var stopStrings: [String]
    /// Python `strip()` of the final text (LLaVA's scripts do; vLLM does not).
    public var strip: Bool

    public init(maxNewTokens: Int, sampling: SamplingSettings = .greedy, stopTokens: Set<Int> = [],
                stopStrings: [String] = [], strip: Bool = true) {
        self.maxNewTokens = maxNewTokens
        self.sampling = sampling
        self.stopTokens = stopTokens
        self.stopStrings = stopStrings
        self.strip = strip
    }
}

public struct GeneratedText: Sendable, Equatable {
    public enum FinishReason: String, Sendable, Equatable {
        case stopToken = "stop_token", stopString = "stop_string", maxNewTokens = "length"
    }

    public var text: String
    /// New tokens, the stop token included when one ended generation.
    public var tokens: [Int]
    public var finishReason: FinishReason
}

/// Generates text from prompt embeddings with `model`, decoding with `tokenizer`.
/// `onText` receives the text as it grows (pieces that end in an incomplete UTF-8 sequence are
/// held back until it completes), for streaming.
public func generateText(_ model: LlamaModel, promptEmbeddings: Tensor, tokenizer: Tokenizer, options: GenerationOptions,
                         onText: (String) -> Void = { _ in }) throws -> GeneratedText {
    var sampler = TokenSampler(options.sampling)
    var tokens: [Int] = []
    var emitted = ""
    func finish(_ reason: GeneratedText.FinishReason, text: String) -> GeneratedText {
        // flush what was held back (an incomplete byte run stays as the decoder renders it)
        if text.count > emitted.count, text.hasPrefix(emitted) { onText(String(text.dropFirst(emitted.count))) }
        return GeneratedText(text: options.strip ? pythonStripped(text) : text, tokens: tokens, finishReason: reason)
    }
    func newText() -> String {
        tokenizer.decode(tokens.filter { !options.stopTokens.contains($0) }, skipSpecialTokens: true)
    }
    guard options.maxNewTokens > 0 else { return finish(.maxNewTokens, text: "") }
    var cache = model.makeCache(reservingTokens: promptEmbeddings.rowCount + options.maxNewTokens)
    var hidden = model.forward(embeddings: promptEmbeddings, cache: &cache)
    while true {
        let next = sampler.next(model.lastLogits(hidden).storage)
        tokens.append(next)
        if options.stopTokens.contains(next) { return finish(.stopToken, text: newText()) }
        let text = newText()
        if !options.stopStrings.isEmpty, let cut = firstStop(in: text, options.stopStrings) {
            return finish(.stopString, text: String(text[..<cut]))
        }
        if text.count > emitted.count, text.hasPrefix(emitted), !text.hasSuffix("\u{FFFD}") {
            onText(String(text.dropFirst(emitted.count)))
            emitted = text
        }
        if tokens.count == options.maxNewTokens { return finish(.maxNewTokens, text: text) }
        hidden = model.forward(embeddings: try model.embed([next]), cache: &cache)
    }
}

/// Start of the earliest-listed stop string that occurs in `text`.
private func firstStop(in text: String, _ stops: [String]) -> String.Index? {
    for stop in stops where !stop.isEmpty {
        if let range = text.firstRange(of: stop) { return range.lowerBound }
    }
    return nil
}

/// Python's `str.strip()`: removes characters for which `str.isspace()` is true.
public func pythonStripped(_ text: String) -> String {
    func isSpace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09...0x0D, 0x1C...0x1F, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }
    let scalars = Array(text.unicodeScalars)
    var start = 0, end = scalars.count
    while start < end && isSpace(scalars[start]) { start += 1 }
    while end > start && isSpace(scalars[end - 1]) { end -= 1 }
    var view = String.UnicodeScalarView()
    view.append(contentsOf: scalars[start..<end])
    return String(view)
}

/// Greedy text generation for several prompts at once (`greedyBatch`). Stop tokens, stop
/// strings, max_new_tokens and stripping act per sequence exactly as in `generateText`. Logits
/// of a batched step equal the single-sequence ones up to GEMM rounding (a few ulps).
public func generateTextBatch(_ model: LlamaModel, promptEmbeddings: [Tensor], tokenizer: Tokenizer,
                              options: GenerationOptions) throws -> [GeneratedText] {
    precondition(options.sampling.isGreedy, "batched generation is greedy")
    guard options.maxNewTokens > 0 else {
        return promptEmbeddings.map { _ in GeneratedText(text: "", tokens: [], finishReason: .maxNewTokens) }
    }
    var results = [GeneratedText?](repeating: nil, count: promptEmbeddings.count)
    _ = try greedyBatch(model, promptEmbeddings: promptEmbeddings, maxNewTokens: options.maxNewTokens) { i, tokens in
        func finish(_ reason: GeneratedText.FinishReason, _ text: String) -> Bool {
            results[i] = GeneratedText(text: options.strip ? pythonStripped(text) : text, tokens: tokens, finishReason: reason)
            return true
        }
        let text = tokenizer.decode(tokens.filter { !options.stopTokens.contains($0) }, skipSpecialTokens: true)
        if options.stopTokens.contains(tokens.last!) { return finish(.stopToken, text) }
        if !options.stopStrings.isEmpty, let cut = firstStop(in: text, options.stopStrings) { return finish(.stopString, String(text[..<cut])) }
        if tokens.count == options.maxNewTokens { return finish(.maxNewTokens, text) }
        return false
    }
    return results.map { $0! }
}
