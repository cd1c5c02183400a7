import Foundation

/// Tests/Fixtures/imaging, made by Scripts/fixtures/make_imaging_fixtures.py with PIL and transformers.
enum Fixtures {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/imaging")

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent(relative)))
    }

    static func floats(_ relative: String) throws -> [Float] {
        let data = try Data(contentsOf: root.appendingPathComponent(relative))
        return data.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }

    static let manifest: [String: Any] = {
        guard let data = try? Data(contentsOf: root.appendingPathComponent("manifest.json")),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return object
    }()

    static func entries(_ key: String) -> [[String: Any]] { manifest[key] as? [[String: Any]] ?? [] }
}

/// zlib's CRC-32, to compare with the fixture's `zlib.crc32`.
func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    var table = [UInt32](repeating: 0, count: 256)
    for i in 0..<256 {
        var c = UInt32(i)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        table[i] = c
    }
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    return crc ^ 0xFFFF_FFFF
}

/// Index and size of the largest elementwise difference.
func largestDifference(_ a: [Float], _ b: [Float]) -> (index: Int, value: Float) {
    var worst = (index: -1, value: Float(0))
    for i in 0..<min(a.count, b.count) where abs(a[i] - b[i]) > worst.value || a[i].isNaN {
        worst = (i, abs(a[i] - b[i]))
    }
    return worst
}
