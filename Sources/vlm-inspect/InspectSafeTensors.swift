import ArgumentParser
import Foundation
import SafeTensors

struct InspectSafeTensors: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "safetensors",
        abstract: "List the tensors (name, dtype, shape, data_offsets) and metadata of a safetensors file or sharded folder.")

    @Argument(help: "A .safetensors file, or a folder with model.safetensors.index.json, model.safetensors or *.safetensors files.")
    var path: String

    @Flag(help: "Print JSON: {\"metadata\": {...}, \"tensors\": [{\"name\", \"dtype\", \"shape\", \"data_offsets\"}]} (with \"file\" per tensor for a folder).")
    var json = false

    func run() throws {
        let checkpoint: SafeTensorsCheckpoint
        do {
            checkpoint = try SafeTensorsCheckpoint(path: path)
        } catch let error as SafeTensorsError {
            throw ValidationFailure(message: error.description)
        }
        var isFolder: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
        let rows = try checkpoint.names.map { name -> (TensorInfo, String) in
            (try checkpoint.info(name), URL(fileURLWithPath: try checkpoint.file(containing: name).path).lastPathComponent)
        }
        if json {
            var tensors: [[String: Any]] = []
            for (info, file) in rows {
                var entry: [String: Any] = ["name": info.name, "dtype": info.dtype.rawValue, "shape": info.shape,
                                            "data_offsets": [info.dataOffsets.begin, info.dataOffsets.end]]
                if isFolder.boolValue { entry["file"] = file }
                tensors.append(entry)
            }
            let object: [String: Any] = ["metadata": checkpoint.metadata, "tensors": tensors]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        if !checkpoint.metadata.isEmpty {
            print("metadata:")
            for key in checkpoint.metadata.keys.sorted() { print("  \(key): \(checkpoint.metadata[key]!)") }
        }
        let width = rows.map { $0.0.name.count }.max() ?? 4
        var total = 0
        for (info, file) in rows {
            let name = info.name.padding(toLength: width, withPad: " ", startingAt: 0)
            let shape = "[" + info.shape.map(String.init).joined(separator: ", ") + "]"
            let location = isFolder.boolValue ? "  \(file)" : ""
            print("\(name)  \(info.dtype.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(shape.padding(toLength: 18, withPad: " ", startingAt: 0)) [\(info.dataOffsets.begin), \(info.dataOffsets.end)]\(location)")
            total += info.elementCount
        }
        print("\(rows.count) tensors, \(total) elements")
    }
}

/// A user-facing failure: printed as one line on stderr with a non-zero exit, no stack trace.
struct ValidationFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
