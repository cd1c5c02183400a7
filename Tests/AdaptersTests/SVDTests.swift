import Foundation
import SafeTensors
import Testing
import TensorCore
@testable import Adapters

// The fast Gram route against LAPACK's full f64 SVD, and the SVD inits against the official
// MiLoRA svd_init.py arithmetic run in PyTorch (Tests/Fixtures/adapters/svd, made by
// Scripts/fixtures/make_adapters_fixtures.py).

struct FixtureCase: Decodable { var matrix: String; var mode: String; var rank: Int; var alpha: Int; var key: String }
struct FixtureCases: Decodable { var cases: [FixtureCase] }

let svdReference = Result { try SafeTensorsFile(path: fixturePath("svd/reference.safetensors")) }

/// Positions whose sigma equals (to 1e-4 sigma_max) that of some selected position.
func clusterClosure(_ positions: [Int], values: [Double]) -> [Int] {
    let tolerance = 1e-4 * values[0]
    return values.indices.filter { j in positions.contains { abs(values[$0] - values[j]) <= tolerance } }
}

@Test func partialSpectrumAndTripletsMatchFullDoubleSVD() throws {
    let file = try svdReference.get()
    for name in ["decay_tall", "decay_wide", "decay_square", "repeated"] {
        let w = try file.tensor("\(name).weight")
        let full = try fullSVD(w, precision: .double)
        let k = full.values.count
        let partial = try partialSVD(w, positions: Array(0..<k))
        let top = full.values[0]
        for i in 0..<k {
            #expect(abs(partial.spectrum[i] - full.values[i]) <= 1e-12 * top * 10, "\(name) spectrum \(i)")
            #expect(abs(partial.triplets.values[i] - full.values[i]) <= 1e-12 * top * 10, "\(name) sigma \(i)")
        }
        // torch's f64 svdvals
        let torchValues = try file.tensor("\(name).singular_values")
        for i in 0..<k { #expect(abs(Float(full.values[i]) - torchValues.storage[i]) <= 1e-6 * Float(top)) }
    }
}

@Test func svdInitsMatchOfficialMiLoRAArithmetic() throws {
    let file = try svdReference.get()
    let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath("svd/cases.json")))
    let cases = try JSONDecoder().decode(FixtureCases.self, from: data).cases
    #expect(cases.count == 48)
    var compared = 0, angleChecked = 0
    for item in cases {
        let w = try file.tensor("\(item.matrix).weight")
        let settings = AdapterSettings(rank: item.rank, alpha: Float(item.alpha), dropout: 0,
                                       initialization: try AdapterInitialization(name: item.mode))
        let k = min(w.shape[0], w.shape[1])
        let positions = settings.initialization.selectedPositions(count: k, rank: item.rank, seed: 0)
        let partial = try partialSVD(w, positions: positions)
        let initialized = svdInitialization(weight: w, triplets: partial.triplets, settings: settings)
        let full = try fullSVD(w, precision: .double)
        let closure = clusterClosure(positions, values: full.values)
        if closure == positions {
            // The selected subspace is unique: products are comparable with torch's.
            let ba = try file.tensor("\(item.key).ba"), residual = try file.tensor("\(item.key).residual")
            #expect(relativeError(product(initialized.adapter), ba) <= 1e-4, "\(item.key) B A")
            #expect(relativeError(initialized.residualWeight!, residual) <= 1e-4, "\(item.key) residual")
            compared += 1
        } else {
            // The cut splits a block of equal singular values: any basis of the block is right.
            // Our vectors must lie in the span of the reference vectors of the whole block.
            let reference = full.triplets(at: closure)
            #expect(principalAngleSine(partial.triplets.left, within: reference.left) <= 1e-5, "\(item.key) U")
            #expect(principalAngleSine(partial.triplets.right, within: reference.right) <= 1e-5, "\(item.key) V")
            for (j, p) in positions.enumerated() { #expect(abs(partial.triplets.values[j] - full.values[p]) <= 1e-10) }
            angleChecked += 1
        }
        // Output unchanged: W_res + s B A = W.
        var merged = initialized.residualWeight!
        initialized.adapter.merge(into: &merged)
        #expect(relativeError(merged, w) <= 1e-6, "\(item.key) merge")
    }
    #expect(compared >= 36 && angleChecked >= 6)
}

/// A matrix U diag(values) V^T with random orthonormal U, V (from LAPACK on a random matrix).
func matrix(rows: Int, columns: Int, values: [Double], seed: UInt64) throws -> Tensor {
    var generator = SeededGenerator(seed: seed)
    let k = min(rows, columns)
    let u = try fullSVD(generator.normalTensor(shape: [rows, k]), precision: .double).u            // [rows, k]
    let v = try fullSVD(generator.normalTensor(shape: [columns, k]), precision: .double).u         // [columns, k]
    var out = [Double](repeating: 0, count: rows * columns)
    for i in 0..<rows { for j in 0..<columns { var s = 0.0; for p in 0..<k { s += u[i * k + p] * values[p] * v[j * k + p] }; out[i * columns + j] = s } }
    return Tensor(shape: [rows, columns], storage: out.map { Float($0) })
}

@Test(arguments: [(40, 28), (28, 40), (36, 36)])
func fastPathMatchesFullDoubleSVDOnDecayingSpectra(shape: (Int, Int)) throws {
    let k = min(shape.0, shape.1)
    // power-law decay over three decades, as in trained weights' tails
    let values = (0..<k).map { 2.0 * pow(Double($0 + 1), -2.0) + 1e-3 }
    let w = try matrix(rows: shape.0, columns: shape.1, values: values, seed: 11)
    let full = try fullSVD(w, precision: .double)
    for mode in [AdapterInitialization.milora, .pissa, .mid, .random] {
        for alpha in [8, 16] {
            let settings = AdapterSettings(rank: 8, alpha: Float(alpha), dropout: 0, initialization: mode)
            let positions = mode.selectedPositions(count: k, rank: 8, seed: 3)
            let fast = svdInitialization(weight: w, triplets: try partialSVD(w, positions: positions).triplets, settings: settings)
            let reference = svdInitialization(weight: w, triplets: full.triplets(at: positions), settings: settings)
            #expect(relativeError(product(fast.adapter), product(reference.adapter)) <= 1e-4, "\(mode) B A")
            #expect(relativeError(fast.residualWeight!, reference.residualWeight!) <= 1e-4, "\(mode) residual")
        }
    }
}

@Test func singlePrecisionFullSVDAgreesWithDouble() throws {
    let w = try svdReference.get().tensor("decay_tall.weight")
    let single = try fullSVD(w, precision: .single), double = try fullSVD(w, precision: .double)
    for i in 0..<double.values.count { #expect(abs(single.values[i] - double.values[i]) <= 1e-5 * double.values[0]) }
}

@Test func zeroSingularValuesGiveZeroTerms() throws {
    // rank-2 matrix 6x5: the 3 smallest sigma are zero; MiLoRA's B A must then be ~0 and the
    // residual ~W, without NaN.
    let w = try matrix(rows: 6, columns: 5, values: [3, 1, 0, 0, 0], seed: 5)
    let settings = AdapterSettings(rank: 3, dropout: 0, initialization: .milora)
    let partial = try partialSVD(w, positions: [2, 3, 4])
    let initialized = svdInitialization(weight: w, triplets: partial.triplets, settings: settings)
    #expect(initialized.adapter.a.storage.allSatisfy(\.isFinite) && initialized.adapter.b.storage.allSatisfy(\.isFinite))
    #expect(relativeError(initialized.residualWeight!, w) <= 1e-5)
}
