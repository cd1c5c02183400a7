import Foundation
import SafeTensors
import Testing
import TensorCore
@testable import Training

@Suite struct FullCheckpointWriterTests {
    @Test func namesMapFromEveryLayoutToInMemoryNames() {
        #expect(FullCheckpointWriter.inMemoryName("language_model.model.layers.0.mlp.up_proj.weight") == "model.language_model.layers.0.mlp.up_proj.weight")
        #expect(FullCheckpointWriter.inMemoryName("language_model.lm_head.weight") == "lm_head.weight")
        #expect(FullCheckpointWriter.inMemoryName("multi_modal_projector.linear_1.bias") == "model.multi_modal_projector.linear_1.bias")
        #expect(FullCheckpointWriter.inMemoryName("model.mm_projector.0.weight") == "model.mm_projector.0.weight")
        #expect(FullCheckpointWriter.inMemoryName("model.layers.1.self_attn.q_proj.weight") == "model.layers.1.self_attn.q_proj.weight")
    }

    @Test func replacesNamedTensorsAndCopiesTheRest() throws {
        let source = fixturePath("adapters", "tiny_llava")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("full-\(UUID().uuidString)").path
        let original = try SafeTensorsCheckpoint(path: source)
        let key = try #require(original.names.first { $0.contains("multi_modal_projector.linear_1.weight") })
        let shape = try original.info(key).shape
        let replacement = Tensor(repeating: 0.5, shape: shape)
        let count = try FullCheckpointWriter.write(source: source, replacing: [FullCheckpointWriter.inMemoryName(key): replacement], to: output)
        #expect(count == 1)
        let written = try SafeTensorsCheckpoint(path: output)
        #expect(written.names == original.names)
        #expect(try written.tensor(key) == replacement)
        for name in original.names where name != key {
            #expect(try written.file(containing: name).rawBytes(name).elementsEqual(try original.file(containing: name).rawBytes(name)), "\(name)")
        }
        #expect(FileManager.default.fileExists(atPath: output + "/config.json"))
        #expect(throws: CheckpointError.self) {
            try FullCheckpointWriter.write(source: source, replacing: ["model.nothing.weight": replacement], to: output + "-x")
        }
    }
}
