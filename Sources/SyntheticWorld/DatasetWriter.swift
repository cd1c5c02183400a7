import Foundation

/// Writes the generated files under one output folder: images through the configured
/// encoder, JSON / JSON Lines / TSV text, and the scene graph of every image.
final class DatasetWriter {
    let root: URL
    let encoder: any ImageEncoder
    let jpegQuality: Int
    /// Scene graphs by set, written at the end as `scenes/<set>.jsonl`.
    private var scenes: [String: [(String, Scene)]] = [:]
    private(set) var filesWritten = 0
    private(set) var bytesWritten = 0

    init(root: URL, encoder: any ImageEncoder, jpegQuality: Int) {
        self.root = root
        self.encoder = encoder
        self.jpegQuality = jpegQuality
    }

    /// The extension images get where the official layout has JPEGs.
    var photoExtension: String { encoder.canEncodeJPEG ? "jpg" : "png" }

    /// Renders `scene` and writes it at `relativePath` (its extension picks PNG or JPEG).
    /// Returns the encoded bytes (MMBench embeds them).
    @discardableResult
    func writeImage(_ scene: Scene, to relativePath: String, sceneSet: String, sceneKey: String) throws -> Data {
        let pixels = SceneRenderer.render(scene)
        let data = relativePath.hasSuffix(".jpg")
            ? try encoder.encodeJPEG(rgb: pixels, width: scene.width, height: scene.height, quality: jpegQuality)
            : try encoder.encodePNG(rgb: pixels, width: scene.width, height: scene.height)
        try write(data, to: relativePath)
        scenes[sceneSet, default: []].append((sceneKey, scene))
        return data
    }

    /// Encodes without writing a file (MMBench images live inside the TSV).
    func encodedImage(_ scene: Scene, sceneSet: String, sceneKey: String) throws -> Data {
        let pixels = SceneRenderer.render(scene)
        scenes[sceneSet, default: []].append((sceneKey, scene))
        return encoder.canEncodeJPEG
            ? try encoder.encodeJPEG(rgb: pixels, width: scene.width, height: scene.height, quality: jpegQuality)
            : try encoder.encodePNG(rgb: pixels, width: scene.width, height: scene.height)
    }

    func writeJSON(_ value: JSONValue, to relativePath: String, indent: Int? = nil) throws {
        try write(Data((value.serialized(indent: indent) + (indent == nil ? "" : "\n")).utf8), to: relativePath)
    }

    func writeJSONLines(_ values: [JSONValue], to relativePath: String) throws {
        try write(Data(values.map { $0.serialized() + "\n" }.joined().utf8), to: relativePath)
    }

    func writeText(_ text: String, to relativePath: String) throws {
        try write(Data(text.utf8), to: relativePath)
    }

    /// Writes `scenes/<set>.jsonl`: one `{"key", "scene"}` line per image, the ground truth.
    func flushScenes() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for (set, entries) in scenes.sorted(by: { $0.key < $1.key }) {
            var text = ""
            for (key, scene) in entries {
                let sceneJSON = String(decoding: try encoder.encode(scene), as: UTF8.self)
                text += "{\"key\": \(JSONValue.string(key).serialized()), \"scene\": \(sceneJSON)}\n"
            }
            try writeText(text, to: "scenes/\(set).jsonl")
        }
        scenes.removeAll()
    }

    private func write(_ data: Data, to relativePath: String) throws {
        let url = root.appendingPathComponent(relativePath)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url, options: .atomic)
        } catch {
            throw SyntheticWorldError.cannotWrite(path: url.path, reason: (error as NSError).localizedDescription)
        }
        filesWritten += 1
        bytesWritten += data.count
    }
}
