import Foundation
import SafeTensors
import Testing
import TensorCore

/// `vlm-tune` end to end on the tiny llava-hf fixture model (transformers-made, random weights,
/// vocabulary of the fixture tokenizer) and a small task on the fixture images: the loss falls,
/// the adapter changes the model's answers, the outputs are loadable, and resume is exact.
@Suite(.serialized) struct TuneTests {
    let tune = Executable(name: "vlm-tune")
    let chat = Executable(name: "vlm-chat")
    var model: String { fixturePath("inference", "llava-hf") }
    var images: String { fixturePath("inference", "images") }

    /// One question per image, always the same answer per image.
    func dataset() throws -> String {
        let folder = try temporaryFolder("tune-data")
        var samples: [[String: Any]] = []
        for i in 0..<8 {
            let (image, answer) = i % 2 == 0 ? ("tall.jpg", "A tall red tower.") : ("wide.png", "A wide blue field.")
            samples.append(["id": "s\(i)", "image": image,
                            "conversations": [["from": "human", "value": "<image>\nDescribe the picture."],
                                              ["from": "gpt", "value": answer]]])
        }
        let path = folder + "/data.json"
        try JSONSerialization.data(withJSONObject: samples).write(to: URL(fileURLWithPath: path))
        return path
    }

    func arguments(data: String, output: String, steps: Int, extra: [String] = []) -> [String] {
        ["--model-path", model, "--data-path", data, "--image-folder", images, "--output-dir", output,
         "--rank", "4", "--max-steps", "\(steps)", "--per-device-train-batch-size", "4", "--learning-rate", "5e-3", "--mm-projector-lr", "5e-3",
         "--lr-scheduler-type", "constant", "--warmup-ratio", "0", "--save-steps", "3", "--save-total-limit", "3"] + extra
    }

    @Test func trainsWritesAPEFTAdapterAndChangesTheAnswers() throws {
        let data = try dataset(), output = try temporaryFolder("tune-run")
        let result = try tune.run(arguments(data: data, output: output, steps: 12))
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try String(contentsOfFile: output + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let losses = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }.map { $0["loss"] as! Double }
        #expect(losses.count == 12)
        let early: Double = losses.prefix(3).reduce(0, +), late: Double = losses.suffix(3).reduce(0, +)
        #expect(late < 0.7 * early, "loss did not fall: \(losses)")
        for file in ["adapter_config.json", "adapter_model.safetensors", "non_lora_trainables.safetensors",
                     "residual_weights.safetensors", "converted_lora/adapter_model.safetensors", "run_config.json", "loss.svg"] {
            #expect(FileManager.default.fileExists(atPath: output + "/" + file), "\(file) missing")
        }
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/adapter_config.json"))) as! [String: Any]
        let rank = config["r"] as? Int, alpha = config["lora_alpha"] as? Double, kind = config["peft_type"] as? String
        #expect(rank == 4)
        #expect(alpha == 4)   // alpha = r for MiLoRA unless --lora-alpha is given
        #expect(kind == "LORA")
        let adapter = try SafeTensorsFile(path: output + "/adapter_model.safetensors")
        #expect(adapter.names.contains("base_model.model.model.language_model.layers.0.self_attn.q_proj.lora_A.weight"))

        let question = ["--model-path", model, "--image", images + "/tall.jpg", "--prompt", "Describe the picture.", "--max-new-tokens", "8"]
        let before = try chat.run(question)
        let after = try chat.run(question + ["--adapter", output])
        #expect(before.status == 0 && after.status == 0, "\(before.stderr) \(after.stderr)")
        #expect(before.stdout != after.stdout, "the trained adapter did not change the answer: \(after.stdout)")
    }

