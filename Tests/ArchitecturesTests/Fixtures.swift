import Foundation
import SafeTensors
import TensorCore

/// Tests/Fixtures/models, written by Scripts/fixtures/make_models_fixtures.py with transformers.
enum ModelFixtures {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Fixtures/models").path
    }()

    static func path(_ name: String) -> String { root + "/" + name }

    struct LlavaCase: Decodable {
        var ids: [Int]
        var images: [Int]
        var expanded_ids: [Int]
        var greedy: [Int]
        var logits: String
    }

    struct LlamaCase: Decodable {
        var ids: [Int]
        var greedy: [Int]
        var logits: String
    }

    struct Cases: Decodable {
        var llava: [LlavaCase]
        var llama: [LlamaCase]
        var llamaBF16: [LlamaCase]
        var llamaF16: [LlamaCase]
        var patches: Int
        enum CodingKeys: String, CodingKey { case llava, llama, llamaBF16 = "llama-bf16", llamaF16 = "llama-f16", patches }
    }

    static let cases: Cases = {
        let data = try! Data(contentsOf: URL(fileURLWithPath: path("cases.json")))
        return try! JSONDecoder().decode(Cases.self, from: data)
    }()

    static let reference = try! SafeTensorsFile(path: path("reference.safetensors"))

    static func referenceTensor(_ name: String) throws -> Tensor { try reference.tensor(name) }

    /// pixel_values [1, 3, S, S] of image i.
    static func pixels(_ i: Int) throws -> Tensor {
        try SafeTensorsFile(path: path("pixels_\(i).safetensors")).tensor("pixel_values")
    }

    /// A scratch copy of a fixture folder (or folders) under a fresh temporary directory.
    static func scratchCopy(_ names: [String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("models-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for name in names { try FileManager.default.copyItem(atPath: path(name), toPath: dir + "/" + name) }
        return dir
    }
}
