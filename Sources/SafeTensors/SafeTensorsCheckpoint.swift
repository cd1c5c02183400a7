import Foundation
import TensorCore

/// The tensors of a model, in one file or sharded across several. Opened from:
///   - a `.safetensors` file;
///   - a folder with `model.safetensors.index.json` (`{"metadata": {...}, "weight_map":
///     {tensor: shard file}}`, Hugging Face's sharded layout): every shard is opened and every
///     mapped tensor must be in the shard that the index names;
///   - a folder with `model.safetensors`;
///   - otherwise a folder's `*.safetensors` files together (names must not repeat).
public final class SafeTensorsCheckpoint: @unchecked Sendable {
    public let path: String
    /// Shards in the order listed (index order, or file-name order).
    public let files: [SafeTensorsFile]
    /// Metadata of a single file, or the index's "metadata" object rendered as strings.
    public let metadata: [String: String]
    private let location: [String: Int]

    public static let indexFileName = "model.safetensors.index.json"

    public init(path: String) throws {
        self.path = path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw SafeTensorsError.cannotOpen(path: path, reason: "no such file or folder")
        }
        if !isFolder.boolValue {
            let file = try SafeTensorsFile(path: path)
            files = [file]
            metadata = file.metadata
            location = Dictionary(uniqueKeysWithValues: file.names.map { ($0, 0) })
            return
        }
        let folder = URL(fileURLWithPath: path)
        let index = folder.appendingPathComponent(Self.indexFileName).path
        if FileManager.default.fileExists(atPath: index) {
            (files, metadata, location) = try Self.openIndexed(index: index, folder: folder)
            return
        }
        let single = folder.appendingPathComponent("model.safetensors").path
        let shardPaths: [String]
        if FileManager.default.fileExists(atPath: single) {
            shardPaths = [single]
        } else {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            shardPaths = names.filter { $0.hasSuffix(".safetensors") }.sorted().map { folder.appendingPathComponent($0).path }
        }
        guard !shardPaths.isEmpty else { throw SafeTensorsError.noSafeTensorsFiles(folder: path) }
        files = try shardPaths.map { try SafeTensorsFile(path: $0) }
        metadata = files.count == 1 ? files[0].metadata : [:]
        var location: [String: Int] = [:]
        for (i, file) in files.enumerated() {
            for name in file.names {
                if let other = location[name] {
                    throw SafeTensorsError.invalidIndex(path: path, reason: "tensor '\(name)' is in both \(files[other].path) and \(file.path)")
                }
                location[name] = i
            }
        }
        self.location = location
    }

    private static func openIndexed(index: String, folder: URL) throws
        -> ([SafeTensorsFile], [String: String], [String: Int]) {
        let root: [String: Any]
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: index))
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw SafeTensorsError.invalidIndex(path: index, reason: "not a JSON object")
            }
            root = object
        } catch let error as SafeTensorsError {
            throw error
        } catch {
            throw SafeTensorsError.invalidIndex(path: index, reason: "not valid JSON")
        }
        guard let weightMap = root["weight_map"] as? [String: String] else {
            throw SafeTensorsError.invalidIndex(path: index, reason: "missing 'weight_map' object of tensor name -> file name")
        }
        var metadata: [String: String] = [:]
        for (key, value) in (root["metadata"] as? [String: Any]) ?? [:] { metadata[key] = "\(value)" }
        let shardNames = Array(Set(weightMap.values)).sorted()
        var files: [SafeTensorsFile] = []
        var shardIndex: [String: Int] = [:]
        for name in shardNames {
            guard !name.contains("/") || !name.hasPrefix("/") else {
                throw SafeTensorsError.invalidIndex(path: index, reason: "shard '\(name)' must be a path relative to the folder")
            }
            shardIndex[name] = files.count
            files.append(try SafeTensorsFile(path: folder.appendingPathComponent(name).path))
        }
        var location: [String: Int] = [:]
        for (tensor, shard) in weightMap {
            let i = shardIndex[shard]!
            guard files[i].contains(tensor) else {
                throw SafeTensorsError.invalidIndex(path: index, reason: "tensor '\(tensor)' is mapped to \(shard), which does not contain it")
            }
            location[tensor] = i
        }
        return (files, metadata, location)
    }

    /// All tensor names, sorted.
    public var names: [String] { location.keys.sorted() }

    public func contains(_ name: String) -> Bool { location[name] != nil }

    public func file(containing name: String) throws -> SafeTensorsFile {
        guard let i = location[name] else { throw SafeTensorsError.missingTensor(name: name, path: path) }
        return files[i]
    }

    public func info(_ name: String) throws -> TensorInfo { try file(containing: name).info(name) }

    public func tensor(_ name: String) throws -> Tensor { try file(containing: name).tensor(name) }

    public func convert(_ name: String, into destination: UnsafeMutablePointer<Float>) throws {
        try file(containing: name).convert(name, into: destination)
    }
}
