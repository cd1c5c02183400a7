import Foundation
import SafeTensors
import Testing
import TensorCore

// `vlm-inspect forward` with --prompt/--image and with --adapter, against the Python references.

@Test func inspectForwardTakesAPromptAndAnImage() throws {
    let c = try #require(InferenceFixtures.cases.cases.first { $0.layout == "llava-original" && $0.image != nil })
    let out = InferenceFixtures.temporaryFolder("forward") + "/out.safetensors"
    let result = try Executables.run("vlm-inspect", ["forward", "--model", InferenceFixtures.path("llava-original"),
                                                     "--prompt", c.prompt, "--image", InferenceFixtures.path("images/" + c.image!),
                                                     "--output", out])
    #expect(result.status == 0, "\(result.stderr)")
    let file = try SafeTensorsFile(path: out)
    #expect(try file.integers("input_ids").map(Int.init) == c.ids)  // tokenizer_image_token, -200 kept
    let logits = try file.tensor("logits")
    #expect(logits.shape == [c.ids.count - 1 + 16, 1500])  // the image placeholder becomes P = 16 rows
    // the last row's argmax is the first token LLaVA's greedy loop chose
    let last = Array(logits.storage.suffix(1500))
    #expect(last.firstIndex(of: last.max()!) == c.new_ids[0])
    #expect(try file.tensor("image_features").shape == [16, 16])
}

@Test func inspectForwardAppliesAnAdapter() throws {
    let adapters = InferenceFixtures.testsRoot + "/Fixtures/adapters/"
    let inputs = try SafeTensorsFile(path: adapters + "inputs.safetensors")
    let ids = try inputs.integers("input_ids").map { String($0) }.joined(separator: ",")
    let pixels = InferenceFixtures.temporaryFolder("pix") + "/p.safetensors"
    try SafeTensorsWriter.write([TensorRecord(name: "pixel_values", tensor: try inputs.tensor("pixel_values"))], metadata: [:], to: pixels)
    let expected = try SafeTensorsFile(path: adapters + "reference_logits.safetensors").tensor("peft_lora")
    for extra in [[], ["--merge-adapter"]] {
        let out = InferenceFixtures.temporaryFolder("forward") + "/out.safetensors"
        let result = try Executables.run("vlm-inspect", ["forward", "--model", adapters + "tiny_llava", "--input-ids", ids,
                                                         "--pixel-values", pixels, "--adapter", adapters + "peft_lora", "--output", out] + extra)
        #expect(result.status == 0, "\(result.stderr)")
        let logits = try SafeTensorsFile(path: out).tensor("logits")
        #expect(zip(logits.storage, expected.storage).map { abs($0 - $1) }.max()! <= 1e-4)
    }
    let both = try Executables.run("vlm-inspect", ["forward", "--model", adapters + "tiny_llava", "--input-ids", ids, "--prompt", "x", "--output", "/tmp/x"])
    #expect(both.status != 0 && both.stderr.contains("exactly one of --input-ids and --prompt"))
}
