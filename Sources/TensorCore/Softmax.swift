#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Numerically stable softmax of one row in place: subtract the max, exponentiate, normalise.
/// A row of all -infinity (fully masked) becomes all zeros instead of NaN.
@inline(__always)
public func softmaxRowInPlace(_ row: UnsafeMutablePointer<Float>, count: Int) {
    var maximum = -Float.infinity
    for i in 0..<count { maximum = max(maximum, row[i]) }
    if maximum == -.infinity {
        for i in 0..<count { row[i] = 0 }
        return
    }
    var sum: Float = 0
    for i in 0..<count {
        let e = expf(row[i] - maximum)
        row[i] = e
        sum += e
    }
    let inverse = 1 / sum
    for i in 0..<count { row[i] *= inverse }
}

/// Softmax over the last dimension.
public func softmaxRows(_ x: Tensor) -> Tensor {
    var out = x
    let (rows, width) = (x.rowCount, x.lastDimension)
    out.storage.withUnsafeMutableBufferPointer { buffer in
        let base = buffer.baseAddress!
        parallelFor(rows, minimumChunk: max(1, 4096 / max(1, width))) { range in
            for r in range { softmaxRowInPlace(base + r * width, count: width) }
        }
    }
    return out
}