    @Test func initialisationOnlyWritesAnAdapterThatLeavesTheModelUnchanged() throws {
        let data = try dataset(), output = try temporaryFolder("tune-init")
        let result = try tune.run(arguments(data: data, output: output, steps: 0))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output + "/metrics.jsonl"))
        let question = ["--model-path", model, "--image", images + "/wide.png", "--prompt", "Describe the picture.", "--max-new-tokens", "6"]
        #expect(try chat.run(question).stdout == chat.run(question + ["--adapter", output]).stdout)
    }

    @Test func aResumedRunEndsWithTheWeightsOfAnUninterruptedOne() throws {
        let data = try dataset()
        let straight = try temporaryFolder("tune-straight"), resumed = try temporaryFolder("tune-resumed")
        #expect(try tune.run(arguments(data: data, output: straight, steps: 6)).status == 0)
        // Stop after 3 steps (its last checkpoint), then run again to 6 in the same folder.
        #expect(try tune.run(arguments(data: data, output: resumed, steps: 3)).status == 0)
        let second = try tune.run(arguments(data: data, output: resumed, steps: 6))
        #expect(second.status == 0 && second.stderr.contains("resuming from checkpoint-3"))
        for file in ["adapter_model.safetensors", "non_lora_trainables.safetensors"] {
            let a = try SafeTensorsFile(path: straight + "/" + file), b = try SafeTensorsFile(path: resumed + "/" + file)
            for name in a.names { #expect(try a.tensor(name) == b.tensor(name), "\(file): \(name)") }
        }
    }

    @Test func fullTuningWithTheVisionTowerTrainsItAndResumesExactly() throws {
        let data = try dataset()
        let straight = try temporaryFolder("tune-tower"), resumed = try temporaryFolder("tune-tower-resumed")
        let extra = ["--tune", "full", "--unfreeze-mm-vision-tower", "--mm-vision-tower-lr", "1e-3"]
        let first = try tune.run(arguments(data: data, output: straight, steps: 4, extra: extra))
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try tune.run(arguments(data: data, output: resumed, steps: 3, extra: extra)).status == 0)
        let second = try tune.run(arguments(data: data, output: resumed, steps: 4, extra: extra))
        #expect(second.status == 0 && second.stderr.contains("resuming from checkpoint-3"), "\(second.stderr)")
        let base = try SafeTensorsFile(path: model + "/model.safetensors")
        let a = try SafeTensorsFile(path: straight + "/model.safetensors"), b = try SafeTensorsFile(path: resumed + "/model.safetensors")
        #expect(a.names == base.names)
        for name in a.names { #expect(try a.tensor(name) == b.tensor(name), "\(name)") }
        // The tower trained (its last layer, which hidden state -2 does not read, did not).
        let towerNames = a.names.filter { $0.contains("vision_tower") }
        let changed = try towerNames.filter { try a.tensor($0) != base.tensor($0) }
        #expect(changed.contains("vision_tower.embeddings.patch_embedding.weight"))
        #expect(changed.contains { $0.contains("encoder.layers.0.mlp.fc1") })
        #expect(!changed.contains { $0.contains("post_layernorm") })
        let config = try String(contentsOfFile: straight + "/run_config.json", encoding: .utf8)
        #expect(config.contains("\"unfreeze_mm_vision_tower\" : true") && config.contains("\"mm_vision_tower_lr\" : 0.001"), "\(config)")
        let answer = try chat.run(["--model-path", straight, "--image", images + "/tall.jpg", "--prompt", "Describe the picture.", "--max-new-tokens", "4"])
        #expect(answer.status == 0, "\(answer.stderr)")
    }

    @Test func theProjectorLearningRateFollowsLLaVAsScripts() throws {
        // --mm_projector_lr 2e-5 is LLaVA-1.5's LoRA recipe; its pretraining and full fine-tuning
        // scripts leave it unset, so the projector learns at --learning-rate there.
        let data = try dataset()
        func projectorRate(_ extra: [String]) throws -> Double? {
            let output = try temporaryFolder("tune-lr")
            let result = try tune.run(["--model-path", model, "--data-path", data, "--image-folder", images, "--output-dir", output,
                                       "--rank", "4", "--max-steps", "0"] + extra)
            #expect(result.status == 0, "\(result.stderr)")
            let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/run_config.json"))) as! [String: Any]
            let trainer = record["trainer"] as? [String: Any] ?? (record["configuration"] as? [String: Any])?["trainer"] as? [String: Any]
            return try #require(trainer)["mm_projector_lr"] as? Double
        }
        #expect(try projectorRate([]).map { abs($0 - 2e-5) < 1e-9 } == true)
        #expect(try projectorRate(["--tune", "full"]) == nil)
        #expect(try projectorRate(["--tune", "projector"]) == nil)
        #expect(try projectorRate(["--tune", "full", "--mm-projector-lr", "1e-4"]).map { abs($0 - 1e-4) < 1e-9 } == true)
    }

    @Test func badInputGivesOneClearLine() throws {
        let output = try temporaryFolder("tune-bad")
        let empty = output + "/empty.json"
        try Data("[]".utf8).write(to: URL(fileURLWithPath: empty))
        let result = try tune.run(arguments(data: empty, output: output, steps: 1))
        #expect(result.status != 0 && result.stderr.contains("no usable samples"))
        let missing = try tune.run(arguments(data: output + "/none.json", output: output, steps: 1))
        #expect(missing.status != 0 && missing.stderr.contains("none.json"))
        let rank = try tune.run(arguments(data: try dataset(), output: output, steps: 1, extra: ["--rank", "999"]))
        #expect(rank.status != 0 && rank.stderr.lowercased().contains("rank"))
        let tower = try tune.run(arguments(data: try dataset(), output: output, steps: 1, extra: ["--unfreeze-mm-vision-tower"]))
        #expect(tower.status != 0 && tower.stderr.contains("--unfreeze-mm-vision-tower needs --tune full"), "\(tower.stderr)")
    }
}
