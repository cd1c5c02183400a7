import Foundation
import Testing
@testable import SafeTensors

/// Every kind of broken file gives a typed error, never a crash.
@Suite struct MalformedFileTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bad-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    /// A file with the given header text and `dataBytes` bytes of data after it.
    func file(header: String, dataBytes: Int = 0, declaredLength: UInt64? = nil, name: String = #function) throws -> String {
        var bytes = Data()
        var length = (declaredLength ?? UInt64(header.utf8.count)).littleEndian
        withUnsafeBytes(of: &length) { bytes.append(contentsOf: $0) }
        bytes.append(Data(header.utf8))
        bytes.append(Data(repeating: 0, count: dataBytes))
        let path = folder.appendingPathComponent(name.filter(\.isLetter) + ".safetensors").path
        try bytes.write(to: URL(fileURLWithPath: path))
        return path
    }

    func openError(_ path: String) -> SafeTensorsError? {
        do { _ = try SafeTensorsFile(path: path); return nil } catch { return error as? SafeTensorsError }
    }

    @Test func truncatedFile() throws {
        let path = folder.appendingPathComponent("short.safetensors").path
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        guard case .fileTooSmall = openError(path) else { Issue.record("expected fileTooSmall"); return }
        let empty = folder.appendingPathComponent("empty.safetensors").path
        try Data().write(to: URL(fileURLWithPath: empty))
        guard case .fileTooSmall = openError(empty) else { Issue.record("expected fileTooSmall for an empty file"); return }
    }

    @Test func truncatedData() throws {
        let path = try file(header: #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, dataBytes: 8)
        guard case .offsetsOutOfRange(_, "w", 0, 16, 8) = openError(path) else { Issue.record("expected offsetsOutOfRange"); return }
    }

    @Test func headerLengthBeyondFile() throws {
        let path = try file(header: "{}", declaredLength: 1 << 40)
        guard case .headerLengthBeyondFile = openError(path) else { Issue.record("expected headerLengthBeyondFile"); return }
    }

    @Test func invalidJSON() throws {
        let path = try file(header: #"{"w": {"dtype": "F32", "#)
        guard case .invalidHeaderJSON = openError(path) else { Issue.record("expected invalidHeaderJSON"); return }
        let array = try file(header: "[1, 2]", name: "array")
        guard case .invalidHeaderJSON = openError(array) else { Issue.record("expected invalidHeaderJSON for an array"); return }
    }

    @Test func unknownDType() throws {
        let path = try file(header: #"{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}"#, dataBytes: 16)
        guard case .unknownDType(_, "w", "F128") = openError(path) else { Issue.record("expected unknownDType"); return }
    }

    @Test func overlappingTensors() throws {
        let path = try file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, dataBytes: 12)
        guard case .overlappingTensors = openError(path) else { Issue.record("expected overlappingTensors"); return }
    }

    @Test func gapsAndTrailingBytes() throws {
        let gap = try file(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, dataBytes: 8, name: "gap")
        guard case .gapBetweenTensors = openError(gap) else { Issue.record("expected gapBetweenTensors"); return }
        let trailing = try file(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 8, name: "trailing")
        guard case .trailingBytes = openError(trailing) else { Issue.record("expected trailingBytes"); return }
    }

    @Test func shapeDisagreesWithByteCount() throws {
        let path = try file(header: #"{"w":{"dtype":"BF16","shape":[3],"data_offsets":[0,8]}}"#, dataBytes: 8)
        guard case .shapeDisagreesWithBytes(_, "w", [3], "BF16", 8) = openError(path) else { Issue.record("expected shapeDisagreesWithBytes"); return }
    }

    @Test func malformedEntries() throws {
        for (i, header) in [#"{"w":{"shape":[1],"data_offsets":[0,4]}}"#,
                            #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#,
                            #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#,
                            #"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#,
                            #"{"w":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#,
                            #"{"__metadata__":{"k":1}}"#].enumerated() {
            let path = try file(header: header, dataBytes: 4, name: "entry\(i)")
            let error = openError(path)
            #expect(error != nil, "header \(header) was accepted")
            #expect(error.map { $0.description.contains(path) } ?? false)
        }
    }

    @Test func missingFileAndFolder() throws {
        guard case .cannotOpen = openError(folder.appendingPathComponent("nope.safetensors").path) else { Issue.record("expected cannotOpen"); return }
        let emptyFolder = folder.appendingPathComponent("no-weights")
        try FileManager.default.createDirectory(at: emptyFolder, withIntermediateDirectories: true)
        #expect(throws: SafeTensorsError.noSafeTensorsFiles(folder: emptyFolder.path)) { try SafeTensorsCheckpoint(path: emptyFolder.path) }
    }

    @Test func indexNamingAMissingTensor() throws {
        let sharded = folder.appendingPathComponent("sharded")
        try FileManager.default.createDirectory(at: sharded, withIntermediateDirectories: true)
        try SafeTensorsWriter.write([TensorRecord(name: "a", int64s: [1], shape: [1])], to: sharded.appendingPathComponent("s1.safetensors").path)
        try Data(#"{"weight_map": {"a": "s1.safetensors", "b": "s1.safetensors"}}"#.utf8).write(to: sharded.appendingPathComponent("model.safetensors.index.json"))
        #expect(throws: SafeTensorsError.self) { try SafeTensorsCheckpoint(path: sharded.path) }
    }

    @Test func failedWriteKeepsTheOldFile() throws {
        let path = folder.appendingPathComponent("keep.safetensors").path
        try SafeTensorsWriter.write([TensorRecord(name: "a", int64s: [7], shape: [1])], to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        // A record whose bytes disagree with its shape is refused before anything is written.
        #expect(throws: SafeTensorsError.self) {
            try SafeTensorsWriter.write([TensorRecord(name: "a", dtype: .f32, shape: [3], bytes: [0, 0])], to: path)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        // Writing into a folder that does not exist fails cleanly, leaving no temporary file.
        #expect(throws: SafeTensorsError.self) {
            try SafeTensorsWriter.write([], to: folder.appendingPathComponent("missing/x.safetensors").path)
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }
}
