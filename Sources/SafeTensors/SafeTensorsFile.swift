import Foundation
import TensorCore
#if canImport(Glibc)
import Glibc
#endif

/// One tensor's entry in a safetensors header.
public struct TensorInfo: Sendable, Equatable {
    public var name: String
    public var dtype: SafeTensorsDType
    public var shape: [Int]
    /// [begin, end) byte offsets relative to the start of the data buffer.
    public var dataOffsets: (begin: Int, end: Int)
    public var elementCount: Int { shape.reduce(1, *) }

    public static func == (a: TensorInfo, b: TensorInfo) -> Bool {
        a.name == b.name && a.dtype == b.dtype && a.shape == b.shape && a.dataOffsets == b.dataOffsets
    }
}

/// A safetensors file, memory-mapped read-only. Opening validates the whole header (dtypes,
/// shapes against byte counts, offsets inside the file, a contiguous non-overlapping buffer)
/// so later reads cannot go out of bounds. Tensor bytes are read from the mapping on demand;
/// nothing is copied until a conversion asks for it.
public final class SafeTensorsFile: @unchecked Sendable {
    // @unchecked: the mapping is read-only and never changes after init.
    public let path: String
    public let metadata: [String: String]
    /// Tensors in file order (by data offset).
    public let tensors: [TensorInfo]
    private let byName: [String: Int]
    private let mapping: UnsafeMutableRawPointer?
    private let mappedSize: Int
    private let dataStart: Int

    /// Headers larger than this are rejected (as the reference implementation does).
    public static let maximumHeaderSize = 100_000_000

    public init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw SafeTensorsError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw SafeTensorsError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw SafeTensorsError.cannotOpen(path: path, reason: "not a regular file")
        }
        let size = Int(status.st_size)
        guard size >= 8 else { throw SafeTensorsError.fileTooSmall(path: path, size: size) }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), base != MAP_FAILED else {
            throw SafeTensorsError.cannotOpen(path: path, reason: "mmap: \(String(cString: strerror(errno)))")
        }
        mapping = base
        mappedSize = size
        do {
            let headerLength = base.loadUnaligned(as: UInt64.self).littleEndian
            guard headerLength <= UInt64(size - 8) else {
                throw SafeTensorsError.headerLengthBeyondFile(path: path, headerLength: headerLength, fileSize: size)
            }
            guard headerLength <= UInt64(Self.maximumHeaderSize) else {
                throw SafeTensorsError.invalidHeaderJSON(path: path, reason: "header of \(headerLength) bytes exceeds the \(Self.maximumHeaderSize)-byte limit")
            }
            dataStart = 8 + Int(headerLength)
            let headerBytes = Data(bytes: base + 8, count: Int(headerLength))
            let parsed = try SafeTensorsHeader.parse(headerBytes, path: path, bufferSize: size - dataStart)
            metadata = parsed.metadata
            tensors = parsed.tensors
            byName = Dictionary(uniqueKeysWithValues: parsed.tensors.enumerated().map { ($1.name, $0) })
        } catch {
            munmap(base, size)
            throw error
        }
    }

    deinit {
        if let mapping { munmap(mapping, mappedSize) }
    }

    public var names: [String] { tensors.map(\.name) }

    public func info(_ name: String) throws -> TensorInfo {
        guard let index = byName[name] else { throw SafeTensorsError.missingTensor(name: name, path: path) }
        return tensors[index]
    }

    public func contains(_ name: String) -> Bool { byName[name] != nil }

    /// The tensor's bytes inside the mapping; valid while this object lives.
    public func rawBytes(_ name: String) throws -> UnsafeRawBufferPointer {
        let entry = try info(name)
        return UnsafeRawBufferPointer(start: mapping! + dataStart + entry.dataOffsets.begin,
                                      count: entry.dataOffsets.end - entry.dataOffsets.begin)
    }

    /// Convert the tensor to f32 into `destination` (elementCount floats).
    public func convert(_ name: String, into destination: UnsafeMutablePointer<Float>) throws {
        let entry = try info(name)
        try convertToFloat(try rawBytes(name), dtype: entry.dtype, count: entry.elementCount,
                           into: destination, tensorName: name)
    }

    /// The tensor as an f32 `Tensor` (a copy).
    public func tensor(_ name: String) throws -> Tensor {
        let entry = try info(name)
        var values = [Float](repeating: 0, count: entry.elementCount)
        try values.withUnsafeMutableBufferPointer { try convert(name, into: $0.baseAddress!) }
        return Tensor(shape: entry.shape, storage: values)
    }

    /// Integer tensors (I64, I32, ...) as Int64 values.
    public func integers(_ name: String) throws -> [Int64] {
        let entry = try info(name)
        let raw = try rawBytes(name)
        let n = entry.elementCount
        switch entry.dtype {
        case .i64: return (0..<n).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self) }
        case .u64: return (0..<n).map { Int64(bitPattern: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)) }
        case .i32: return (0..<n).map { Int64(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
        case .u32: return (0..<n).map { Int64(raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) }
        case .i16: return (0..<n).map { Int64(raw.loadUnaligned(fromByteOffset: $0 * 2, as: Int16.self)) }
        case .u16: return (0..<n).map { Int64(raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
        case .i8: return (0..<n).map { Int64(Int8(bitPattern: raw[$0])) }
        case .u8, .bool: return (0..<n).map { Int64(raw[$0]) }
        default: throw SafeTensorsError.unsupportedConversion(tensor: name, dtype: entry.dtype.rawValue)
        }
    }
}
