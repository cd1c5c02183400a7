import Foundation
import Testing
import TensorCore
@testable import SyntheticWorld

@Suite struct PNGEncoderTests {
    // Check values published with the algorithms: CRC-32 of "123456789" (the standard check
    // value), the CRC that closes every PNG's IEND chunk, and Adler-32 of "Wikipedia" (RFC 1950's
    // worked example as reproduced by zlib's documentation).
    @Test func checksumsMatchPublishedValues() {
        #expect(crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(crc32(Array("IEND".utf8)) == 0xAE42_6082)
        #expect(adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
        var rng = SeededGenerator(seed: 3)
        let noise = (0..<20_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        #expect(adler32(noise) == StoredPNGReader.textbookAdler(noise))
        #expect(crc32(noise) == StoredPNGReader.bitwiseCRC(noise))
    }

    @Test(arguments: [(1, 1), (7, 3), (64, 64), (160, 150)])
    func roundTripsThroughAnIndependentReader(width: Int, height: Int) throws {
        var rng = SeededGenerator(seed: UInt64(width * 1000 + height))
        let rgb = (0..<(width * height * 3)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let png = try StoredPNGEncoder().encodePNG(rgb: rgb, width: width, height: height)
        let image = try StoredPNGReader.decode(png)
        #expect(image.width == width && image.height == height)
        #expect(image.rgb == rgb)
    }

    @Test func rejectsWrongPixelCountAndJPEG() {
        #expect(throws: SyntheticWorldError.self) { try StoredPNGEncoder().encodePNG(rgb: [1, 2], width: 1, height: 1) }
        #expect(throws: SyntheticWorldError.jpegUnavailable) { try StoredPNGEncoder().encodeJPEG(rgb: [1, 2, 3], width: 1, height: 1, quality: 90) }
        #expect(StoredPNGEncoder().canEncodeJPEG == false)
    }

    /// PIL (Scripts/fixtures/make_world_fixtures.py) decoded PNGs written by `vlm-data render`;
    /// the same scene rendered now must give PIL's pixels and the same file bytes.
    @Test(arguments: [("scene_seed7_64", 7, 64), ("scene_seed3_160", 3, 160)])
    func pilDecodesOurPNGToOurPixels(name: String, seed: UInt64, size: Int) throws {
        var configuration = WorldConfiguration()
        configuration.imageSize = size
        let scene = SceneSampler(configuration: configuration).sample(seed: seed)
        let pixels = SceneRenderer.render(scene)
        let pilPixels = try Data(contentsOf: URL(fileURLWithPath: fixturePath("world", name + ".rgb")))
        #expect(pilPixels.count == size * size * 3)
        #expect([UInt8](pilPixels) == pixels, "PIL's decoding of the committed PNG differs from the rendered pixels")
        let committed = try Data(contentsOf: URL(fileURLWithPath: fixturePath("world", name + ".png")))
        #expect(try StoredPNGEncoder().encodePNG(rgb: pixels, width: size, height: size) == committed)
    }
}
