import Adapters
import ArgumentParser
import Dispatch
import Foundation
import TensorCore

/// Adapter initialisation time (PiSSA/MiLoRA) through the fast partial SVD beside LAPACK's full
/// SVD, for LLaMA-7B shapes, and the projected total for the 224 adapted matrices of a 7B model
/// (32 layers x q, k, v, o [4096x4096], gate, up [11008x4096], down [4096x11008]).
struct SVDBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "svd",
        abstract: "Seconds per adapter initialisation: fast partial SVD (f64 Gram + selected eigenpairs) vs full LAPACK SVD.")

    @Option(help: "Weight shapes out x in.")
    var shapes: [String] = ["4096x4096", "11008x4096", "4096x11008"]

    @Option(help: "Shapes that also get the full SVD (slow: about 20 s and more each).")
    var fullShapes: [String] = ["4096x4096"]

    @Option(help: "Precision of the full SVD: single (sgesdd, as torch.linalg.svd on f32) or double (dgesdd).")
    var fullPrecision: String = "single"

    @Option(help: "Adapter rank R.")
    var rank = 64

    @Option(help: "Initialisation: milora, pissa, mid or random.")
    var initialization = "milora"

    func run() throws {
        let mode = try AdapterInitialization(name: initialization)
        guard mode.usesSVD else { throw ValidationError("--initialization must be an SVD init (milora, pissa, mid, random)") }
        guard let precision = SVDPrecision(rawValue: fullPrecision) else { throw ValidationError("--full-precision is single or double") }
        let settings = AdapterSettings(rank: rank, dropout: 0, initialization: mode)
        print("threads: \(workerCount) worker(s); rank \(rank); init \(mode); full SVD in \(precision) precision")
        print("shape          fast s    full s   speedup   rel. diff B A   rel. diff residual")
        var fastSeconds: [String: Double] = [:]
        for shape in shapes {
            let parts = shape.split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2 else { throw ValidationError("shape '\(shape)' is not OUTxIN") }
            var generator = SeededGenerator(seed: 1)
            // Gaussian weights: a Marchenko-Pastur spectrum whose tail is as crowded as real weights'.
            let w = generator.normalTensor(shape: parts, std: 0.02)
            let k = min(parts[0], parts[1])
            let positions = mode.selectedPositions(count: k, rank: rank, seed: 1)
            var start = DispatchTime.now().uptimeNanoseconds
            let fast = svdInitialization(weight: w, triplets: try partialSVD(w, positions: positions).triplets, settings: settings)
            let fastTime = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            fastSeconds[shape] = fastTime
            var line = shape.padding(toLength: 13, withPad: " ", startingAt: 0) + formatted(fastTime, 2).leftPadded(8)
            if fullShapes.contains(shape) {
                start = DispatchTime.now().uptimeNanoseconds
                let full = try fullSVD(w, precision: precision)
                let reference = svdInitialization(weight: w, triplets: full.triplets(at: positions), settings: settings)
                let fullTime = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let productDifference = relativeDifference(matmul(fast.adapter.b, fast.adapter.a), matmul(reference.adapter.b, reference.adapter.a))
                let residualDifference = relativeDifference(fast.residualWeight!, reference.residualWeight!)
                line += formatted(fullTime, 2).leftPadded(10) + (formatted(fullTime / fastTime, 1) + "x").leftPadded(10)
                    + String(format: "%16.2e %20.2e", productDifference, residualDifference)
            }
            print(line)
        }
        let perLayer: [(String, Int)] = [("4096x4096", 4), ("11008x4096", 2), ("4096x11008", 1)]
        if perLayer.allSatisfy({ fastSeconds[$0.0] != nil }) {
            let layer = perLayer.reduce(0.0) { $0 + fastSeconds[$1.0]! * Double($1.1) }
            print("projected, 224 matrices of a 7B model (32 layers x q,k,v,o,gate,up,down), fast path: \(formatted(32 * layer, 0)) s")
        }
    }

    private func relativeDifference(_ a: Tensor, _ b: Tensor) -> Double {
        let scale = b.storage.reduce(Float(0)) { max($0, abs($1)) }
        return Double(a.maxAbsDifference(b) / max(scale, .leastNormalMagnitude))
    }
}
