import Foundation
import Imaging
import Testing
import TensorCore
@testable import Decoding

// The text + image front end against LLaVA's eval procedure run in Python (transformers 5 model,
// transformers 4.37.2 slow tokenizer for the original layout, PIL + CLIPImageProcessorPil, greedy
// argmax with EOS stop, decode(skip_special_tokens).strip()): cases.json.

@Test(arguments: ["llava-hf", "llava-original"])
func sessionAnswersAsLLaVAsEvalScripts(layout: String) throws {
    let session = try VLMSession.load(modelPath: InferenceFixtures.path(layout))
    #expect(session.imageAspectRatio == .pad)
    let cases = InferenceFixtures.cases.cases.filter { $0.layout == layout }
    #expect(cases.count == 5)
    for c in cases {
        let image = try c.image.map { try ImageDecoder.decode(path: InferenceFixtures.path("images/" + $0)) }
        let prompt = session.conversationPrompt(question: c.question, hasImage: image != nil)
        #expect(prompt == c.prompt)
        #expect(session.promptIds(prompt) == c.ids, "\(layout): \(c.question)")
        let (_, result) = try session.answer(question: c.question, image: image, maxNewTokens: InferenceFixtures.cases.max_new_tokens)
        #expect(result.tokens == c.new_ids, "\(layout): \(c.question)")
        #expect(result.text == c.text, "\(layout): \(c.question)")
        #expect(result.finishReason.rawValue == c.finish)
    }
}

@Test func streamedTextAddsUpToTheAnswer() throws {
    let session = try VLMSession.load(modelPath: InferenceFixtures.path("llava-hf"))
    let c = InferenceFixtures.cases.cases[0]
    let image = try ImageDecoder.decode(path: InferenceFixtures.path("images/" + c.image!))
    var streamed = ""
    let options = GenerationOptions(maxNewTokens: InferenceFixtures.cases.max_new_tokens, stopTokens: session.stopTokens, strip: false)
    let result = try session.generate(prompt: c.prompt, images: [image], options: options) { streamed += $0 }
    #expect(pythonStripped(streamed) == c.text)
    #expect(pythonStripped(result.text) == c.text)
}

@Test func samplingIsSeededAndTemperatureZeroIsGreedy() throws {
    let session = try VLMSession.load(modelPath: InferenceFixtures.path("llava-hf"))
    let c = InferenceFixtures.cases.cases[2]
    let image = try ImageDecoder.decode(path: InferenceFixtures.path("images/" + c.image!))
    func run(_ sampling: SamplingSettings) throws -> [Int] {
        try session.answer(question: c.question, image: image, maxNewTokens: 12, sampling: sampling).result.tokens
    }
    let first = try run(SamplingSettings(temperature: 1.5, seed: 7))
    #expect(try run(SamplingSettings(temperature: 1.5, seed: 7)) == first)
    let others = try (8..<12).map { try run(SamplingSettings(temperature: 1.5, seed: UInt64($0))) }
    #expect(others.contains { $0 != first })
    #expect(try run(.greedy) == Array(c.new_ids.prefix(12)))
}

@Test func topPKeepsTheSmallestNucleus() {
    // probabilities 0.5, 0.3, 0.2 (logits = log p): top_p 0.6 keeps the two largest
    let logits = [0.2, 0.5, 0.3].map { Float(Foundation.log($0)) }
    let kept = TokenSampler.probabilities(logits, temperature: 1, topP: 0.6)
    #expect(kept[0] == 0)
    #expect(abs(kept[1] - 0.625) < 1e-6 && abs(kept[2] - 0.375) < 1e-6)
    // top_p 0.5: the most likely token alone reaches it
    #expect(TokenSampler.probabilities(logits, temperature: 1, topP: 0.5).filter { $0 > 0 }.count == 1)
}

@Test func stopStringsCutTheTextAsVLLMDoes() throws {
    // the fixture model's greedy text on case 0, cut before a word it generates
    let session = try VLMSession.load(modelPath: InferenceFixtures.path("llava-hf"))
    let c = InferenceFixtures.cases.cases[0]
    let image = try ImageDecoder.decode(path: InferenceFixtures.path("images/" + c.image!))
    let stop = "find"
    #expect(c.text.contains(stop))
    let options = GenerationOptions(maxNewTokens: 24, stopTokens: session.stopTokens, stopStrings: ["zzz", stop], strip: false)
    let result = try session.generate(prompt: c.prompt, images: [image], options: options)
    #expect(result.finishReason == .stopString)
    #expect(pythonStripped(result.text) == pythonStripped(String(c.text[..<c.text.range(of: stop)!.lowerBound])))
}

@Test func sessionErrorsAreClear() throws {
    let session = try VLMSession.load(modelPath: InferenceFixtures.path("llava-hf"))
    let prompt = session.conversationPrompt(question: "hi", hasImage: true)
    #expect(throws: GenerationError.imageCountMismatch(placeholders: 1, images: 0)) {
        try session.generate(prompt: prompt, options: GenerationOptions(maxNewTokens: 2))
    }
    #expect(throws: GenerationError.notALanguageModel(path: InferenceFixtures.testsRoot + "/Fixtures/models/clip-vit-tiny")) {
        try VLMSession.load(modelPath: InferenceFixtures.testsRoot + "/Fixtures/models/clip-vit-tiny")
    }
    #expect(VLMSession.modelName("/runs/llava-milora/checkpoint-500") == "llava-milora_checkpoint-500")
    #expect(VLMSession.modelName("/models/llava-v1.5-7b/") == "llava-v1.5-7b")
}

@Test func beamSearchMatchesTransformers() throws {
    // transformers' generate(num_beams=4, eos_token_id=None) on LLM-Adapters prompts (cases.json)
    let session = try VLMSession.load(modelPath: InferenceFixtures.path("llava-hf"))
    let cases = InferenceFixtures.cases.beam_cases ?? []
    #expect(cases.count == 2)
    for c in cases {
        #expect(session.promptIds(c.prompt) == c.ids)
        let result = try session.beamSearch(prompt: c.prompt, beams: 4, maxNewTokens: c.beam_ids.count)
        #expect(result.tokens == c.beam_ids)
    }
}
