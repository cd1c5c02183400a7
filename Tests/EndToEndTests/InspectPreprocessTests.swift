import Foundation
import SafeTensors
import Testing

/// `vlm-inspect preprocess`: writes pixel_values [3, S, S]; bad images exit non-zero with a
/// message naming the file.
@Suite struct InspectPreprocessTests {
    let inspect = Executable(name: "vlm-inspect")

    @Test func writesPixelValuesForBothPaddingModes() throws {
        let folder = try temporaryFolder("preprocess")
        for mode in ["pad", "original"] {
            let output = folder + "/\(mode).safetensors"
            let result = try inspect.run(["preprocess", "--image", fixturePath("inference", "images/tall.jpg"), "--output", output,
                                          "--image-aspect-ratio", mode, "--model", fixturePath("inference", "llava-hf")])
            #expect(result.status == 0, "\(result.stderr)")
            let info = try SafeTensorsFile(path: output).info("pixel_values")
            #expect(info.dtype == .f32 && info.shape.count == 3 && info.shape[0] == 3 && info.shape[1] == info.shape[2])
        }
    }

    @Test(arguments: ["bad/truncated.jpg", "bad/garbage.png", "bad/empty.jpg", "bad/image.gif", "missing.png"])
    func badImagesExitNonZero(name: String) throws {
        let path = fixturePath("imaging", name)
        let result = try inspect.run(["preprocess", "--image", path, "--output", try temporaryFolder("bad") + "/x.safetensors"])
        #expect(result.status != 0)
        #expect(result.stderr.contains(URL(fileURLWithPath: path).lastPathComponent), "\(result.stderr)")
    }
}
