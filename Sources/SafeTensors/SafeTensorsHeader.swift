import Foundation

/// Parsing and validation of the JSON header: `{"__metadata__": {str: str}, NAME: {"dtype",
/// "shape", "data_offsets"}, ...}`. Validation follows the reference implementation: every
/// tensor's byte count must match its shape and dtype, and the tensors must tile the data
/// buffer exactly, without gaps or overlaps.
enum SafeTensorsHeader {
    struct Parsed {
        var metadata: [String: String]
        var tensors: [TensorInfo]
    }

    static func parse(_ bytes: Data, path: String, bufferSize: Int) throws -> Parsed {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: bytes, options: [])
        } catch {
            throw SafeTensorsError.invalidHeaderJSON(path: path, reason: "not JSON (\(bytes.count) header bytes)")
        }
        guard let root = object as? [String: Any] else {
            throw SafeTensorsError.invalidHeaderJSON(path: path, reason: "the header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        var tensors: [TensorInfo] = []
        for (name, value) in root {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else {
                    throw SafeTensorsError.invalidHeaderJSON(path: path, reason: "__metadata__ must be an object of strings")
                }
                for (key, item) in map {
                    guard let text = item as? String else {
                        throw SafeTensorsError.invalidHeaderJSON(path: path, reason: "__metadata__ value for '\(key)' is not a string")
                    }
                    metadata[key] = text
                }
                continue
            }
            tensors.append(try entry(name: name, value: value, path: path))
        }
        try validateLayout(&tensors, path: path, bufferSize: bufferSize)
        return Parsed(metadata: metadata, tensors: tensors)
    }

    private static func entry(name: String, value: Any, path: String) throws -> TensorInfo {
        guard let fields = value as? [String: Any] else {
            throw SafeTensorsError.invalidEntry(path: path, tensor: name, reason: "entry is not an object")
        }
        guard let dtypeName = fields["dtype"] as? String else {
            throw SafeTensorsError.invalidEntry(path: path, tensor: name, reason: "missing string field 'dtype'")
        }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw SafeTensorsError.unknownDType(path: path, tensor: name, dtype: dtypeName)
        }
        guard let shape = nonNegativeIntegers(fields["shape"]) else {
            throw SafeTensorsError.invalidEntry(path: path, tensor: name, reason: "'shape' must be a list of non-negative integers")
        }
        guard let offsets = nonNegativeIntegers(fields["data_offsets"]), offsets.count == 2, offsets[0] <= offsets[1] else {
            throw SafeTensorsError.invalidEntry(path: path, tensor: name, reason: "'data_offsets' must be [begin, end] with 0 <= begin <= end")
        }
        let (elements, overflow) = shape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d)
            return (p, acc.1 || o)
        }
        let bytes = offsets[1] - offsets[0]
        guard !overflow, let expected = dtype.byteCount(elements: elements), expected == bytes else {
            throw SafeTensorsError.shapeDisagreesWithBytes(path: path, tensor: name, shape: shape, dtype: dtypeName, bytes: bytes)
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: (offsets[0], offsets[1]))
    }

    private static func nonNegativeIntegers(_ value: Any?) -> [Int]? {
        guard let list = value as? [Any] else { return nil }
        var out: [Int] = []
        for item in list {
            // JSONSerialization gives NSNumber; reject booleans, fractions and negatives.
            guard !isBoolean(item), let number = item as? NSNumber,
                  let int = Int(exactly: number.doubleValue), int >= 0 else { return nil }
            out.append(int)
        }
        return out
    }

    /// JSON booleans also bridge to NSNumber; they are not valid dimensions or offsets.
    private static func isBoolean(_ item: Any) -> Bool {
        guard let number = item as? NSNumber else { return false }
        return String(cString: number.objCType) == "c" || type(of: item) == Bool.self
    }

    private static func validateLayout(_ tensors: inout [TensorInfo], path: String, bufferSize: Int) throws {
        tensors.sort { ($0.dataOffsets.begin, $0.dataOffsets.end, $0.name) < ($1.dataOffsets.begin, $1.dataOffsets.end, $1.name) }
        var covered = 0
        var previous: String? = nil
        for tensor in tensors {
            let (begin, end) = tensor.dataOffsets
            if end > bufferSize {
                throw SafeTensorsError.offsetsOutOfRange(path: path, tensor: tensor.name, begin: begin, end: end, bufferSize: bufferSize)
            }
            if begin < covered {
                throw SafeTensorsError.overlappingTensors(path: path, first: previous ?? "", second: tensor.name)
            }
            if begin > covered {
                throw SafeTensorsError.gapBetweenTensors(path: path, before: previous ?? "(start of buffer)", after: tensor.name)
            }
            covered = end
            previous = tensor.name
        }
        if covered != bufferSize {
            throw SafeTensorsError.trailingBytes(path: path, covered: covered, bufferSize: bufferSize)
        }
    }
}
