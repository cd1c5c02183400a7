import Foundation
import SafeTensors
import Testing

/// `vlm-data pretrain-tower` on the tiny llava-hf fixture (28 px, patch 7) and a smoke world of
/// the same image size: only the tower's tensors change, and the result is a loadable model.
@Suite(.serialized) struct PretrainTowerTests {
    let data = Executable(name: "vlm-data")
    let chat = Executable(name: "vlm-chat")
    var model: String { fixturePath("inference", "llava-hf") }

    @Test func trainsOnlyTheTowerAndWritesALoadableModel() throws {
        let world = try temporaryFolder("tower-world"), output = try temporaryFolder("tower-out")
        let made = try data.run(["generate", "--output", world, "--seed", "3", "--smoke", "--image-size", "28", "--overwrite"])
        #expect(made.status == 0, "\(made.stderr)")
        let run = try data.run(["pretrain-tower", "--model-path", model, "--world", world, "--output-dir", output,
                                "--batch-size", "4", "--num-train-epochs", "2", "--learning-rate", "1e-2"])
        #expect(run.status == 0, "\(run.stderr)")
        let metrics = try String(contentsOfFile: output + "/tower_metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(!metrics.isEmpty && metrics[0].contains("\"accuracy\":{\"shape\""))
        let before = try SafeTensorsFile(path: model + "/model.safetensors"), after = try SafeTensorsFile(path: output + "/model.safetensors")
        #expect(before.names == after.names)
        for name in after.names {
            let changed = try before.tensor(name) != after.tensor(name)
            // Hidden state -2 of the 3-layer tower: its last layer and post_layernorm get no signal.
            let trains = name.contains("vision_tower") && !name.contains("layers.2.") && !name.contains("post_layernorm")
            #expect(changed == trains, "\(name) changed: \(changed)")
        }
        let answer = try chat.run(["--model-path", output, "--image", fixturePath("inference", "images") + "/tall.jpg",
                                   "--prompt", "Describe the picture.", "--max-new-tokens", "3"])
        #expect(answer.status == 0, "\(answer.stderr)")
        let wrong = try data.run(["pretrain-tower", "--model-path", model, "--world", world + "/missing", "--output-dir", output])
        #expect(wrong.status != 0 && wrong.stderr.contains("scenes/pretrain.jsonl"), "\(wrong.stderr)")
    }
}
