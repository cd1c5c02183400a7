// Beam search as transformers' `generate(num_beams=N)` (4.3x-4.40 `_beam_search`) runs it for the
// LLM-Adapters commonsense protocol (benchmarks.md section 14.6): no EOS or pad id is set there, so
// no hypothesis ever finishes and every beam runs exactly max_new_tokens. Each step scores
// log_softmax(logits) + beam score for every (beam, token), keeps the top 2N candidates (sorted)
// and continues with the first N (none is an EOS); initial beam scores are [0, -1e9, ...], so the
// first step expands beam 0 only. The result is the beam with the highest cumulative
// log-probability (length normalisation is equal for all).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Architectures
import TensorCore

/// Beam search without EOS stopping from prompt embeddings [T, C]; returns the best beam's new
/// tokens (exactly `maxNewTokens` of them).
public func beamSearch(_ model: LlamaModel, promptEmbeddings: Tensor, beams: Int, maxNewTokens: Int) throws -> [Int] {
    precondition(beams >= 1, "beam count must be positive")
    guard maxNewTokens > 0 else { return [] }
    var prefill = model.makeCache(reservingTokens: promptEmbeddings.rowCount + maxNewTokens)
    let hidden = model.forward(embeddings: promptEmbeddings, cache: &prefill)
    let first = logSoftmax(model.lastLogits(hidden).storage)
    var caches = Array(repeating: prefill, count: beams)
    var scores = [Float](repeating: -1e9, count: beams)
    scores[0] = 0
    var sequences = Array(repeating: [Int](), count: beams)
    var logProbabilities = Array(repeating: first, count: beams)
    let vocabulary = first.count
    for step in 0..<maxNewTokens {
        // top 2N of beams x vocabulary, sorted by score (ties: lower flat index first)
        var candidates: [(score: Float, beam: Int, token: Int)] = []
        let keep = min(2 * beams, beams * vocabulary)
        for b in 0..<beams {
            for t in 0..<vocabulary {
                let score = logProbabilities[b][t] + scores[b]
                if candidates.count < keep || score > candidates[candidates.count - 1].score {
                    let at = candidates.firstIndex { score > $0.score } ?? candidates.count
                    candidates.insert((score, b, t), at: at)
                    if candidates.count > keep { candidates.removeLast() }
                }
            }
        }
        let chosen = candidates.prefix(beams)
        sequences = chosen.map { sequences[$0.beam] + [$0.token] }
        scores = chosen.map(\.score)
        caches = chosen.map { caches[$0.beam] }
        if step == maxNewTokens - 1 { break }
        for b in 0..<beams {
            let h = model.forward(embeddings: try model.embed([sequences[b].last!]), cache: &caches[b])
            logProbabilities[b] = logSoftmax(model.lastLogits(h).storage)
        }
    }
    // finalize: the highest score; among equal scores Python's sorted(...).pop() takes the last
    var best = 0
    for b in 1..<beams where scores[b] >= scores[best] { best = b }
    return sequences[best]
}

/// log_softmax of one row in f32, as torch computes it (x - max - log(sum(exp(x - max)))).
func logSoftmax(_ x: [Float]) -> [Float] {
    let m = x.max() ?? 0
    var sum: Float = 0
    for v in x { sum += expf(v - m) }
    let log = logf(sum)
    return x.map { $0 - m - log }
}
