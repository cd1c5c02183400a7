import Foundation
import Imaging

/// The project's libpng / libjpeg encoders (module Imaging) behind the generator's
/// `ImageEncoder` protocol: compressed PNGs, and real JPEGs where the official layouts have them.
public struct LibraryImageEncoder: ImageEncoder {
    public init() {}

    public var canEncodeJPEG: Bool { true }

    public func encodePNG(rgb: [UInt8], width: Int, height: Int) throws -> Data {
        try Imaging.ImageEncoder.png(RGBImage(width: width, height: height, pixels: rgb))
    }

    public func encodeJPEG(rgb: [UInt8], width: Int, height: Int, quality: Int) throws -> Data {
        try Imaging.ImageEncoder.jpeg(RGBImage(width: width, height: height, pixels: rgb), quality: quality)
    }
}
