// Choosing the next token: greedy (temperature 0: first index of the maximum, as torch.argmax),
// or sampling as transformers' `generate(do_sample=True, temperature=T, top_p=P)` does it:
// logits / T, then top-p (TopPLogitsWarper: drop the tokens whose ascending cumulative
// probability is <= 1 - P, always keeping the most likely), softmax, one draw. The draw comes
// from `SeededGenerator`, so a seed reproduces a run (not PyTorch's stream of numbers).

import TensorCore

public struct SamplingSettings: Sendable, Equatable {
    /// 0 = greedy.
    public var temperature: Float
    /// Nucleus mass in (0, 1]; nil or 1 = no top-p filtering.
    public var topP: Float?
    public var seed: UInt64

    public init(temperature: Float = 0, topP: Float? = nil, seed: UInt64 = 0) {
        precondition(temperature >= 0, "temperature must be >= 0")
        self.temperature = temperature
        self.topP = topP
        self.seed = seed
    }

    public static let greedy = SamplingSettings()
    public var isGreedy: Bool { temperature == 0 }
}

/// Draws next tokens from logits rows with one seeded stream.
public struct TokenSampler: Sendable {
    public let settings: SamplingSettings
    private var generator: SeededGenerator

    public init(_ settings: SamplingSettings) {
        self.settings = settings
        generator = SeededGenerator(seed: settings.seed)
    }

    /// logits [V] -> token id
    public mutating func next(_ logits: [Float]) -> Int {
        guard !settings.isGreedy else { return argmax(logits) }
        let probabilities = Self.probabilities(logits, temperature: settings.temperature, topP: settings.topP)
        let u = Double(generator.nextUniform())
        var cumulative = 0.0
        var last = 0
        for (i, p) in probabilities.enumerated() where p > 0 {
            cumulative += Double(p)
            last = i
            if u < cumulative { return i }
        }
        return last  // rounding left u above the total
    }

    /// softmax(logits / T) after top-p filtering; filtered tokens get probability 0.
    public static func probabilities(_ logits: [Float], temperature: Float, topP: Float?) -> [Float] {
        var scaled = logits.map { $0 / temperature }
        scaled.withUnsafeMutableBufferPointer { softmaxRowInPlace($0.baseAddress!, count: $0.count) }
        guard let topP, topP < 1 else { return scaled }
        // ascending order; remove while the cumulative mass stays <= 1 - top_p
        let order = scaled.indices.sorted { scaled[$0] < scaled[$1] || (scaled[$0] == scaled[$1] && $0 < $1) }
        var cumulative: Float = 0
        var removed = Set<Int>()
        for i in order.dropLast() {
            cumulative += scaled[i]
            if cumulative <= 1 - topP { removed.insert(i) } else { break }
        }
        guard !removed.isEmpty else { return scaled }
        var kept = scaled
        for i in removed { kept[i] = -.infinity }
        // renormalise over the kept tokens (softmax of the filtered logits)
        let total = kept.reduce(0) { $0 + ($1.isFinite ? $1 : 0) }
        return kept.map { $0.isFinite ? $0 / total : 0 }
    }
}
