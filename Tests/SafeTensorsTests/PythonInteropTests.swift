import Foundation
import Testing
import TensorCore
@testable import SafeTensors

/// Files written by Python's `safetensors` load with exact values; the file our writer makes
/// is byte-identical to the committed one that Python loaded (swift_written_check.json).
@Suite struct PythonInteropTests {
    struct Expected: Decodable {
        struct Entry: Decodable { var dtype: String; var shape: [Int]; var values: [Value] }
        enum Value: Decodable {
            case number(Double), special(String)
            init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let d = try? c.decode(Double.self) { self = .number(d) } else { self = .special(try c.decode(String.self)) }
            }
            var double: Double {
                switch self {
                case .number(let d): return d
                case .special(let s): return s == "inf" ? .infinity : (s == "-inf" ? -.infinity : .nan)
                }
            }
        }
        var tensors: [String: Entry]
    }

    @Test func pythonWrittenFileLoadsExactly() throws {
        let file = try SafeTensorsFile(path: fixturePath("safetensors", "python_written.safetensors"))
        let bf16 = try SafeTensorsFile(path: fixturePath("safetensors", "python_bf16.safetensors"))
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: fixturePath("safetensors", "python_written.json"))))
        #expect(file.metadata == ["format": "pt", "note": "written by safetensors.numpy"])
        for (name, entry) in expected.tensors {
            let source = name == "bf16" ? bf16 : file
            let tensor = try source.tensor(name)
            #expect(tensor.shape == entry.shape, "\(name)")
            for (ours, theirs) in zip(tensor.storage, entry.values) {
                // f64 and i64 values beyond f32 precision are compared after rounding to f32.
                #expect(ours == Float(theirs.double) || (ours.isNaN && theirs.double.isNaN), "\(name): \(ours) vs \(theirs.double)")
            }
        }
        #expect(try file.integers("i64") == [-(1 << 40), 7, 0, 1 << 53])
        #expect(try file.info("bool").dtype == .bool)
        #expect(try file.info("scalar").shape == [])
    }

    @Test func shardedFolderLoadsThroughTheIndex() throws {
        let checkpoint = try SafeTensorsCheckpoint(path: fixturePath("safetensors", "sharded"))
        #expect(checkpoint.names == ["model.embed.weight", "model.head.bias", "model.head.weight"])
        #expect(try checkpoint.tensor("model.embed.weight") == Tensor(shape: [2, 3], storage: [0, 1, 2, 3, 4, 5]))
        #expect(try checkpoint.tensor("model.head.weight").storage == [0, 1, 2, 3])
        #expect(try checkpoint.tensor("model.head.bias").storage == [1, 2])
        #expect(checkpoint.metadata["total_size"] == "36")
        #expect(throws: SafeTensorsError.self) { try checkpoint.tensor("missing") }
    }

    static func swiftRecords() -> [TensorRecord] {
        let values = Tensor(shape: [2, 3], storage: [0, 1, 2, -1.5, 1e-3, 65504])
        return [TensorRecord(name: "values_f32", tensor: values),
                TensorRecord(name: "values_bf16", tensor: values, dtype: .bf16),
                TensorRecord(name: "values_f16", tensor: values, dtype: .f16),
                TensorRecord(name: "ids_i64", int64s: [1, -2, 1 << 40], shape: [3])]
    }
    static let swiftMetadata = ["format": "pt", "quote\"key": "line\nbreak"]

    @Test func ourWriterMatchesTheFilePythonVerified() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("out.safetensors").path
        try SafeTensorsWriter.write(Self.swiftRecords(), metadata: Self.swiftMetadata, to: path)
        // Regenerate the committed file with SAFETENSORS_REGENERATE=1, then rerun the Python script.
        let committed = fixturePath("safetensors", "swift_written.safetensors")
        if ProcessInfo.processInfo.environment["SAFETENSORS_REGENERATE"] == "1" {
            try SafeTensorsWriter.write(Self.swiftRecords(), metadata: Self.swiftMetadata, to: committed)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(contentsOf: URL(fileURLWithPath: committed)))
        let check = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixturePath("safetensors", "swift_written_check.json")))) as! [String: Any]
        let results = check["loaded_in_python"] as! [String: Bool]
        #expect(results.count == 5 && results.values.allSatisfy { $0 }, "Python could not load our file: \(results)")
        // And it reads back here.
        let back = try SafeTensorsFile(path: path)
        #expect(back.metadata == Self.swiftMetadata)
        #expect(try back.tensor("values_f32").storage == [0, 1, 2, -1.5, 1e-3, 65504])
        #expect(try back.integers("ids_i64") == [1, -2, 1 << 40])
        #expect(Int(bitPattern: try back.rawBytes("ids_i64").baseAddress!) % 8 == 0, "data buffer is 8-byte aligned")
    }
}
