import Foundation
import SafeTensors
import Testing
import TensorCore
@testable import Training

@Suite struct CheckpointStoreTests {
    func temporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func savesListsPrunesAndReplaces() throws {
        let store = CheckpointStore(outputDirectory: try temporaryFolder())
        for step in [2, 4, 6] {
            try store.save(step: step, files: ["trainer_state.json": Data("{\"global_step\": \(step)}".utf8)])
        }
        #expect(store.completed().map(\.step) == [2, 4, 6])
        try store.save(step: 6, files: ["trainer_state.json": Data("{\"global_step\": 66}".utf8)])
        #expect(try String(contentsOfFile: store.path(step: 6) + "/trainer_state.json", encoding: .utf8).contains("66"))
        store.prune(keepingLatest: 2)
        #expect(store.completed().map(\.step) == [4, 6])
    }

    @Test func aRunKilledMidSaveLeavesTheLastCompleteCheckpoint() throws {
        let folder = try temporaryFolder()
        let store = CheckpointStore(outputDirectory: folder)
        try store.save(step: 3, files: ["a.json": Data("{}".utf8)])
        // What a kill during the save of step 6 leaves behind: a temporary folder, half written.
        let partial = folder + "/.tmp-checkpoint-6-999"
        try FileManager.default.createDirectory(atPath: partial, withIntermediateDirectories: true)
        try Data("{\"trunc".utf8).write(to: URL(fileURLWithPath: partial + "/a.json"))
        #expect(store.latest()?.step == 3)
        store.removeIncomplete()
        #expect(!FileManager.default.fileExists(atPath: partial))
        #expect(FileManager.default.fileExists(atPath: store.path(step: 3) + "/a.json"))
    }

    @Test func optimizerStateRoundTrips() throws {
        var optimizer = AdamW()
        var p = Tensor(shape: [3], storage: [1, 2, 3])
        optimizer.update(&p, name: "w", gradient: Tensor(shape: [3], storage: [0.1, -0.2, 0.3]), learningRate: 0.01)
        optimizer.update(&p, name: "w", gradient: Tensor(shape: [3], storage: [0.1, 0.2, 0.3]), learningRate: 0.01)
        let path = try temporaryFolder() + "/optimizer.safetensors"
        try SafeTensorsWriter.write(optimizer.records(), to: path)
        var restored = AdamW()
        try restored.restore(from: SafeTensorsFile(path: path))
        #expect(restored.state == optimizer.state)
    }
}
