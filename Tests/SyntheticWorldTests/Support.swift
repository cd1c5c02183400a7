import Foundation
@testable import SyntheticWorld

/// Tests/Fixtures/<area>/<name>, found from this source file so tests run from any folder.
func fixturePath(_ area: String, _ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(area).appendingPathComponent(name).path
}

func temporaryFolder(_ name: String) -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("syntheticworld-\(name)-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// One smoke dataset shared by the format and consistency tests (generated once per process).
let smokeWorld: URL = {
    let url = temporaryFolder("smoke")
    var sizes = DatasetSizes.smoke
    sizes.popeImages = 12  // enough images for popularity and co-occurrence rankings to matter
    do {
        try WorldGenerator(seed: 11, sizes: sizes).generate(into: url)
    } catch {
        preconditionFailure("smoke generation failed: \(error)")
    }
    return url
}()

func readJSON(_ url: URL) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(contentsOf: url))
}

func readJSONLines(_ url: URL) throws -> [[String: Any]] {
    let text = try String(contentsOf: url, encoding: .utf8)
    return try text.split(separator: "\n").map { line in
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw TestDataError.notAnObject(url.path)
        }
        return object
    }
}

enum TestDataError: Error { case notAnObject(String), malformed(String) }

/// Scene graphs written beside the data: key -> scene.
func scenes(_ set: String, in root: URL = smokeWorld) throws -> [String: Scene] {
    let text = try String(contentsOf: root.appendingPathComponent("scenes/\(set).jsonl"), encoding: .utf8)
    var result: [String: Scene] = [:]
    for line in text.split(separator: "\n") {
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        let sceneData = try JSONSerialization.data(withJSONObject: object["scene"]!)
        result[object["key"] as! String] = try JSONDecoder().decode(Scene.self, from: sceneData)
    }
    return result
}

/// A minimal PNG reader for what StoredPNGEncoder writes (8-bit RGB, stored deflate blocks,
/// filter 0). It checks each chunk's CRC with a bitwise CRC-32 and the zlib Adler-32 with the
/// textbook definition, independently of the encoder's table-driven code.
enum StoredPNGReader {
    struct Image { var width: Int; var height: Int; var rgb: [UInt8] }

    static func decode(_ data: Data) throws -> Image {
        let bytes = [UInt8](data)
        guard bytes.count > 8, Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else { throw TestDataError.malformed("signature") }
        var offset = 8, width = 0, height = 0, idat: [UInt8] = [], sawEnd = false
        while offset + 12 <= bytes.count {
            let length = Int(be32(bytes, offset))
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let body = Array(bytes[(offset + 8)..<(offset + 8 + length)])
            guard be32(bytes, offset + 8 + length) == bitwiseCRC(Array(bytes[(offset + 4)..<(offset + 8)]) + body) else { throw TestDataError.malformed("crc of \(type)") }
            switch type {
            case "IHDR":
                width = Int(be32(body, 0)); height = Int(be32(body, 4))
                guard Array(body[8...]) == [8, 2, 0, 0, 0] else { throw TestDataError.malformed("IHDR") }
            case "IDAT": idat += body
            case "IEND": sawEnd = true
            default: break
            }
            offset += 12 + length
        }
        guard sawEnd, offset == bytes.count else { throw TestDataError.malformed("IEND") }
        guard idat.count >= 6, (Int(idat[0]) * 256 + Int(idat[1])) % 31 == 0, idat[0] & 0x0F == 8 else { throw TestDataError.malformed("zlib header") }
        var raw: [UInt8] = [], position = 2, final = false
        while !final {
            let header = idat[position]
            final = header & 1 == 1
            guard header >> 1 == 0 else { throw TestDataError.malformed("not a stored block") }
            let len = Int(idat[position + 1]) | Int(idat[position + 2]) << 8
            let nlen = Int(idat[position + 3]) | Int(idat[position + 4]) << 8
            guard len ^ nlen == 0xFFFF else { throw TestDataError.malformed("NLEN") }
            raw += idat[(position + 5)..<(position + 5 + len)]
            position += 5 + len
        }
        guard be32(idat, position) == textbookAdler(raw), position + 4 == idat.count else { throw TestDataError.malformed("adler32") }
        let stride = width * 3 + 1
        guard raw.count == height * stride else { throw TestDataError.malformed("scanlines") }
        var rgb: [UInt8] = []
        for y in 0..<height {
            guard raw[y * stride] == 0 else { throw TestDataError.malformed("filter") }
            rgb += raw[(y * stride + 1)..<((y + 1) * stride)]
        }
        return Image(width: width, height: height, rgb: rgb)
    }

    static func be32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    static func bitwiseCRC(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }

    static func textbookAdler(_ bytes: [UInt8]) -> UInt32 {
        var a = 1, b = 0
        for byte in bytes { a = (a + Int(byte)) % 65_521; b = (b + a) % 65_521 }
        return UInt32(b << 16 | a)
    }
}
