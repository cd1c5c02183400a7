// The fields of a Hugging Face `preprocessor_config.json` that CLIP preprocessing reads, with
// transformers' CLIPImageProcessor defaults for keys a file leaves out. Mirrors
// huggingface/transformers src/transformers/models/clip/image_processing_pil_clip.py and
// image_processing_utils.get_size_dict (an int `size` means the shortest edge, an int `crop_size`
// a square).
import Foundation

public struct CLIPPreprocessorConfig: Equatable, Sendable {
    /// How the resize target is given.
    public enum ResizeTarget: Equatable, Sendable {
        case shortestEdge(Int)
        case exact(height: Int, width: Int)
    }

    public var doResize = true
    public var size = ResizeTarget.shortestEdge(224)
    public var resample = ResampleFilter.bicubic
    public var doCenterCrop = true
    public var cropHeight = 224
    public var cropWidth = 224
    public var doRescale = true
    public var rescaleFactor = 1.0 / 255.0
    public var doNormalize = true
    public var imageMean = [0.48145466, 0.4578275, 0.40821073]  // OPENAI_CLIP_MEAN
    public var imageStd = [0.26862954, 0.26130258, 0.27577711]  // OPENAI_CLIP_STD

    public init() {}

    /// openai/clip-vit-large-patch14-336, the tower of LLaVA-1.5: shortest edge 336, crop 336.
    public static var clipViTL14_336: CLIPPreprocessorConfig {
        var config = CLIPPreprocessorConfig()
        config.size = .shortestEdge(336)
        config.cropHeight = 336
        config.cropWidth = 336
        return config
    }

    /// Reads `preprocessor_config.json` from a model folder, or the file itself.
    public static func load(path: String) throws -> CLIPPreprocessorConfig {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ImagingError.invalidConfiguration(path: path, key: "", reason: "no such file or folder")
        }
        let file = isDirectory.boolValue ? (path as NSString).appendingPathComponent("preprocessor_config.json") : path
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ImagingError.invalidConfiguration(path: file, key: "", reason: "missing or unreadable; a model folder needs preprocessor_config.json")
        }
        return try parse(data, path: file)
    }

    public static func parse(_ data: Data, path: String) throws -> CLIPPreprocessorConfig {
        guard let object = try? JSONSerialization.jsonObject(with: data), let json = object as? [String: Any] else {
            throw ImagingError.invalidConfiguration(path: path, key: "", reason: "not a JSON object")
        }
        let reader = KeyReader(json: json, path: path)
        var config = CLIPPreprocessorConfig()
        config.doResize = try reader.bool("do_resize") ?? config.doResize
        config.doCenterCrop = try reader.bool("do_center_crop") ?? config.doCenterCrop
        config.doRescale = try reader.bool("do_rescale") ?? config.doRescale
        config.doNormalize = try reader.bool("do_normalize") ?? config.doNormalize
        config.rescaleFactor = try reader.number("rescale_factor") ?? config.rescaleFactor
        if let code = try reader.integer("resample") {
            guard let filter = ResampleFilter(rawValue: code), filter != .nearest else {
                throw reader.error("resample", "\(code) is not supported; use 1 (lanczos), 2 (bilinear), 3 (bicubic), 4 (box) or 5 (hamming)")
            }
            config.resample = filter
        }
        if let size = try reader.size("size") {
            switch size {
            case .square(let edge): config.size = .shortestEdge(edge)  // CLIP reads an int with default_to_square=False
            case .shortestEdge(let edge): config.size = .shortestEdge(edge)
            case .exact(let height, let width): config.size = .exact(height: height, width: width)
            }
        }
        if let crop = try reader.size("crop_size") {
            switch crop {
            case .square(let edge): (config.cropHeight, config.cropWidth) = (edge, edge)
            case .exact(let height, let width): (config.cropHeight, config.cropWidth) = (height, width)
            case .shortestEdge: throw reader.error("crop_size", "needs height and width (or one integer)")
            }
        }
        config.imageMean = try reader.channels("image_mean") ?? config.imageMean
        config.imageStd = try reader.channels("image_std") ?? config.imageStd
        if config.imageStd.contains(0) { throw reader.error("image_std", "must not contain 0") }
        return config
    }
}

/// Typed access to the JSON values, with errors that name the file and key.
private struct KeyReader {
    enum Size { case square(Int), shortestEdge(Int), exact(height: Int, width: Int) }

    let json: [String: Any]
    let path: String

    func error(_ key: String, _ reason: String) -> ImagingError {
        .invalidConfiguration(path: path, key: key, reason: reason)
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = json[key], !(value is NSNull) else { return nil }
        // JSONSerialization gives NSNumber for both; a CFBoolean prints as 0/1, so accept 0 and 1 too.
        guard let number = value as? NSNumber, number == 0 || number == 1 else { throw error(key, "must be true or false") }
        return number.boolValue
    }

    func number(_ key: String) throws -> Double? {
        guard let value = json[key], !(value is NSNull) else { return nil }
        guard let number = value as? NSNumber else { throw error(key, "must be a number") }
        return number.doubleValue
    }

    func integer(_ key: String) throws -> Int? {
        guard let value = try number(key) else { return nil }
        guard value == value.rounded(), abs(value) < 1e9 else { throw error(key, "must be an integer") }
        return Int(value)
    }

    func positive(_ value: Any?, _ key: String) throws -> Int {
        guard let number = value as? NSNumber, number.doubleValue == number.doubleValue.rounded(),
              number.doubleValue >= 1, number.doubleValue < 1e6 else {
            throw error(key, "must be a positive integer")
        }
        return number.intValue
    }

    func size(_ key: String) throws -> Size? {
        guard let value = json[key], !(value is NSNull) else { return nil }
        if value is NSNumber { return .square(try positive(value, key)) }
        guard let dictionary = value as? [String: Any] else { throw error(key, "must be an integer or an object") }
        if dictionary["longest_edge"] != nil && !(dictionary["longest_edge"] is NSNull) {
            throw error(key, "longest_edge is not supported (CLIP uses shortest_edge)")
        }
        if let edge = dictionary["shortest_edge"], !(edge is NSNull) {
            return .shortestEdge(try positive(edge, key + ".shortest_edge"))
        }
        if dictionary["height"] != nil || dictionary["width"] != nil {
            return .exact(height: try positive(dictionary["height"], key + ".height"),
                          width: try positive(dictionary["width"], key + ".width"))
        }
        throw error(key, "needs shortest_edge, or height and width")
    }

    func channels(_ key: String) throws -> [Double]? {
        guard let value = json[key], !(value is NSNull) else { return nil }
        if let single = value as? NSNumber { return Array(repeating: single.doubleValue, count: 3) }
        guard let list = value as? [Any], list.count == 3 else { throw error(key, "must be a list of 3 numbers") }
        return try list.map {
            guard let number = $0 as? NSNumber else { throw error(key, "must be a list of 3 numbers") }
            return number.doubleValue
        }
    }
}
