import Foundation
import SafeTensors
import TensorCore

// A disk cache of singular triplets keyed by the weight's content, so that initialising again
// with another rank or mode recomputes nothing when the triplets it needs were computed before.
// One safetensors file per weight, `<key>.safetensors`, written atomically:
//   positions I64 [k], values F64 [k], spectrum F64 [p], left F32 [k, out], right F32 [k, in].
// A new request merges its triplets into the entry. `prefetch` widens what is computed on a miss
// (the `prefetch` largest and smallest triplets too): their extra cost is O(p^2) each, small
// beside the O(p^3) reduction that every miss pays.

public final class DecompositionCache: @unchecked Sendable {
    public let folder: String
    static let format = "milora-vlm-svd-cache-1"

    public init(folder: String) throws {
        self.folder = folder
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw AdaptersError.io(path: folder, reason: "cannot create the decomposition cache folder: \(error.localizedDescription)")
        }
    }

    /// 128-bit content key (two independent 64-bit multiply-rotate lanes over the f32 bits and
    /// the shape), as 32 hex digits. Not cryptographic: it tells weights apart, nothing more.
    public static func key(of weight: Tensor) -> String {
        var h1: UInt64 = 0x9E37_79B9_7F4A_7C15, h2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
        @inline(__always) func mix(_ word: UInt64) {
            h1 = ((h1 ^ word) &* 0xFF51_AFD7_ED55_8CCD)
            h1 = (h1 << 31) | (h1 >> 33)
            h2 = ((h2 &+ word) &* 0x94D0_49BB_1331_11EB) ^ (h2 >> 29)
        }
        for d in weight.shape { mix(UInt64(d)) }
        weight.storage.withUnsafeBufferPointer { buffer in
            let words = buffer.count / 2
            let raw = UnsafeRawPointer(buffer.baseAddress!)
            for i in 0..<words { mix(raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
            if buffer.count % 2 == 1 { mix(UInt64(buffer[buffer.count - 1].bitPattern)) }
        }
        mix(UInt64(weight.count))
        return String(format: "%016llx%016llx", h1, h2)
    }

    func path(forKey key: String) -> String { (folder as NSString).appendingPathComponent("\(key).safetensors") }

    /// The cached decomposition of a matrix, or nil when there is none.
    public func load(key: String, rows: Int, columns: Int) throws -> PartialSVD? {
        let path = path(forKey: key)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            let file = try SafeTensorsFile(path: path)
            guard file.metadata["format"] == Self.format else {
                throw AdaptersError.cacheCorrupt(path: path, reason: "format \(file.metadata["format"] ?? "none")")
            }
            let positions = try file.integers("positions").map { Int($0) }
            let values = try doubles(file, "values")
            let spectrum = try doubles(file, "spectrum")
            let left = try file.tensor("left"), right = try file.tensor("right")
            let k = positions.count
            guard values.count == k, spectrum.count == min(rows, columns), left.shape == [k, rows], right.shape == [k, columns],
                  zip(positions, positions.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw AdaptersError.cacheCorrupt(path: path, reason: "shapes do not fit a \(rows)x\(columns) weight")
            }
            return PartialSVD(triplets: SingularTriplets(rows: rows, columns: columns, positions: positions, values: values,
                                                         left: left, right: right),
                              spectrum: spectrum)
        } catch let error as SafeTensorsError {
            throw AdaptersError.cacheCorrupt(path: path, reason: error.description)
        }
    }

    public func store(_ decomposition: PartialSVD, key: String) throws {
        let t = decomposition.triplets
        let records = [
            TensorRecord(name: "positions", int64s: t.positions.map { Int64($0) }, shape: [t.positions.count]),
            doubleRecord("values", t.values),
            doubleRecord("spectrum", decomposition.spectrum),
            TensorRecord(name: "left", tensor: t.left),
            TensorRecord(name: "right", tensor: t.right),
        ]
        let path = path(forKey: key)
        do {
            try SafeTensorsWriter.write(records, metadata: ["format": Self.format, "rows": "\(t.rows)", "columns": "\(t.columns)"],
                                        to: path)
        } catch let error as SafeTensorsError {
            throw AdaptersError.io(path: path, reason: error.description)
        }
    }

    private func doubles(_ file: SafeTensorsFile, _ name: String) throws -> [Double] {
        let raw = try file.rawBytes(name)
        guard try file.info(name).dtype == .f64 else { throw AdaptersError.cacheCorrupt(path: file.path, reason: "\(name) is not F64") }
        return (0..<(raw.count / 8)).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self) }
    }

    private func doubleRecord(_ name: String, _ values: [Double]) -> TensorRecord {
        var bytes = [UInt8](repeating: 0, count: values.count * 8)
        bytes.withUnsafeMutableBytes { raw in
            for (i, v) in values.enumerated() { raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 8 * i, as: UInt64.self) }
        }
        return TensorRecord(name: name, dtype: .f64, shape: [values.count], bytes: bytes)
    }
}

/// Triplets at `positions` of W, from the cache when it holds them all, else computed by
/// `partialSVD` (together with the `prefetch` largest and smallest ones) and merged into it.
public func cachedPartialSVD(_ weight: Tensor, positions: [Int], cache: DecompositionCache?,
                             prefetch: Int = 0) throws -> (decomposition: PartialSVD, fromCache: Bool) {
    let (m, n) = (weight.shape[0], weight.shape[1])
    let wanted = Array(Set(positions)).sorted()
    guard let cache else { return (try partialSVD(weight, positions: wanted), false) }
    let key = DecompositionCache.key(of: weight)
    let existing = try cache.load(key: key, rows: m, columns: n)
    if let existing, let hit = existing.triplets.subset(wanted) {
        return (PartialSVD(triplets: hit, spectrum: existing.spectrum), true)
    }
    let p = min(m, n)
    let extra = min(prefetch, p)
    var compute = Set(wanted).union(0..<extra).union((p - extra)..<p)
    if let existing { compute.subtract(existing.triplets.positions) }
    let fresh = try partialSVD(weight, positions: Array(compute))
    let all = existing.map { PartialSVD(triplets: $0.triplets.merged(with: fresh.triplets), spectrum: $0.spectrum) } ?? fresh
    try cache.store(all, key: key)
    guard let result = all.triplets.subset(wanted) else {
        preconditionFailure("merged triplets lack requested positions")
    }
    return (PartialSVD(triplets: result, spectrum: all.spectrum), false)
}
