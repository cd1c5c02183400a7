import ArgumentParser
import Architectures
import Decoding
import Foundation
import Imaging
import SafeTensors
import TensorCore
import Tokenization

/// One forward pass of a model folder on given token ids (and pixel tensors), or on a prompt
/// (tokenized verbatim as tokenizer_image_token does, no template) and image files preprocessed
/// as the model's CLIP config says, written to safetensors for comparison with another
/// implementation. An adapter folder may be applied first.
struct InspectForward: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Run a model on token ids or a prompt (with -200 / <image> placeholders) and images; write logits and intermediate features to safetensors.")

    @Option(help: "Model folder: llava-hf, haotian-liu/LLaVA (llava_llama) or LlamaForCausalLM.")
    var model: String

    @Option(help: "Comma-separated token ids; -200 marks an image (LLaVA's placeholder). llava-hf's image_token_index is accepted too.")
    var inputIds: String?

    @Option(help: "A prompt, used verbatim (no template): tokenized as LLaVA's tokenizer_image_token does, <image> -> -200.")
    var prompt: String?

    @Option(help: "An image file for the next <image> of --prompt; repeat in prompt order.")
    var image: [String] = []

    @Option(help: "pad (expand2square) or original; default: the model's image_aspect_ratio, else pad.")
    var imageAspectRatio: String?

    @Option(help: "A PEFT LoRA adapter folder to apply (with residual_weights.safetensors for PiSSA/MiLoRA).")
    var adapter: String?

    @Flag(help: "Merge the adapter into the base weights instead of running it beside them.")
    var mergeAdapter = false

    @Option(help: "A safetensors file holding 'pixel_values' [N, 3, S, S] or [3, S, S]; repeat for more images, in prompt order.")
    var pixelValues: [String] = []

    @Option(help: "Output .safetensors: logits f32 [T, V], input_ids i64, and for LLaVA image_features f32 [P*images, C], vision_hidden f32 [P*images, Cv].")
    var output: String

    func validate() throws {
        guard (inputIds == nil) != (prompt == nil) else { throw ValidationError("give exactly one of --input-ids and --prompt") }
        if prompt == nil && !image.isEmpty { throw ValidationError("--image goes with --prompt; with --input-ids pass --pixel-values") }
        if prompt != nil && !pixelValues.isEmpty { throw ValidationError("--pixel-values goes with --input-ids; with --prompt pass --image") }
        if let ratio = imageAspectRatio, ImageAspectRatio(rawValue: ratio) == nil { throw ValidationError("--image-aspect-ratio must be pad or original") }
    }

    func run() throws {
        do {
            var loaded = try ModelLoader.load(folder: model)
            if let adapter {
                let mode: AdapterApplicationMode = mergeAdapter ? .merge : .attach
                switch loaded {
                case var .llava(llava): try llava.applyAdapter(folder: adapter, mode: mode); loaded = .llava(llava)
                case var .llama(llama): try llama.applyAdapter(folder: adapter, mode: mode); loaded = .llama(llama)
                case .visionTower: throw ValidationFailure(message: "\(model) is a CLIP vision tower; adapters apply to language models")
                }
            }
            let ids: [Int]
            if let prompt {
                let sessionModel: SessionModel
                switch loaded {
                case let .llava(llava): sessionModel = .llava(llava)
                case let .llama(llama): sessionModel = .llama(llama)
                case .visionTower: throw ValidationFailure(message: "\(model) is a CLIP vision tower, not a language model")
                }
                ids = try VLMSession.loadTokenizer(folder: model, for: sessionModel).encodeWithImagePlaceholders(prompt)
            } else {
                ids = try parseIds(inputIds ?? "")
            }
            var records: [TensorRecord] = [TensorRecord(name: "input_ids", int64s: ids.map(Int64.init), shape: [ids.count])]
            var metadata = ["model": model]
            if let adapter { metadata["adapter"] = adapter }
            if let prompt { metadata["prompt"] = prompt }
            switch loaded {
            case let .llava(llava):
                let images = prompt == nil ? try loadPixels() : try preprocessImages(llava)
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
                guard pixelValues.isEmpty && image.isEmpty else { throw ValidationFailure(message: "\(model) is a text-only LLaMA; drop --pixel-values / --image") }
                records.append(TensorRecord(name: "logits", tensor: llama.logits(llama.forward(embeddings: try llama.embed(ids)))))
                metadata["layout"] = "llama"
            case .visionTower:
                throw ValidationFailure(message: "\(model) is a CLIP vision tower, not a language model")
            }
            try SafeTensorsWriter.write(records, metadata: metadata, to: output)
        } catch let error as ValidationFailure {
            throw error
        } catch let error as CustomStringConvertible {
            throw ValidationFailure(message: error.description)
        }
    }

    /// The --image files through the model's CLIP preprocessing.
    private func preprocessImages(_ llava: LlavaModel) throws -> [Tensor] {
        guard !image.isEmpty else { return [] }
        let (preprocessor, _) = try VLMSession.imagePreprocessor(for: llava)
        let aspect = imageAspectRatio.flatMap(ImageAspectRatio.init) ?? VLMSession.defaultAspectRatio(for: llava)
        return try image.map { try preprocessor.pixelValues(path: $0, aspectRatio: aspect) }
    }

    private func parseIds(_ inputIds: String) throws -> [Int] {
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
