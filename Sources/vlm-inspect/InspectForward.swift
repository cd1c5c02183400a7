import ArgumentParser
import Architectures
import Foundation
import SafeTensors
import TensorCore

/// One forward pass of a model folder on given token ids (and pixel tensors), written to
/// safetensors for comparison with another implementation.
struct InspectForward: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Run a model on token ids (with -200 image placeholders) and pixel values; write logits and intermediate features to safetensors.")

    @Option(help: "Model folder: llava-hf, haotian-liu/LLaVA (llava_llama) or LlamaForCausalLM.")
    var model: String

    @Option(help: "Comma-separated token ids; -200 marks an image (LLaVA's placeholder). llava-hf's image_token_index is accepted too.")
    var inputIds: String

    @Option(help: "A safetensors file holding 'pixel_values' [N, 3, S, S] or [3, S, S]; repeat for more images, in prompt order.")
    var pixelValues: [String] = []

    @Option(help: "Output .safetensors: logits f32 [T, V], input_ids i64, and for LLaVA image_features f32 [P*images, C], vision_hidden f32 [P*images, Cv].")
    var output: String

    func run() throws {
        let ids = try parseIds()
        do {
            var records: [TensorRecord] = [TensorRecord(name: "input_ids", int64s: ids.map(Int64.init), shape: [ids.count])]
            var metadata = ["model": model]
            switch try ModelLoader.load(folder: model) {
            case let .llava(llava):
                let images = try loadPixels()
                let encoded = try images.map { try llava.encodeImage($0) }
                let features = encoded.map(\.features)
                let logits = llava.language.logits(llava.language.forward(embeddings: try llava.embed(ids: ids, imageFeatures: features)))
                records.append(TensorRecord(name: "logits", tensor: logits))
                if !encoded.isEmpty {
                    records.append(TensorRecord(name: "image_features", tensor: stacked(features)))
                    records.append(TensorRecord(name: "vision_hidden", tensor: stacked(encoded.map(\.visionHidden))))
                }
                metadata["layout"] = llava.layout.rawValue
            case let .llama(llama):
                guard pixelValues.isEmpty else { throw ValidationFailure(message: "\(model) is a text-only LLaMA; drop --pixel-values") }
                records.append(TensorRecord(name: "logits", tensor: llama.logits(llama.forward(embeddings: try llama.embed(ids)))))
                metadata["layout"] = "llama"
            case .visionTower:
                throw ValidationFailure(message: "\(model) is a CLIP vision tower, not a language model")
            }
            try SafeTensorsWriter.write(records, metadata: metadata, to: output)
        } catch let error as ArchitecturesError {
            throw ValidationFailure(message: error.description)
        } catch let error as SafeTensorsError {
            throw ValidationFailure(message: error.description)
        }
    }

    private func parseIds() throws -> [Int] {
        let parts = inputIds.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let ids = parts.compactMap { Int($0) }
        guard !ids.isEmpty, ids.count == parts.count else {
            throw ValidationFailure(message: "--input-ids must be comma-separated integers, got '\(inputIds)'")
        }
        return ids
    }

    /// Every image of every --pixel-values file as its own [3, S, S] tensor.
    private func loadPixels() throws -> [Tensor] {
        var images: [Tensor] = []
        for path in pixelValues {
            let file = try SafeTensorsFile(path: path)
            guard file.contains("pixel_values") else {
                throw ValidationFailure(message: "\(path) has no tensor named 'pixel_values' (found: \(file.names.joined(separator: ", ")))")
            }
            let tensor = try file.tensor("pixel_values")
            let shape = tensor.shape
            guard shape.count == 3 || shape.count == 4 else {
                throw ValidationFailure(message: "\(path): pixel_values has shape \(shape); expected [N, 3, S, S] or [3, S, S]")
            }
            let perImage = shape.suffix(3).reduce(1, *)
            for n in 0..<(tensor.count / perImage) {
                images.append(Tensor(shape: Array(shape.suffix(3)), storage: Array(tensor.storage[(n * perImage)..<((n + 1) * perImage)])))
            }
        }
        return images
    }

    private func stacked(_ tensors: [Tensor]) -> Tensor {
        let width = tensors[0].lastDimension
        let storage = tensors.flatMap(\.storage)
        return Tensor(shape: [storage.count / width, width], storage: storage)
    }
}
