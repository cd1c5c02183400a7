import SafeTensors

/// Everything that can be wrong with a model folder, its config or its weights. Messages name
/// the file and key and say what to do.
public enum ArchitecturesError: Error, CustomStringConvertible {
    case cannotReadConfig(path: String, reason: String)
    case invalidConfig(path: String, key: String, reason: String)
    case unknownModelType(path: String, modelType: String)
    case missingVisionTower(modelPath: String, visionTower: String, tried: [String])
    case checkpoint(path: String, underlying: SafeTensorsError)
    case weightMismatch([WeightReport])
    case imageSize(expected: Int, found: [Int])
    case imageCountMismatch(placeholders: Int, images: Int)
    case imageTokenCount(found: Int, expectedMultipleOf: Int)
    case tokenOutOfRange(id: Int, vocabularySize: Int)

    public var description: String {
        switch self {
        case let .cannotReadConfig(path, reason):
            return "\(path): cannot read the model config: \(reason)"
        case let .invalidConfig(path, key, reason):
            return "\(path): key '\(key)': \(reason)"
        case let .unknownModelType(path, modelType):
            return "\(path): unknown model_type '\(modelType)'; supported: llava (LlavaForConditionalGeneration), llava_llama (haotian-liu/LLaVA), llama (LlamaForCausalLM), clip / clip_vision_model (CLIP vision tower)"
        case let .missingVisionTower(modelPath, tower, tried):
            return "\(modelPath): mm_vision_tower '\(tower)' names no CLIP folder with config.json (looked in: \(tried.joined(separator: ", "))); download the CLIP model there or set mm_vision_tower in config.json to its path"
        case let .checkpoint(path, underlying):
            return "\(path): \(underlying.description)"
        case let .weightMismatch(reports):
            return reports.map(\.description).joined(separator: "\n")
        case let .imageSize(expected, found):
            return "pixel values of shape \(found) do not match the vision tower: it needs [3, \(expected), \(expected)] (or [1, 3, \(expected), \(expected)]); preprocess the image with the model's preprocessor_config.json"
        case let .imageCountMismatch(placeholders, images):
            return "the prompt has \(placeholders) image placeholder(s) but \(images) image(s) were given; give one image per <image> placeholder"
        case let .imageTokenCount(found, multiple):
            return "the prompt has \(found) image tokens, which is not a whole number of images of \(multiple) patches each"
        case let .tokenOutOfRange(id, vocabularySize):
            return "token id \(id) is outside the vocabulary of \(vocabularySize) (the image placeholder is -200)"
        }
    }
}

/// Every disagreement between one checkpoint and the model built from its config.
public struct WeightReport: Sendable, CustomStringConvertible {
    public struct Misshapen: Sendable {
        public var key: String
        public var expected: [Int]
        public var found: [Int]
    }

    public var path: String
    public var missing: [String] = []
    public var unexpected: [String] = []
    public var misshapen: [Misshapen] = []
    /// Keys whose dtype cannot be read as floats.
    public var unreadable: [String] = []

    public var isEmpty: Bool { missing.isEmpty && unexpected.isEmpty && misshapen.isEmpty && unreadable.isEmpty }

    public var description: String {
        var lines = ["\(path): the checkpoint does not match the model built from config.json (\(missing.count) missing, \(unexpected.count) unexpected, \(misshapen.count) mis-shaped, \(unreadable.count) unreadable tensors):"]
        if !missing.isEmpty { lines.append("  missing: " + missing.joined(separator: ", ")) }
        if !unexpected.isEmpty { lines.append("  unexpected: " + unexpected.joined(separator: ", ")) }
        for m in misshapen { lines.append("  wrong shape: \(m.key) is \(m.found), the config needs \(m.expected)") }
        if !unreadable.isEmpty { lines.append("  not a float dtype: " + unreadable.joined(separator: ", ")) }
        lines.append("  check that config.json belongs to these weights and that the folder holds every shard")
        return lines.joined(separator: "\n")
    }
}
