// Encoding RGB8 to PNG and JPEG through CImageCodecs (libpng, libjpeg), for images the project writes.
import CImageCodecs
import Foundation

public enum JPEGSubsampling: Int32, Sendable {
    case none444 = 0
    case horizontal422 = 1
    case both420 = 2
}

public enum ImageEncoder {
    /// PNG bytes (8-bit RGB, not interlaced). `compressionLevel` is zlib's 0...9 (Pillow saves with 6).
    public static func png(_ image: RGBImage, compressionLevel: Int = 6) throws -> Data {
        guard (0...9).contains(compressionLevel) else {
            throw ImagingError.invalidArgument("PNG compression level must be 0...9, got \(compressionLevel)")
        }
        return try encode(format: "PNG") { output, size, message in
            image.pixels.withUnsafeBufferPointer {
                ic_png_encode_rgb($0.baseAddress, Int32(image.width), Int32(image.height), Int32(compressionLevel),
                                  output, size, message)
            }
        }
    }

    /// Baseline JPEG bytes. `quality` 1...100 (Pillow's default is 75, with 4:2:0 subsampling).
    public static func jpeg(_ image: RGBImage, quality: Int = 75, subsampling: JPEGSubsampling = .both420) throws -> Data {
        guard (1...100).contains(quality) else {
            throw ImagingError.invalidArgument("JPEG quality must be 1...100, got \(quality)")
        }
        return try encode(format: "JPEG") { output, size, message in
            image.pixels.withUnsafeBufferPointer {
                ic_jpeg_encode_rgb($0.baseAddress, Int32(image.width), Int32(image.height), Int32(quality),
                                   subsampling.rawValue, output, size, message)
            }
        }
    }

    /// Encodes by the file's extension (.png, .jpg, .jpeg) and writes atomically (temporary file, then rename).
    public static func write(_ image: RGBImage, to path: String, jpegQuality: Int = 75) throws {
        let data: Data
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "png": data = try png(image)
        case "jpg", "jpeg": data = try jpeg(image, quality: jpegQuality)
        default: throw ImagingError.invalidArgument("\(path): unknown image extension; use .png, .jpg or .jpeg")
        }
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ImagingError.unreadable(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    private static func encode(
        format: String,
        _ call: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, UnsafeMutablePointer<Int>, UnsafeMutablePointer<CChar>) -> ic_status
    ) throws -> Data {
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        var message = [CChar](repeating: 0, count: Int(IC_MESSAGE_CAPACITY))
        let status = message.withUnsafeMutableBufferPointer { call(&output, &size, $0.baseAddress!) }
        defer { ic_free(output) }
        guard status == IC_OK, let output else {
            let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw ImagingError.encodingFailed(format: format, reason: text)
        }
        return Data(bytes: output, count: size)
    }
}
