import Foundation

/// What can go wrong setting up or running generation. Each message names the file or input
/// at fault and says what to do.
public enum GenerationError: Error, CustomStringConvertible, Equatable {
    case notALanguageModel(path: String)
    case imagesNeedVisionModel(path: String)
    case imageCountMismatch(placeholders: Int, images: Int)
    case invalidOption(String)

    public var description: String {
        switch self {
        case let .notALanguageModel(path):
            return "\(path) is a CLIP vision tower, not a language model; pass a LLaVA or LLaMA model folder"
        case let .imagesNeedVisionModel(path):
            return "\(path) is a text-only LLaMA model; it cannot take images (drop the image)"
        case let .imageCountMismatch(placeholders, images):
            return "the prompt has \(placeholders) <image> placeholder(s) but \(images) image(s) were given; give one image per <image>"
        case let .invalidOption(message):
            return message
        }
    }
}
