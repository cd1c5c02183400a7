import Foundation
import Dispatch
import TensorCore

/// A weight to adapt: its module name, shape [out, in], and how to load it as f32 (only called
/// by the SVD inits, so a LoRA init never reads the base weights).
public struct NamedWeight: Sendable {
    public var name: String
    public var shape: [Int]
    public var load: @Sendable () throws -> Tensor

    public init(name: String, shape: [Int], load: @escaping @Sendable () throws -> Tensor) {
        self.name = name
        self.shape = shape
        self.load = load
    }
}

/// Reported after each module; the caller turns it into a progress bar with rate and ETA.
public struct InitializationProgress: Sendable {
    public var completed: Int
    public var total: Int
    public var module: String
    /// Wall seconds this module took.
    public var seconds: Double
    /// True when its triplets came from the decomposition cache.
    public var fromCache: Bool
}

/// Initialise one module (see Initialization.swift), through the cache for the SVD inits.
public func initializeModule(_ weight: NamedWeight, settings: AdapterSettings, cache: DecompositionCache?,
                             prefetch: Int = 0) throws -> (module: InitializedModule, fromCache: Bool) {
    guard weight.shape.count == 2 else {
        throw AdaptersError.unsupported("module '\(weight.name)': weight shape \(weight.shape) is not a matrix")
    }
    let (m, n) = (weight.shape[0], weight.shape[1])
    try settings.checkRank(module: weight.name, rows: m, columns: n)
    guard settings.initialization.usesSVD else {
        return (try randomInitialization(module: weight.name, outFeatures: m, inFeatures: n, settings: settings), false)
    }
    let w = try weight.load()
    precondition(w.shape == weight.shape, "module '\(weight.name)' loaded as \(w.shape), declared \(weight.shape)")
    guard w.storage.allSatisfy({ $0.isFinite }) else { throw AdaptersError.nonFiniteWeight(module: weight.name) }
    let positions = settings.initialization.selectedPositions(count: min(m, n), rank: settings.rank,
                                                              seed: settings.seed(forModule: weight.name))
    let (decomposition, hit) = try cachedPartialSVD(w, positions: positions, cache: cache, prefetch: prefetch)
    return (svdInitialization(weight: w, triplets: decomposition.triplets, settings: settings), hit)
}

/// Initialise every module of the list, `parallelism` modules at a time (each SVD also uses
/// BLAS threads; module-level parallelism matters most for the many small matrices of a model),
/// reporting after each module completes. Results come back in the input order. Shapes and
/// ranks are checked for every module before any work starts, so a bad rank always names the
/// first offending module; a later error stops the remaining work, and of the errors raised the
/// one of the earliest module is thrown (not whichever thread lost the race).
public func initializeModules(_ weights: [NamedWeight], settings: AdapterSettings, cache: DecompositionCache?,
                              prefetch: Int = 0, parallelism: Int = workerCount,
                              progress: (InitializationProgress) -> Void = { _ in }) throws -> [(name: String, module: InitializedModule)] {
    for weight in weights where weight.shape.count == 2 {
        try settings.checkRank(module: weight.name, rows: weight.shape[0], columns: weight.shape[1])
    }
    var results = [InitializedModule?](repeating: nil, count: weights.count)
    var failure: (index: Int, error: Error)? = nil
    var next = 0, completed = 0
    let lock = NSLock()
    let workers = max(1, min(parallelism, weights.count))
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
        while true {
            lock.lock()
            let i = next
            next += 1
            let stop = failure != nil || i >= weights.count
            lock.unlock()
            if stop { return }
            let start = DispatchTime.now().uptimeNanoseconds
            do {
                let (module, hit) = try initializeModule(weights[i], settings: settings, cache: cache, prefetch: prefetch)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                lock.lock()
                results[i] = module
                completed += 1
                progress(InitializationProgress(completed: completed, total: weights.count, module: weights[i].name,
                                                seconds: seconds, fromCache: hit))
                lock.unlock()
            } catch {
                lock.lock()
                if failure == nil || i < failure!.index { failure = (i, error) }
                lock.unlock()
            }
        }
    }
    if let failure { throw failure.error }
    return zip(weights, results).map { ($0.name, $1!) }
}
