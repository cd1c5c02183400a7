/// Everything that can be wrong with a safetensors file or checkpoint folder. Each message
/// names the file and says what was found, so the user can tell a truncated download from a
/// file of another format.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case fileTooSmall(path: String, size: Int)
    case headerLengthBeyondFile(path: String, headerLength: UInt64, fileSize: Int)
    case invalidHeaderJSON(path: String, reason: String)
    case invalidEntry(path: String, tensor: String, reason: String)
    case unknownDType(path: String, tensor: String, dtype: String)
    case offsetsOutOfRange(path: String, tensor: String, begin: Int, end: Int, bufferSize: Int)
    case overlappingTensors(path: String, first: String, second: String)
    case gapBetweenTensors(path: String, before: String, after: String)
    case shapeDisagreesWithBytes(path: String, tensor: String, shape: [Int], dtype: String, bytes: Int)
    case trailingBytes(path: String, covered: Int, bufferSize: Int)
    case missingTensor(name: String, path: String)
    case unsupportedConversion(tensor: String, dtype: String)
    case invalidIndex(path: String, reason: String)
    case noSafeTensorsFiles(folder: String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "\(path): cannot open: \(reason)"
        case let .fileTooSmall(path, size):
            return "\(path): \(size) bytes is too small for a safetensors file (it needs at least the 8-byte header length); the file is truncated or not safetensors"
        case let .headerLengthBeyondFile(path, length, size):
            return "\(path): header length \(length) runs past the end of the \(size)-byte file; the file is truncated or not safetensors"
        case let .invalidHeaderJSON(path, reason):
            return "\(path): header is not valid safetensors JSON: \(reason)"
        case let .invalidEntry(path, tensor, reason):
            return "\(path): tensor '\(tensor)': \(reason)"
        case let .unknownDType(path, tensor, dtype):
            return "\(path): tensor '\(tensor)' has unknown dtype '\(dtype)' (known: \(SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ")))"
        case let .offsetsOutOfRange(path, tensor, begin, end, size):
            return "\(path): tensor '\(tensor)' has data_offsets [\(begin), \(end)] outside the \(size)-byte data buffer; the file is truncated or corrupt"
        case let .overlappingTensors(path, first, second):
            return "\(path): tensors '\(first)' and '\(second)' overlap in the data buffer"
        case let .gapBetweenTensors(path, before, after):
            return "\(path): unused bytes between tensors '\(before)' and '\(after)'; safetensors requires a contiguous data buffer"
        case let .shapeDisagreesWithBytes(path, tensor, shape, dtype, bytes):
            return "\(path): tensor '\(tensor)' has shape \(shape) of \(dtype) but \(bytes) bytes of data"
        case let .trailingBytes(path, covered, size):
            return "\(path): tensors cover \(covered) of the \(size) data bytes; the rest belongs to no tensor"
        case let .missingTensor(name, path):
            return "tensor '\(name)' is not in \(path)"
        case let .unsupportedConversion(tensor, dtype):
            return "tensor '\(tensor)': conversion of \(dtype) to f32 is not supported"
        case let .invalidIndex(path, reason):
            return "\(path): invalid sharded-checkpoint index: \(reason)"
        case let .noSafeTensorsFiles(folder):
            return "\(folder): no model.safetensors, model.safetensors.index.json or *.safetensors file found"
        case let .writeFailed(path, reason):
            return "\(path): write failed: \(reason)"
        }
    }
}
