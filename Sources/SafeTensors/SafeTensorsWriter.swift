import Foundation
import TensorCore
#if canImport(Glibc)
import Glibc
#endif

/// A tensor ready to be written: raw little-endian bytes with their dtype and shape.
public struct TensorRecord: Sendable {
    public var name: String
    public var dtype: SafeTensorsDType
    public var shape: [Int]
    public var bytes: [UInt8]

    public init(name: String, dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// An f32 tensor stored as F32, F16 or BF16 (rounded to nearest even).
    public init(name: String, tensor: Tensor, dtype: SafeTensorsDType = .f32) {
        precondition([.f32, .f16, .bf16].contains(dtype), "floating tensors are stored as F32, F16 or BF16")
        var bytes = [UInt8](repeating: 0, count: tensor.count * dtype.bitWidth / 8)
        bytes.withUnsafeMutableBytes { raw in
            tensor.storage.withUnsafeBufferPointer { src in
                let n = tensor.count
                switch dtype {
                case .f32: raw.copyMemory(from: UnsafeRawBufferPointer(src))
                case .bf16: convertFloatToBF16(src.baseAddress!, raw.baseAddress!.assumingMemoryBound(to: UInt16.self), count: n)
                default: convertFloatToF16(src.baseAddress!, raw.baseAddress!.assumingMemoryBound(to: UInt16.self), count: n)
                }
            }
        }
        self.init(name: name, dtype: dtype, shape: tensor.shape, bytes: bytes)
    }

    /// An I64 tensor (e.g. token ids).
    public init(name: String, int64s: [Int64], shape: [Int]) {
        var bytes = [UInt8](repeating: 0, count: int64s.count * 8)
        bytes.withUnsafeMutableBytes { raw in
            for (i, v) in int64s.enumerated() { raw.storeBytes(of: v.littleEndian, toByteOffset: 8 * i, as: Int64.self) }
        }
        self.init(name: name, dtype: .i64, shape: shape, bytes: bytes)
    }
}

/// Writes safetensors files atomically: the data goes to a temporary file in the same folder,
/// is flushed to disk, and is renamed over the destination only when complete. A crash or a
/// full disk mid-write leaves any earlier file at `path` untouched.
public enum SafeTensorsWriter {
    public static func write(_ records: [TensorRecord], metadata: [String: String] = [:], to path: String) throws {
        var seen = Set<String>()
        for record in records {
            guard seen.insert(record.name).inserted else {
                throw SafeTensorsError.writeFailed(path: path, reason: "tensor name '\(record.name)' appears twice")
            }
            guard record.dtype.byteCount(elements: record.shape.reduce(1, *)) == record.bytes.count else {
                throw SafeTensorsError.writeFailed(path: path, reason: "tensor '\(record.name)': shape \(record.shape) of \(record.dtype.rawValue) needs a different byte count than \(record.bytes.count)")
            }
        }
        let ordered = records.sorted { $0.name < $1.name }
        var header = Data(headerJSON(ordered, metadata: metadata).utf8)
        // Pad with spaces so the data buffer starts 8-byte aligned, as the reference writer does.
        while (header.count % 8) != 0 { header.append(0x20) }
        var file = Data()
        var length = UInt64(header.count).littleEndian
        withUnsafeBytes(of: &length) { file.append(contentsOf: $0) }
        file.append(header)
        for record in ordered { file.append(contentsOf: record.bytes) }
        try AtomicFile.write(file, to: path)
    }

    static func headerJSON(_ ordered: [TensorRecord], metadata: [String: String]) -> String {
        var parts: [String] = []
        if !metadata.isEmpty {
            let items = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            parts.append("\"__metadata__\":{\(items.joined(separator: ","))}")
        }
        var offset = 0
        for record in ordered {
            let end = offset + record.bytes.count
            let shape = record.shape.map(String.init).joined(separator: ",")
            parts.append("\(jsonString(record.name)):{\"dtype\":\"\(record.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// Write-then-rename, with fsync of the file and its folder, so readers see either the old
/// file or the complete new one.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let temporary = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else {
            throw SafeTensorsError.writeFailed(path: path, reason: "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        var failure: String? = nil
        data.withUnsafeBytes { raw in
            var written = 0
            while written < raw.count {
                let n = Glibc.write(descriptor, raw.baseAddress! + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno)); return
                }
                written += n
            }
        }
        if failure == nil && fsync(descriptor) != 0 { failure = "fsync: \(String(cString: strerror(errno)))" }
        close(descriptor)
        if failure == nil && rename(temporary, path) != 0 { failure = "rename: \(String(cString: strerror(errno)))" }
        if let failure {
            unlink(temporary)
            throw SafeTensorsError.writeFailed(path: path, reason: failure)
        }
        let folderDescriptor = open(folder.isEmpty ? "." : folder, O_RDONLY)
        if folderDescriptor >= 0 { fsync(folderDescriptor); close(folderDescriptor) }
    }
}
