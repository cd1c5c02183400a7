import Imaging
import Testing

/// Image.resize alone against Pillow, for every filter but nearest, shrinking and enlarging.
struct ResampleTests {
    static let cases = Fixtures.entries("resize").compactMap { $0["rgb"] as? String }

    @Test("resized bytes equal Pillow's", arguments: cases)
    func resizeMatchesPillow(rgb: String) throws {
        let entry = try #require(Fixtures.entries("resize").first { $0["rgb"] as? String == rgb })
        let image = try #require(entry["image"] as? String)
        let code = try #require(entry["filter"] as? Int)
        let width = try #require(entry["width"] as? Int)
        let height = try #require(entry["height"] as? Int)
        let source = try ImageDecoder.decode(path: Fixtures.path(image))
        let filter = try #require(ResampleFilter(rawValue: code))
        let resized = source.resized(width: width, height: height, filter: filter)
        let expected = try Fixtures.bytes(rgb)
        #expect(resized.pixels.count == expected.count)
        let mismatches = zip(resized.pixels, expected).filter { $0 != $1 }.count
        let first = zip(resized.pixels, expected).enumerated().first { $0.element.0 != $0.element.1 }
        let at = first.map { i in "first at row \(i.offset / (width * 3)), column \(i.offset % (width * 3) / 3): \(i.element.0) vs Pillow \(i.element.1)" } ?? ""
        #expect(mismatches == 0, "\(rgb): \(mismatches) of \(expected.count) bytes differ from Pillow; \(at)")
    }

    @Test("same size is the identity")
    func identity() throws {
        let image = try ImageDecoder.decode(path: Fixtures.path("images/png_rgb_29x23.png"))
        #expect(image.resized(width: 29, height: 23, filter: .bicubic) == image)
    }
}
