import Foundation
import SafeTensors
import TensorCore
@testable import Adapters

/// Tests/Fixtures/adapters/<relative>
func fixturePath(_ relative: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/adapters").appendingPathComponent(relative).path
}

/// max |a - b| / max |b|
func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
    let scale = b.storage.map(abs).max() ?? 0
    return a.maxAbsDifference(b) / max(scale, .leastNormalMagnitude)
}

func temporaryFolder(_ name: String = #function) -> String {
    let path = NSTemporaryDirectory() + "adapters-tests-\(name.filter(\.isLetter))-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Sine of the largest principal angle between span(rows of x) and span(rows of y), both with
/// orthonormal rows: the largest distance of a unit vector of span(x) from span(y) (bounded
/// here by the largest row residual's norm times sqrt(k), exact when k = 1).
func principalAngleSine(_ x: Tensor, within y: Tensor) -> Double {
    // residual R = X - (X Y^T) Y; sigma_max(R) <= Frobenius norm of R
    let projection = matmul(matmul(x, y, transposeB: true), y)
    var sum = 0.0
    for i in 0..<x.count { let d = Double(x.storage[i] - projection.storage[i]); sum += d * d }
    return sum.squareRoot()
}

/// B A (unscaled) of an adapter.
func product(_ adapter: LowRankAdapter) -> Tensor { matmul(adapter.b, adapter.a) }

/// Row-major rows of a matrix picked out.
func rows(_ t: Tensor, _ indices: [Int]) -> Tensor {
    Tensor(shape: [indices.count, t.shape[1]], storage: indices.flatMap { Array(t.row($0)) })
}
