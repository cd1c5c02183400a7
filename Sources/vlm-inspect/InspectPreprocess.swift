import ArgumentParser
import Foundation
import Imaging
import SafeTensors

/// Decode one image as PIL would and write the CLIP `pixel_values` LLaVA would feed the tower.
struct InspectPreprocess: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preprocess",
        abstract: "Decode an image (JPEG/PNG, as PIL's Image.open().convert('RGB')) and write CLIP pixel_values [3, S, S] f32 to safetensors.")

    @Option(help: "The image file (JPEG or PNG).")
    var image: String

    @Option(help: "Output .safetensors file; it holds one tensor, pixel_values.")
    var output: String

    @Option(help: "pad: LLaVA-1.5's expand2square with the mean colour before resizing; original: resize the image as it is.")
    var imageAspectRatio: String = "pad"

    @Option(help: "Model folder (or file) with preprocessor_config.json; default: openai/clip-vit-large-patch14-336's settings.")
    var model: String?

    func run() throws {
        guard let aspect = ImageAspectRatio(rawValue: imageAspectRatio) else {
            throw ValidationFailure(message: "--image-aspect-ratio must be pad or original, got '\(imageAspectRatio)'")
        }
        do {
            let config = try model.map { try CLIPPreprocessorConfig.load(path: $0) } ?? .clipViTL14_336
            let values = try CLIPPreprocessor(config: config).pixelValues(path: image, aspectRatio: aspect)
            try SafeTensorsWriter.write([TensorRecord(name: "pixel_values", tensor: values)],
                                        metadata: ["image": image, "image_aspect_ratio": aspect.rawValue], to: output)
            print("pixel_values [\(values.shape.map(String.init).joined(separator: ", "))] f32 -> \(output)")
        } catch let error as ImagingError {
            throw ValidationFailure(message: error.description)
        } catch let error as SafeTensorsError {
            throw ValidationFailure(message: error.description)
        }
    }
}
