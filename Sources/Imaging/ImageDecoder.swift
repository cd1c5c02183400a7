// Decoding to RGB8 as PIL's `Image.open(path).convert("RGB")` does it.
// Mirrors python-pillow/Pillow: src/PIL/JpegImagePlugin.py and PngImagePlugin.py (which mode a file
// opens as) and src/libImaging/Convert.c, Unpack.c (how each mode becomes RGB). The codec calls go
// through CImageCodecs, which keeps libjpeg's and libpng's longjmp error handling in C.
import CImageCodecs
import Foundation

public enum ImageFormat: String, Sendable {
    case jpeg = "JPEG"
    case png = "PNG"

    /// The format of `bytes` by signature; nil for anything that is not JPEG or PNG.
    static func detect(_ bytes: UnsafeRawBufferPointer) -> ImageFormat? {
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF { return .jpeg }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if bytes.count >= 8, zip(bytes.prefix(8), png).allSatisfy({ $0 == $1 }) { return .png }
        return nil
    }

    /// A name for common formats we do not decode, for the error message.
    static func describeOther(_ bytes: UnsafeRawBufferPointer) -> String? {
        func starts(_ text: String, at offset: Int = 0) -> Bool {
            let signature = Array(text.utf8)
            guard bytes.count >= offset + signature.count else { return false }
            return (0..<signature.count).allSatisfy { bytes[offset + $0] == signature[$0] }
        }
        if starts("GIF87a") || starts("GIF89a") { return "GIF" }
        if starts("BM") { return "BMP" }
        if starts("RIFF") && starts("WEBP", at: 8) { return "WebP" }
        if starts("II*\u{0}") || starts("MM\u{0}*") { return "TIFF" }
        if starts("ftypavif", at: 4) { return "AVIF" }
        if starts("ftypheic", at: 4) || starts("ftypmif1", at: 4) { return "HEIF" }
        if starts("%PDF") { return "PDF" }
        return nil
    }
}

