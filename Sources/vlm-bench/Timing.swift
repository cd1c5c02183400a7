import Dispatch

/// Seconds per call of `body`: repeats it until at least `minimumSeconds` have passed, in
/// `trials` independent rounds, and returns the fastest round's average (the least disturbed
/// by other work on the machine).
func secondsPerCall(trials: Int = 5, minimumSeconds: Double = 0.2, _ body: () -> Void) -> Double {
    body()  // warm up: page in buffers, spin up BLAS threads
    var best = Double.infinity
    for _ in 0..<trials {
        var calls = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        repeat {
            body()
            calls += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < minimumSeconds
        best = min(best, elapsed / Double(calls))
    }
    return best
}

/// Best seconds per call of each of several bodies, measured in interleaved rounds so that a
/// burst of other work on the machine disturbs them all alike rather than one of them.
func interleavedSecondsPerCall(trials: Int = 5, minimumSeconds: Double = 0.2, _ bodies: [() -> Void]) -> [Double] {
    var best = [Double](repeating: .infinity, count: bodies.count)
    for _ in 0..<trials {
        for (i, body) in bodies.enumerated() {
            best[i] = min(best[i], secondsPerCall(trials: 1, minimumSeconds: minimumSeconds, body))
        }
    }
    return best
}

func formatted(_ value: Double, _ digits: Int = 1) -> String {
    String(format: "%.\(digits)f", value)
}

#if canImport(Glibc)
import Glibc
#endif
import Foundation
