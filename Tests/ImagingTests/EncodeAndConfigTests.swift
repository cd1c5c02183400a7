import Foundation
import Imaging
import Testing

struct EncodeTests {
    @Test("PNG encoding round-trips exactly")
    func pngRoundTrip() throws {
        let image = try ImageDecoder.decode(path: Fixtures.path("images/jpeg_444_64x48.jpg"))
        let data = try ImageEncoder.png(image)
        #expect(Array(data.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
        #expect(try ImageDecoder.decode(data: data, name: "encoded.png") == image)
    }

    static let jpegCases = Fixtures.entries("encode_jpeg").compactMap { $0["jpeg"] as? String }

    @Test("JPEG encoding gives Pillow's bytes for the same quality and subsampling", arguments: jpegCases)
    func jpegMatchesPillow(jpeg: String) throws {
        let entry = try #require(Fixtures.entries("encode_jpeg").first { $0["jpeg"] as? String == jpeg })
        let imagePath = try #require(entry["image"] as? String)
        let quality = try #require(entry["quality"] as? Int)
        let code = try #require(entry["subsampling"] as? Int)
        let subsampling = try #require(JPEGSubsampling(rawValue: Int32(code)))
        let image = try ImageDecoder.decode(path: Fixtures.path(imagePath))
        let ours = try ImageEncoder.jpeg(image, quality: quality, subsampling: subsampling)
        let pillow = try Fixtures.bytes(jpeg)
        #expect([UInt8](ours) == pillow, "\(jpeg): \(ours.count) bytes here, \(pillow.count) from Pillow")
        // Whatever the bytes, both must decode to the same pixels.
        let decodedOurs = try ImageDecoder.decode(data: ours, name: "ours.jpg")
        #expect(decodedOurs == (try ImageDecoder.decode(path: Fixtures.path(jpeg))))
    }

    @Test("lower JPEG quality gives a smaller file")
    func jpegQualityMatters() throws {
        let image = try ImageDecoder.decode(path: Fixtures.path("images/png_square_40x40.png"))
        #expect(try ImageEncoder.jpeg(image, quality: 20).count < (try ImageEncoder.jpeg(image, quality: 95)).count)
    }

    @Test("bad encoder arguments throw")
    func badArguments() {
        let image = RGBImage(width: 2, height: 2, fill: (1, 2, 3))
        #expect(throws: ImagingError.self) { try ImageEncoder.jpeg(image, quality: 0) }
        #expect(throws: ImagingError.self) { try ImageEncoder.png(image, compressionLevel: 10) }
        #expect(throws: ImagingError.self) { try ImageEncoder.write(image, to: "/tmp/x.gif") }
    }

    @Test("write then decode through a file")
    func writeFile() throws {
        let image = RGBImage(width: 3, height: 2, pixels: Array(0..<18).map { UInt8($0 * 13) })
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("imaging-\(getpid()).png").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ImageEncoder.write(image, to: path)
        #expect(try ImageDecoder.decode(path: path) == image)
    }
}

struct ConfigTests {
    private func parse(_ json: String) throws -> CLIPPreprocessorConfig {
        try CLIPPreprocessorConfig.parse(Data(json.utf8), path: "test/preprocessor_config.json")
    }

    @Test func integerAndDictionaryForms() throws {
        let old = try parse(#"{"size": 336, "crop_size": 336, "resample": 3}"#)
        #expect(old.size == .shortestEdge(336) && old.cropHeight == 336 && old.cropWidth == 336)
        let new = try parse(#"{"size": {"shortest_edge": 20}, "crop_size": {"height": 30, "width": 26}, "resample": 2}"#)
        #expect(new.size == .shortestEdge(20) && new.cropHeight == 30 && new.cropWidth == 26 && new.resample == .bilinear)
        let exact = try parse(#"{"size": {"height": 10, "width": 12}}"#)
        #expect(exact.size == .exact(height: 10, width: 12))
        // Keys left out take CLIPImageProcessor's class defaults.
        #expect(try parse("{}") == CLIPPreprocessorConfig())
        #expect(CLIPPreprocessorConfig.clipViTL14_336.size == .shortestEdge(336))
    }

    @Test func errorsNameTheKey() {
        let cases = [(#"{"resample": 0}"#, "resample"), (#"{"size": {"longest_edge": 3}}"#, "size"),
                     (#"{"image_mean": [1, 2]}"#, "image_mean"), (#"{"crop_size": -1}"#, "crop_size"),
                     (#"{"do_resize": "yes"}"#, "do_resize"), (#"{"image_std": [0, 1, 1]}"#, "image_std")]
        for (json, key) in cases {
            do {
                _ = try parse(json)
                Issue.record("\(json) should fail")
            } catch let ImagingError.invalidConfiguration(path, failedKey, _) {
                #expect(path == "test/preprocessor_config.json")
                #expect(failedKey == key, "\(json)")
            } catch {
                Issue.record("untyped error \(error)")
            }
        }
        #expect(throws: ImagingError.self) { try parse("[1]") }
        #expect(throws: ImagingError.self) { try CLIPPreprocessorConfig.load(path: "/nonexistent/model") }
    }
}