public enum ImageDecoder {
    /// Reads and decodes `path` to RGB8, exactly as PIL's `Image.open(path).convert("RGB")`.
    public static func decode(path: String) throws -> RGBImage {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ImagingError.fileNotFound(path: path)
        }
        if isDirectory.boolValue { throw ImagingError.unreadable(path: path, reason: "it is a folder") }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw ImagingError.unreadable(path: path, reason: error.localizedDescription)
        }
        return try decode(data: data, name: path)
    }

    /// Decodes encoded JPEG or PNG bytes; `name` labels errors (usually the file path).
    public static func decode(data: Data, name: String) throws -> RGBImage {
        if data.isEmpty { throw ImagingError.emptyFile(path: name) }
        return try data.withUnsafeBytes { bytes -> RGBImage in
            switch ImageFormat.detect(bytes) {
            case .jpeg: return try decodeJPEG(bytes, name: name)
            case .png: return try decodePNG(bytes, name: name)
            case nil: throw ImagingError.unsupportedFormat(path: name, detected: ImageFormat.describeOther(bytes))
            }
        }
    }

    static func failure(_ status: ic_status, message: String, format: ImageFormat, name: String) -> ImagingError {
        switch status {
        case IC_TRUNCATED: return .truncated(path: name, format: format.rawValue, reason: message)
        case IC_TOO_LARGE: return .tooLarge(path: name, reason: message)
        case IC_UNSUPPORTED: return .corrupt(path: name, format: format.rawValue, reason: "unsupported: " + message)
        case IC_NO_MEMORY: return .tooLarge(path: name, reason: "out of memory while decoding: " + message)
        default: return .corrupt(path: name, format: format.rawValue, reason: message)
        }
    }

    static func message<T>(_ tuple: inout T) -> String {
        withUnsafeBytes(of: &tuple) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }

    // MARK: JPEG (Pillow: JpegImagePlugin modes L, RGB, CMYK with rawmode "CMYK;I")

    static func decodeJPEG(_ bytes: UnsafeRawBufferPointer, name: String) throws -> RGBImage {
        var image = ic_jpeg_image()
        let status = ic_jpeg_decode(bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count, &image)
        defer { ic_free(image.pixels) }
        guard status == IC_OK, let source = image.pixels else {
            throw failure(status, message: message(&image.message), format: .jpeg, name: name)
        }
        let count = Int(image.width) * Int(image.height)
        var rgb = [UInt8](repeating: 0, count: count * 3)
        rgb.withUnsafeMutableBufferPointer { out in
            switch image.components {
            case 1:  // Convert.c l2rgb
                for i in 0..<count {
                    let v = source[i]
                    out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
                }
            case 3:
                out.baseAddress!.update(from: source, count: count * 3)
            default:  // 4: Unpack.c "CMYK;I" inverts every sample, then Convert.c cmyk2rgb
                for i in 0..<count {
                    let nk = Int(source[4 * i + 3])  // 255 - inverted K
                    for c in 0..<3 {
                        let inverted = 255 - Int(source[4 * i + c])
                        out[3 * i + c] = UInt8(clamping: nk - mulDiv255(inverted, nk))
                    }
                }
            }
        }
        return RGBImage(width: Int(image.width), height: Int(image.height), pixels: rgb)
    }

    /// Pillow's MULDIV255: a * b / 255 rounded, in integer arithmetic.
    @inline(__always) static func mulDiv255(_ a: Int, _ b: Int) -> Int {
        let t = a * b + 128
        return ((t >> 8) + t) >> 8
    }

    // MARK: PNG (Pillow: PngImagePlugin._MODES, then convert("RGB"); transparency never changes pixels)

    static func decodePNG(_ bytes: UnsafeRawBufferPointer, name: String) throws -> RGBImage {
        var image = ic_png_image()
        let status = ic_png_decode(bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count, &image)
        defer { ic_free(image.pixels) }
        guard status == IC_OK, let source = image.pixels else {
            throw failure(status, message: message(&image.message), format: .png, name: name)
        }
        let (width, height) = (Int(image.width), Int(image.height))
        let (depth, channels, rowBytes) = (Int(image.bit_depth), Int(image.channels), image.row_bytes)
        // Palette as Pillow holds it: 256 entries, missing ones black.
        var palette = [UInt8](repeating: 0, count: 256 * 3)
        withUnsafeBytes(of: &image.palette) { raw in
            for i in 0..<(Int(image.palette_count) * 3) { palette[i] = raw[i] }
        }
        let colorType = Int(image.color_type)
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        rgb.withUnsafeMutableBufferPointer { out in
            for y in 0..<height {
                let row = source + rowBytes * y
                let line = out.baseAddress! + 3 * width * y
                for x in 0..<width {
                    let (r, g, b) = pngPixel(row, x: x, colorType: colorType, depth: depth, channels: channels, palette: palette)
                    line[3 * x] = r; line[3 * x + 1] = g; line[3 * x + 2] = b
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: rgb)
    }

    /// One pixel of a stored PNG row as Pillow's RGB conversion gives it.
    @inline(__always)
    static func pngPixel(_ row: UnsafePointer<UInt8>, x: Int, colorType: Int, depth: Int, channels: Int,
                         palette: [UInt8]) -> (UInt8, UInt8, UInt8) {
        // 16-bit samples are big-endian; Pillow's ";16B" rawmodes keep the high byte.
        @inline(__always) func high(_ sample: Int) -> UInt8 {
            depth == 16 ? row[(x * channels + sample) * 2] : row[x * channels + sample]
        }
        switch colorType {
        case 0:
            let gray: UInt8
            switch depth {
            case 1: gray = row[x] != 0 ? 255 : 0                      // mode "1": bit2rgb
            case 2: gray = row[x] &* 0x55                             // "L;2"
            case 4: gray = row[x] &* 0x11                             // "L;4"
            case 16: gray = row[2 * x] == 0 ? row[2 * x + 1] : 255    // "I;16": I16_RGB clips at 255
            default: gray = row[x]
            }
            return (gray, gray, gray)
        case 3:
            let index = Int(row[x]) * 3
            return (palette[index], palette[index + 1], palette[index + 2])
        case 4:  // LA (8-bit) or "LA;16B" into RGBA: the gray sample, alpha dropped
            let gray = high(0)
            return (gray, gray, gray)
        default:  // 2 (RGB) and 6 (RGBA): alpha dropped without compositing
            return (high(0), high(1), high(2))
        }
    }
}
