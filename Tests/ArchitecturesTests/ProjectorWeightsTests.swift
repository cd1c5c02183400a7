import Foundation
import SafeTensors
import Testing
import TensorCore
@testable import Architectures

/// The projector a LoRA run trains travels in non_lora_trainables.safetensors and is loaded
/// beside the adapter: the logits then equal those of a model whose projector was set directly.
@Suite struct ProjectorWeightsTests {
    @Test func projectorRoundTripsThroughTheAdapterFolder() throws {
        var model = try AdapterFixtures.model()
        #expect(model.projectorModuleNames == ["model.multi_modal_projector.linear_1", "model.multi_modal_projector.linear_2"])
        var tensors = model.projectorTensors
        #expect(tensors.count == 4)
        for key in tensors.keys { tensors[key]!.scale(by: 1.5) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("proj-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // LLaVA's own file names carry "base_model.model."; both spellings load.
        try SafeTensorsWriter.write(tensors.map { TensorRecord(name: "base_model.model." + $0.key, tensor: $0.value) },
                                    to: folder + "/" + projectorWeightsFileName)
        let before = try AdapterFixtures.logits(model)
        try model.loadProjector(from: folder + "/" + projectorWeightsFileName)
        #expect(model.projectorTensors == tensors)
        #expect(try AdapterFixtures.logits(model).maxAbsDifference(before) > 1e-3)

        var broken = tensors
        broken["model.multi_modal_projector.linear_2.bias"] = nil
        try SafeTensorsWriter.write(broken.map { TensorRecord(name: $0.key, tensor: $0.value) }, to: folder + "/bad.safetensors")
        #expect(throws: ArchitecturesError.self) { try model.loadProjector(from: folder + "/bad.safetensors") }
    }
}
