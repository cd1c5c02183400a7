import Foundation

/// Everything that can go wrong when building, initialising, reading or writing adapters. Each
/// message names the module, file or key and says what to do about it.
public enum AdaptersError: Error, CustomStringConvertible, Equatable {
    case rankTooLarge(module: String, rank: Int, rows: Int, columns: Int)
    case invalidRank(module: String, rank: Int)
    case unknownTargetModule(name: String, available: [String])
    case noTargetModules(requested: [String])
    case unknownInitialization(String)
    case shapeMismatch(module: String, tensor: String, expected: [Int], found: [Int])
    case adapterModulesMissingFromBase(modules: [String])
    case missingAdapterTensor(path: String, key: String)
    case unexpectedAdapterKey(path: String, key: String)
    case invalidConfig(path: String, reason: String)
    case unsupported(String)
    case lapackFailed(routine: String, info: Int)
    case nonFiniteWeight(module: String)
    case cacheCorrupt(path: String, reason: String)
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case let .rankTooLarge(module, rank, rows, columns):
            return "module '\(module)': rank \(rank) is larger than min(out, in) = \(min(rows, columns)) of its \(rows)x\(columns) weight; choose a rank of at most \(min(rows, columns))"
        case let .invalidRank(module, rank):
            return "module '\(module)': rank \(rank) must be at least 1"
        case let .unknownTargetModule(name, available):
            return "unknown target module '\(name)': no linear layer of the language model is called that; available: \(available.joined(separator: ", "))"
        case let .noTargetModules(requested):
            return "no linear layer of the language model matches the target modules [\(requested.joined(separator: ", "))]"
        case let .unknownInitialization(name):
            return "unknown initialisation '\(name)'; use one of: \(AdapterInitialization.knownNames.joined(separator: ", "))"
        case let .shapeMismatch(module, tensor, expected, found):
            return "module '\(module)': \(tensor) has shape \(found) but the base model needs \(expected); the adapter was trained for another base model"
        case let .adapterModulesMissingFromBase(modules):
            return "the adapter adapts \(modules.count) module(s) that the base model does not have (first: \(modules.prefix(3).joined(separator: ", "))); the adapter was trained for another base model"
        case let .missingAdapterTensor(path, key):
            return "\(path): tensor '\(key)' is missing; the adapter file is incomplete"
        case let .unexpectedAdapterKey(path, key):
            return "\(path): key '\(key)' is not a LoRA A/B weight of a language-model linear layer; only plain LoRA adapters are supported"
        case let .invalidConfig(path, reason):
            return "\(path): \(reason)"
        case let .unsupported(reason):
            return reason
        case let .lapackFailed(routine, info):
            return "LAPACK \(routine) failed with info = \(info) (the matrix may contain NaN or Inf)"
        case let .nonFiniteWeight(module):
            return "module '\(module)': the weight contains NaN or Inf; cannot decompose it"
        case let .cacheCorrupt(path, reason):
            return "decomposition cache entry \(path) is unusable (\(reason)); delete it and run again"
        case let .io(path, reason):
            return "\(path): \(reason)"
        }
    }
}
