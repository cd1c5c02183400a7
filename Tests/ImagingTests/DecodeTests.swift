import Foundation
import Imaging
import Testing

/// RGB8 decoding against PIL's `Image.open(p).convert("RGB")` on every fixture kind.
struct DecodeTests {
    static let cases = Fixtures.entries("decode").compactMap { $0["image"] as? String }

    @Test("fixture manifest is present and covers the image kinds")
    func manifestCoversKinds() {
        #expect(Self.cases.count >= 30)
        let modes = Set(Fixtures.entries("decode").compactMap { $0["pil_mode"] as? String })
        #expect(modes.isSuperset(of: ["RGB", "RGBA", "L", "LA", "P", "1", "I;16", "CMYK"]))
    }

    @Test("decoded bytes equal PIL's", arguments: cases)
    func decodeMatchesPIL(image: String) throws {
        let entry = try #require(Fixtures.entries("decode").first { $0["image"] as? String == image })
        let decoded = try ImageDecoder.decode(path: Fixtures.path(image))
        #expect(decoded.width == entry["width"] as? Int)
        #expect(decoded.height == entry["height"] as? Int)
        let expected = try Fixtures.bytes(try #require(entry["rgb"] as? String))
        let mismatches = zip(decoded.pixels, expected).filter { $0 != $1 }.count
        #expect(decoded.pixels.count == expected.count)
        #expect(mismatches == 0, "\(image): \(mismatches) of \(expected.count) bytes differ from PIL")
    }

    @Test("decoding from memory gives the same pixels as from the file")
    func decodeFromData() throws {
        let path = Fixtures.path("images/png_rgba_29x23.png")
        let fromData = try ImageDecoder.decode(data: try Data(contentsOf: URL(fileURLWithPath: path)), name: "x.png")
        #expect(fromData == (try ImageDecoder.decode(path: path)))
    }
}
