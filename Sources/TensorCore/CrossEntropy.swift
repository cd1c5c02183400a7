#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Label value that contributes nothing to the loss (PyTorch's and LLaVA's IGNORE_INDEX).
public let ignoreIndex: Int32 = -100

public struct CrossEntropyResult: Sendable {
    /// Mean of -log softmax(logits)[target] over the counted rows; NaN when none counts,
    /// as torch.nn.functional.cross_entropy(reduction="mean") gives.
    public var loss: Float
    /// Sum of the per-row losses (f64 accumulated), for callers that normalise themselves.
    public var lossSum: Double
    /// Rows whose target is not `ignoreIndex`.
    public var countedRows: Int
    /// d(lossSum)/d(logits), [N, V], when requested: softmax - onehot on counted rows, zero on
    /// ignored rows. Divide by the normaliser you use (e.g. countedRows) to get the mean's grad.
    public var logitGradient: Tensor?
}

/// Cross-entropy of logits [N, V] against targets [N] (class ids or `ignoreIndex`).
public func crossEntropy(logits: Tensor, targets: [Int32], computeGradient: Bool = false) -> CrossEntropyResult {
    let (rows, vocab) = (logits.rowCount, logits.lastDimension)
    precondition(targets.count == rows, "\(targets.count) targets for \(rows) rows")
    var perRow = [Double](repeating: 0, count: rows)
    var gradient = computeGradient ? Tensor(zeros: logits.shape) : nil
    logits.storage.withUnsafeBufferPointer { src in
        for r in 0..<rows where targets[r] != ignoreIndex {
            let target = Int(targets[r])
            precondition(target >= 0 && target < vocab, "target \(target) outside vocabulary of \(vocab)")
            let row = src.baseAddress! + r * vocab
            var maximum = -Float.infinity
            for v in 0..<vocab { maximum = max(maximum, row[v]) }
            var sum = 0.0
            for v in 0..<vocab { sum += Double(expf(row[v] - maximum)) }
            let logSumExp = Double(maximum) + log(sum)
            perRow[r] = logSumExp - Double(row[target])
            if gradient != nil {
                gradient!.storage.withUnsafeMutableBufferPointer { g in
                    for v in 0..<vocab { g[r * vocab + v] = Float(exp(Double(row[v]) - logSumExp)) }
                    g[r * vocab + target] -= 1
                }
            }
        }
    }
    let counted = targets.lazy.filter { $0 != ignoreIndex }.count
    let total = perRow.reduce(0, +)
    return CrossEntropyResult(loss: counted == 0 ? .nan : Float(total / Double(counted)),
                              lossSum: total, countedRows: counted, logitGradient: gradient)
}
