/// An 8-bit RGB image, pixels packed row-major as R, G, B (what PIL's mode "RGB" holds).
public struct RGBImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// height * width * 3 bytes.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "image size must be positive, got \(width)x\(height)")
        precondition(pixels.count == width * height * 3, "RGB image \(width)x\(height) needs \(width * height * 3) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A width x height image filled with one colour.
    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8)) {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in stride(from: 0, to: pixels.count, by: 3) {
            pixels[i] = fill.0
            pixels[i + 1] = fill.1
            pixels[i + 2] = fill.2
        }
        self.init(width: width, height: height, pixels: pixels)
    }
}
