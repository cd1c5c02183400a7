import Foundation
import Testing
import SafeTensors
import TensorCore
import Architectures

/// Bad checkpoints and configs give one clear error.
struct LoadingErrorTests {
    /// Rewrite `folder`/model.safetensors through `edit` (name -> tensor map).
    func rewrite(_ folder: String, _ edit: (inout [String: Tensor]) -> Void) throws {
        let file = folder + "/model.safetensors"
        let checkpoint = try SafeTensorsFile(path: file)
        var tensors: [String: Tensor] = [:]
        for name in checkpoint.names { tensors[name] = try checkpoint.tensor(name) }
        edit(&tensors)
        try SafeTensorsWriter.write(tensors.map { TensorRecord(name: $0.key, tensor: $0.value) }, to: file)
    }

    @Test func missingExtraAndMisshapenTensorsAreListedInOneError() throws {
        let dir = try ModelFixtures.scratchCopy(["llama"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try rewrite(dir + "/llama") { t in
            t["model.layers.1.mlp.up_proj.weight"] = nil
            t["model.layers.0.self_attn.k_proj.weight"] = Tensor(zeros: [40, 40])
            t["model.layers.7.self_attn.q_proj.weight"] = Tensor(zeros: [2, 2])
        }
        do {
            _ = try ModelLoader.load(folder: dir + "/llama")
            Issue.record("loading should fail")
        } catch let ArchitecturesError.weightMismatch(reports) {
            #expect(reports.count == 1)
            #expect(reports[0].missing == ["model.layers.1.mlp.up_proj.weight"])
            #expect(reports[0].unexpected == ["model.layers.7.self_attn.q_proj.weight"])
            #expect(reports[0].misshapen.map(\.key) == ["model.layers.0.self_attn.k_proj.weight"])
            #expect(reports[0].misshapen.first?.expected == [20, 40])
            let text = ArchitecturesError.weightMismatch(reports).description
            #expect(text.contains("missing: model.layers.1.mlp.up_proj.weight"))
            #expect(text.contains("unexpected: model.layers.7.self_attn.q_proj.weight"))
            #expect(text.contains("wrong shape: model.layers.0.self_attn.k_proj.weight is [40, 40], the config needs [20, 40]"))
        }
    }

    @Test func unknownModelTypeIsNamed() throws {
        let dir = try ModelFixtures.scratchCopy(["llama"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = dir + "/llama/config.json"
        let text = try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "\"llama\"", with: "\"mistral\"")
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        #expect {
            _ = try ModelLoader.load(folder: dir + "/llama")
        } throws: { error in
            "\(error)".contains("unknown model_type 'mistral'")
        }
    }

    @Test func missingCLIPFolderIsNamed() throws {
        // Copy the original layout without its sibling CLIP folder.
        let dir = try ModelFixtures.scratchCopy(["llava-original"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect {
            _ = try ModelLoader.load(folder: dir + "/llava-original")
        } throws: { error in
            guard case let ArchitecturesError.missingVisionTower(_, tower, tried) = error else { return false }
            return tower == "../clip-vit-tiny" && tried == [dir + "/clip-vit-tiny"] && "\(error)".contains("download the CLIP model")
        }
    }

    @Test func mismatchesInModelAndCLIPFolderAreReportedTogether() throws {
        let dir = try ModelFixtures.scratchCopy(["llava-original", "clip-vit-tiny"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try rewrite(dir + "/clip-vit-tiny") { t in t["vision_model.pre_layrnorm.bias"] = nil }
        // Drop the projector's second layer from the sharded model by editing its index.
        let index = dir + "/llava-original/model.safetensors.index.json"
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: index))) as! [String: Any]
        var map = json["weight_map"] as! [String: String]
        let shard = map["model.mm_projector.2.weight"]!
        map["model.mm_projector.2.weight"] = nil
        json["weight_map"] = map
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: index))
        _ = shard
        #expect {
            _ = try ModelLoader.load(folder: dir + "/llava-original")
        } throws: { error in
            guard case let ArchitecturesError.weightMismatch(reports) = error else { return false }
            return reports.count == 2 && reports[0].missing == ["model.mm_projector.2.weight"]
                && reports[1].missing == ["vision_model.pre_layrnorm.bias"]
        }
    }

    @Test func invalidConfigValuesNameTheKey() throws {
        let dir = try ModelFixtures.scratchCopy(["llama"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = dir + "/llama/config.json"
        let text = try String(contentsOfFile: config, encoding: .utf8)
            .replacingOccurrences(of: "\"num_key_value_heads\": 2", with: "\"num_key_value_heads\": 3")
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        #expect {
            _ = try ModelLoader.load(folder: dir + "/llama")
        } throws: { error in
            guard case let ArchitecturesError.invalidConfig(_, key, _) = error else { return false }
            return key == "num_key_value_heads"
        }
    }

    @Test func tokenOutsideTheVocabularyIsAnError() throws {
        let model = try ModelLoader.loadLlama(folder: ModelFixtures.path("llama"))
        #expect(throws: ArchitecturesError.self) { try model.embed([1, 97]) }
    }
}
