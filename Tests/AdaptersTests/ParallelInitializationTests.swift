import Foundation
import Testing
import TensorCore
@testable import Adapters

/// Modules initialised in parallel come back in order and equal a sequential run, with every
/// module reported once.
@Suite struct ParallelInitializationTests {
    @Test(arguments: [AdapterInitialization.milora, .lora])
    func parallelEqualsSequential(initialization: AdapterInitialization) throws {
        var rng = SeededGenerator(seed: 5)
        let matrices = (0..<6).map { i in rng.normalTensor(shape: [12 + i, 10]) }
        let weights = matrices.enumerated().map { i, m in NamedWeight(name: "model.layers.\(i).mlp.up_proj", shape: m.shape) { m } }
        let settings = AdapterSettings(rank: 3, initialization: initialization, seed: 9)
        let sequential = try initializeModules(weights, settings: settings, cache: nil, parallelism: 1)
        var reported: [String] = []
        let parallel = try initializeModules(weights, settings: settings, cache: nil, parallelism: 3) { reported.append($0.module) }
        #expect(parallel.map(\.name) == weights.map(\.name))
        #expect(reported.sorted() == weights.map(\.name).sorted())
        for (a, b) in zip(sequential, parallel) {
            #expect(a.module.adapter == b.module.adapter)
            #expect(a.module.residualWeight == b.module.residualWeight)
        }
    }

    @Test func theFirstModulesErrorIsThrownWhateverTheScheduling() {
        // Rank errors are found before any work starts; errors raised while working (here a
        // non-finite weight) come back for the earliest module, not the fastest thread.
        let ranks = (0..<8).map { i in NamedWeight(name: "m\(i)", shape: i == 0 ? [4, 4] : [2, 2]) { Tensor(zeros: i == 0 ? [4, 4] : [2, 2]) } }
        let nonFinite = (0..<8).map { i in
            NamedWeight(name: "w\(i)", shape: [4, 4]) {
                if i < 3 { Thread.sleep(forTimeInterval: 0.01) }   // the earliest modules finish last
                return Tensor(shape: [4, 4], storage: [Float](repeating: i >= 2 ? .nan : 1, count: 16))
            }
        }
        for _ in 0..<5 {
            #expect(throws: AdaptersError.rankTooLarge(module: "m1", rank: 3, rows: 2, columns: 2)) {
                try initializeModules(ranks, settings: AdapterSettings(rank: 3, initialization: .milora), cache: nil, parallelism: 4)
            }
            #expect(throws: AdaptersError.nonFiniteWeight(module: "w2")) {
                try initializeModules(nonFinite, settings: AdapterSettings(rank: 2, initialization: .milora), cache: nil, parallelism: 4)
            }
        }
    }
}
