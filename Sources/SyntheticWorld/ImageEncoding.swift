import Foundation

/// How the generator turns RGB8 pixels into files. The project's Imaging module provides the
/// real (libpng / libjpeg) encoders; `StoredPNGEncoder` below is the dependency-free fallback.
public protocol ImageEncoder: Sendable {
    /// `rgb`: width * height * 3 bytes, row-major R, G, B.
    func encodePNG(rgb: [UInt8], width: Int, height: Int) throws -> Data
    func encodeJPEG(rgb: [UInt8], width: Int, height: Int, quality: Int) throws -> Data
    /// False when `encodeJPEG` cannot work; the generator then writes PNGs where the official
    /// layout has JPEGs (and names them `.png`).
    var canEncodeJPEG: Bool { get }
}

extension ImageEncoder {
    public var canEncodeJPEG: Bool { true }
}

/// A valid but uncompressed PNG: 8-bit RGB, filter 0 on every row, the zlib stream made of
/// stored (uncompressed) deflate blocks. Files are about width * height * 3 bytes.
public struct StoredPNGEncoder: ImageEncoder {
    public init() {}

    public var canEncodeJPEG: Bool { false }

    public func encodeJPEG(rgb: [UInt8], width: Int, height: Int, quality: Int) throws -> Data {
        throw SyntheticWorldError.jpegUnavailable
    }

    public func encodePNG(rgb: [UInt8], width: Int, height: Int) throws -> Data {
        guard width > 0, height > 0, rgb.count == width * height * 3 else {
            throw SyntheticWorldError.invalidImage(reason: "\(width)x\(height) RGB needs \(max(0, width * height * 3)) bytes, got \(rgb.count)")
        }
        // Scanlines: a filter-type byte (0, None) before each row.
        var raw = [UInt8]()
        raw.reserveCapacity(height * (width * 3 + 1))
        for y in 0..<height {
            raw.append(0)
            raw.append(contentsOf: rgb[(y * width * 3)..<((y + 1) * width * 3)])
        }
        var zlib: [UInt8] = [0x78, 0x01]  // deflate, 32K window, no preset dictionary, check bits OK
        var offset = 0
        repeat {
            let length = min(65_535, raw.count - offset)
            let final: UInt8 = offset + length == raw.count ? 1 : 0
            zlib.append(final)  // BFINAL, BTYPE = 00 (stored)
            zlib.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)])
            zlib.append(contentsOf: raw[offset..<(offset + length)])
            offset += length
        } while offset < raw.count
        zlib.append(contentsOf: bigEndian(adler32(raw)))

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let header = bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, 2, 0, 0, 0]  // depth 8, RGB, deflate, filter 0, no interlace
        appendChunk("IHDR", header, to: &png)
        appendChunk("IDAT", zlib, to: &png)
        appendChunk("IEND", [], to: &png)
        return Data(png)
    }

    private func appendChunk(_ type: String, _ data: [UInt8], to png: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        png.append(contentsOf: bigEndian(UInt32(data.count)))
        png.append(contentsOf: typeBytes)
        png.append(contentsOf: data)
        png.append(contentsOf: bigEndian(crc32(typeBytes + data)))
    }
}

func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
}

/// zlib's Adler-32 (RFC 1950).
func adler32(_ bytes: [UInt8]) -> UInt32 {
    var a: UInt32 = 1, b: UInt32 = 0
    var index = 0
    while index < bytes.count {
        // 5552 bytes is the most that cannot overflow 32 bits before the modulo.
        let end = min(bytes.count, index + 5552)
        for i in index..<end {
            a += UInt32(bytes[i])
            b += a
        }
        a %= 65_521
        b %= 65_521
        index = end
    }
    return (b << 16) | a
}

private let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}

/// The CRC-32 of PNG chunks (ISO 3309, reflected polynomial 0xEDB88320).
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for byte in bytes { c = crcTable[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
}
