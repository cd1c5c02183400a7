import Foundation
import Imaging
import Testing
import TensorCore

/// pixel_values against transformers' CLIPImageProcessorPil (after LLaVA's expand2square for "pad").
struct PreprocessTests {
    static let cases = Fixtures.entries("pixels").compactMap { $0["values"] as? String }

    private func preprocess(_ entry: [String: Any]) throws -> Tensor {
        let configPath = try #require(entry["config"] as? String)
        let aspectName = try #require(entry["aspect_ratio"] as? String)
        let image = try #require(entry["image"] as? String)
        let config = try CLIPPreprocessorConfig.load(path: Fixtures.path(configPath))
        let aspect = try #require(ImageAspectRatio(rawValue: aspectName))
        return try CLIPPreprocessor(config: config).pixelValues(path: Fixtures.path(image), aspectRatio: aspect)
    }

    @Test("pixel_values equal CLIPImageProcessorPil's", arguments: cases)
    func pixelValuesMatch(values: String) throws {
        let entry = try #require(Fixtures.entries("pixels").first { $0["values"] as? String == values })
        let tensor = try preprocess(entry)
        #expect(tensor.shape == entry["shape"] as? [Int])
        let expected = try Fixtures.floats(values)
        let worst = largestDifference(tensor.storage, expected)
        #expect(tensor.count == expected.count)
        #expect(worst.value <= 1e-5, "\(values): largest difference \(worst.value) at \(worst.index)")
    }

    @Test("the real 336 configuration: CRC-32 of all values and a strided sample", arguments: ["pad", "original"])
    func clip336(aspect: String) throws {
        let entry = try #require(Fixtures.entries("pixels_hashed").first { $0["aspect_ratio"] as? String == aspect })
        let tensor = try preprocess(entry)
        #expect(tensor.shape == [3, 336, 336])
        let step = try #require(entry["sample_step"] as? Int)
        var sample: [Float] = []
        for c in 0..<3 {
            for y in stride(from: 0, to: 336, by: step) {
                for x in stride(from: 0, to: 336, by: step) { sample.append(tensor.storage[(c * 336 + y) * 336 + x]) }
            }
        }
        let sampled = try #require(entry["sampled_values"] as? String)
        let expected = try Fixtures.floats(sampled)
        #expect(sample.count == expected.count)
        let worst = largestDifference(sample, expected)
        #expect(worst.value <= 1e-5, "largest difference \(worst.value) at sample \(worst.index)")
        let crc = tensor.storage.map { $0.bitPattern.littleEndian }.withUnsafeBytes { crc32($0) }
        #expect(Int(crc) == entry["crc32_f32_le"] as? Int, "the 336x336 values are not bit-identical to transformers'")
    }

    @Test("output size and crop offsets as transformers computes them")
    func sizeArithmetic() {
        let clip = CLIPPreprocessor()
        #expect(clip.resizedSize(height: 480, width: 640) == (336, 448))
        #expect(clip.resizedSize(height: 91, width: 37) == (826, 336))  // int(336 * 91 / 37) = 826
        #expect(clip.resizedSize(height: 3, width: 5) == (336, 560))
        #expect(clip.backgroundColor == (122, 116, 104))
    }

    @Test("expand2square pads the short side with the mean colour, offset rounded down")
    func expandToSquare() {
        let image = RGBImage(width: 3, height: 1, pixels: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let square = CLIPPreprocessor().expandToSquare(image)
        #expect(square.width == 3 && square.height == 3)
        #expect(Array(square.pixels[0..<3]) == [122, 116, 104])
        #expect(Array(square.pixels[9..<18]) == image.pixels)
        let tall = CLIPPreprocessor().expandToSquare(RGBImage(width: 1, height: 2, pixels: [1, 1, 1, 2, 2, 2]))
        #expect(tall.pixels == [1, 1, 1, 122, 116, 104, 2, 2, 2, 122, 116, 104])
    }
}
