/// Errors of the synthetic world generator; each message says what to change.
public enum SyntheticWorldError: Error, CustomStringConvertible, Equatable {
    case invalidOption(name: String, reason: String)
    case invalidImage(reason: String)
    case jpegUnavailable
    case cannotWrite(path: String, reason: String)
    case outputNotEmpty(path: String)
    case cannotGenerate(set: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidOption(name, reason): return "--\(name): \(reason)"
        case let .invalidImage(reason): return "cannot encode image: \(reason)"
        case .jpegUnavailable:
            return "this image encoder cannot write JPEG; use an encoder with JPEG support (the Imaging module's) or let the generator write PNGs"
        case let .cannotWrite(path, reason): return "\(path): cannot write: \(reason)"
        case let .outputNotEmpty(path):
            return "\(path) already holds generated data; choose an empty folder or pass --overwrite"
        case let .cannotGenerate(set, reason): return "cannot generate the \(set) set: \(reason)"
        }
    }
}
