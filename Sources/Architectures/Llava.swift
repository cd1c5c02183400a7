// LLaVA assembly: CLIP tower -> selected hidden state (CLS dropped for "default"/"patch") ->
// projector -> image features spliced into the token embeddings. Mirrors
// haotian-liu/LLaVA llava/model/llava_arch.py (`encode_images`,
// `prepare_inputs_labels_for_multimodal`: each -200 placeholder is replaced by the P features
// of the next image) and transformers' modeling_llava.py (each `image_token_index` token is
// replaced, in order, by the next feature row).

import Layers
import TensorCore

/// LLaVA's IMAGE_TOKEN_INDEX: the placeholder id `tokenizer_image_token` puts for `<image>`.
public let imagePlaceholderId = -200

public enum LlavaLayout: String, Sendable {
    /// llava-hf LlavaForConditionalGeneration
    case huggingFace
    /// haotian-liu/LLaVA LlavaLlamaForCausalLM with a separate CLIP folder
    case original
}

public struct LlavaModel: @unchecked Sendable {
    public let layout: LlavaLayout
    public var visionTower: CLIPVisionTower
    /// Hidden-state indices read from the tower (concatenated along features).
    public let visionFeatureLayers: [Int]
    public let dropsClassToken: Bool
    public var projector: Projector
    public var language: LlamaModel
    /// llava-hf's image token; nil for the original layout (which only knows -200).
    public let imageTokenIndex: Int?
    /// Folder whose preprocessor_config.json preprocesses images for this model.
    public let preprocessorFolder: String
    /// The config's image_aspect_ratio (original layout), e.g. "pad".
    public let imageAspectRatio: String?
    /// The key prefix of the tower's tensors in the model's own weight files (e.g.
    /// "vision_tower."); nil when the tower lives in a separate CLIP folder (original layout).
    public var visionTowerKeyPrefix: String? = nil

    /// Features per image, P.
    public var featuresPerImage: Int { visionTower.configuration.patchCount + (dropsClassToken ? 0 : 1) }

    /// pixels [3, S, S] -> (selected tower state [P, Cv * layers], projected features [P, C])
    public func encodeImage(_ pixels: Tensor) throws -> (visionHidden: Tensor, features: Tensor) {
        let states = try visionTower.hiddenStates(pixels: pixels, indices: visionFeatureLayers)
        let rows = featuresPerImage
        let first = dropsClassToken ? 1 : 0
        let width = states.reduce(0) { $0 + $1.lastDimension }
        var selected = [Float](repeating: 0, count: rows * width)
        var column = 0
        for state in states {
            let w = state.lastDimension
            for r in 0..<rows {
                for c in 0..<w { selected[r * width + column + c] = state.storage[(r + first) * w + c] }
            }
            column += w
        }
        let hidden = Tensor(shape: [rows, width], storage: selected)
        return (hidden, projector(hidden))
    }

    /// Token embeddings with image features spliced in: ids may hold -200 (one whole image)
    /// and, for llava-hf, image_token_index (one feature row each, in order). Every feature row
    /// of `imageFeatures` ([P, C] each) must be used exactly once. -> [L, C]
    public func embed(ids: [Int], imageFeatures: [Tensor]) throws -> Tensor {
        let width = language.configuration.hiddenSize
        let rowsPerImage = featuresPerImage
        let placeholders = ids.filter { $0 == imagePlaceholderId }.count
        let imageTokens = imageTokenIndex.map { token in ids.filter { $0 == token }.count } ?? 0
        guard imageTokens % rowsPerImage == 0 else {
            throw ArchitecturesError.imageTokenCount(found: imageTokens, expectedMultipleOf: rowsPerImage)
        }
        guard placeholders + imageTokens / rowsPerImage == imageFeatures.count else {
            throw ArchitecturesError.imageCountMismatch(placeholders: placeholders + imageTokens / rowsPerImage, images: imageFeatures.count)
        }
        precondition(imageFeatures.allSatisfy { $0.shape == [rowsPerImage, width] }, "image features must be [\(rowsPerImage), \(width)]")
        var out: [Float] = []
        out.reserveCapacity((ids.count + placeholders * rowsPerImage) * width)
        var (image, row) = (0, 0)  // cursor over the rows of all images
        var text: [Int] = []
        func flushText() throws {
            if !text.isEmpty { out += try language.embed(text).storage; text.removeAll() }
        }
        for id in ids {
            if id == imagePlaceholderId {
                try flushText()
                guard row == 0 else { throw ArchitecturesError.imageTokenCount(found: imageTokens, expectedMultipleOf: rowsPerImage) }
                out += imageFeatures[image].storage
                image += 1
            } else if id == imageTokenIndex {
                try flushText()
                out += imageFeatures[image].storage[(row * width)..<((row + 1) * width)]
                row += 1
                if row == rowsPerImage { (image, row) = (image + 1, 0) }
            } else {
                text.append(id)
            }
        }
        try flushText()
        return Tensor(shape: [out.count / width, width], storage: out)
    }

    /// Logits [L, V] of a prompt (ids with placeholders) and one pixel tensor per image.
    public func logits(ids: [Int], pixels: [Tensor]) throws -> Tensor {
        let features = try pixels.map { try encodeImage($0).features }
        return language.logits(language.forward(embeddings: try embed(ids: ids, imageFeatures: features)))
    }

    /// The language model's linears by module path ("model.language_model.layers.0.self_attn.q_proj"
    /// for llava-hf, "model.layers.0.self_attn.q_proj" for the original layout).
    public var namedLinears: [(name: String, path: WritableKeyPath<LlavaModel, Linear>)] {
        language.namedLinears.map { ($0.name, (\LlavaModel.language).appending(path: $0.path)) }
    }
}
