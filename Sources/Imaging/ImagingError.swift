import Foundation

/// Everything that can go wrong reading, decoding, encoding or preprocessing an image. Each case
/// names the file (or the configuration key) and says what to do about it.
public enum ImagingError: Error, Equatable, CustomStringConvertible {
    case fileNotFound(path: String)
    case unreadable(path: String, reason: String)
    case emptyFile(path: String)
    /// The bytes are not JPEG or PNG; `detected` names the format when its signature is known.
    case unsupportedFormat(path: String, detected: String?)
    case corrupt(path: String, format: String, reason: String)
    case truncated(path: String, format: String, reason: String)
    case tooLarge(path: String, reason: String)
    case invalidConfiguration(path: String, key: String, reason: String)
    case invalidArgument(String)
    case encodingFailed(format: String, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such image file. Check the path (and --image-folder) and try again."
        case .unreadable(let path, let reason):
            return "\(path): cannot read the image file (\(reason)). Check its permissions."
        case .emptyFile(let path):
            return "\(path): the image file is empty (0 bytes). Re-download or re-export it."
        case .unsupportedFormat(let path, let detected):
            let what = detected.map { "a \($0) image" } ?? "neither JPEG nor PNG (unknown signature)"
            return "\(path): \(what); only JPEG and PNG are supported. Convert it to PNG or JPEG."
        case .corrupt(let path, let format, let reason):
            return "\(path): corrupt \(format) data: \(reason). Re-download or re-export the image."
        case .truncated(let path, let format, let reason):
            return "\(path): truncated \(format) file: \(reason). The file is incomplete; re-download it."
        case .tooLarge(let path, let reason):
            return "\(path): \(reason). Downscale the image before using it."
        case .invalidConfiguration(let path, let key, let reason) where key.isEmpty:
            return "\(path): \(reason)."
        case .invalidConfiguration(let path, let key, let reason):
            return "\(path): invalid preprocessor configuration key '\(key)': \(reason)."
        case .invalidArgument(let reason):
            return reason
        case .encodingFailed(let format, let reason):
            return "encoding \(format) failed: \(reason)"
        }
    }
}
