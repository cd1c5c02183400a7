import Foundation
import Testing
import Adapters
@testable import Architectures

/// A second initialisation with another rank or the other SVD init recomputes nothing: every
/// module is served from the decomposition cache the first run filled (with prefetch).
@Suite struct DecompositionReuseTests {
    @Test func anotherRankAndModeComeFromTheCache() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("svd-cache-\(UUID().uuidString)").path
        let cache = try DecompositionCache(folder: folder)
        var first = try AdapterFixtures.model()
        var hits: [Bool] = []
        _ = try first.initializeAdapters(settings: AdapterSettings(rank: 4, initialization: .milora), cache: cache, prefetch: 8) { hits.append($0.fromCache) }
        #expect(!hits.isEmpty && hits.allSatisfy { !$0 })
        var second = try AdapterFixtures.model()
        hits = []
        _ = try second.initializeAdapters(settings: AdapterSettings(rank: 6, initialization: .pissa), cache: cache, prefetch: 8) { hits.append($0.fromCache) }
        #expect(!hits.isEmpty && hits.allSatisfy { $0 })
    }
}
