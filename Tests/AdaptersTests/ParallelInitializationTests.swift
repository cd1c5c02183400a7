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

    @Test func theFirstErrorIsThrown() {
        let weights = [NamedWeight(name: "a", shape: [4, 4]) { Tensor(zeros: [4, 4]) },
                       NamedWeight(name: "b", shape: [2, 2]) { Tensor(zeros: [2, 2]) }]
        #expect(throws: AdaptersError.self) {
            try initializeModules(weights, settings: AdapterSettings(rank: 3, initialization: .milora), cache: nil, parallelism: 2)
        }
    }
}
