import ArgumentParser
import Decoding
import Foundation
import Imaging

// One-shot or interactive inference with an image, as haotian-liu/LLaVA's llava/eval/run_llava.py
// (one shot) and llava/serve/cli.py (interactive: the image goes with the first turn, the
// conversation grows turn by turn) do it.

@main
struct VLMChat: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vlm-chat",
        abstract: "Ask a LLaVA (or LLaMA) model about an image: one shot with --prompt, else interactive on stdin.")

    @Option(name: [.customLong("model-path"), .customLong("model")], help: "Model folder: llava-hf, haotian-liu/LLaVA (llava_llama) or LlamaForCausalLM.")
    var modelPath: String

    @Option(help: "A PEFT LoRA adapter folder (with residual_weights.safetensors for PiSSA/MiLoRA residual bases).")
    var adapter: String?

    @Flag(help: "Merge the adapter into the base weights (faster decoding, same outputs up to rounding).")
    var mergeAdapter = false

    @Option(help: "An image file (JPEG or PNG).")
    var image: String?

    @Option(help: "The question. Without it, vlm-chat reads questions from stdin, one per line (empty line or EOF ends).")
    var prompt: String?

    @Option(help: "pad (LLaVA-1.5's expand2square) or original; default: the model's image_aspect_ratio, else pad.")
    var imageAspectRatio: String?

    @Option(help: "Conversation template: vicuna_v1, llava_v1, plain.")
    var convMode = "vicuna_v1"

    @Option(help: "Most tokens to generate per answer.")
    var maxNewTokens = 512

    @Option(help: "0 = greedy; above 0 samples (seeded by --seed).")
    var temperature: Float = 0

    @Option(help: "Nucleus sampling mass (with --temperature > 0).")
    var topP: Float?

    @Option(help: "Seed for sampling.")
    var seed: UInt64 = 0

    @Flag(help: "Use --prompt verbatim: no template and no <image> added (put <image> where the image goes).")
    var rawPrompt = false

    @Flag(help: "Print {\"text\": ..., \"ids\": [...]} instead of streaming the text.")
    var json = false

    func validate() throws {
        if temperature < 0 { throw ValidationError("--temperature must be >= 0") }
        if let topP, !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must lie in (0, 1]") }
        if maxNewTokens < 1 { throw ValidationError("--max-new-tokens must be at least 1") }
        if let ratio = imageAspectRatio, ImageAspectRatio(rawValue: ratio) == nil {
            throw ValidationError("--image-aspect-ratio must be pad or original")
        }
    }

    func run() throws {
        do {
            let session = try VLMSession.load(modelPath: modelPath, options: SessionOptions(
                adapterPath: adapter, mergeAdapter: mergeAdapter, imageAspectRatio: imageAspectRatio.flatMap(ImageAspectRatio.init),
                conversationTemplate: convMode))
            let picture = try image.map { try ImageDecoder.decode(path: $0) }
            if picture != nil && !session.hasVision { throw GenerationError.imagesNeedVisionModel(path: modelPath) }
            var options = GenerationOptions(maxNewTokens: maxNewTokens,
                                            sampling: SamplingSettings(temperature: temperature, topP: topP, seed: seed),
                                            stopTokens: session.stopTokens)
            if !rawPrompt, let stop = session.template.sep2 { options.stopStrings = [stop] }
            if let prompt {
                let text = rawPrompt ? prompt : session.conversationPrompt(turns: [(prompt, nil)], hasImage: picture != nil)
                let images = picture.map { [$0] } ?? []
                try answer(session, text, images: text.contains("<image>") ? images : [], options: options)
            } else {
                try interactive(session, picture: picture, options: options)
            }
        } catch let error as ValidationFailure {
            throw error
        } catch let error as CustomStringConvertible {
            throw ValidationFailure(message: error.description)
        }
    }

    @discardableResult
    private func answer(_ session: VLMSession, _ text: String, images: [RGBImage], options: GenerationOptions) throws -> String {
        if json {
            let result = try session.generate(prompt: text, images: images, options: options)
            let object: [String: Any] = ["text": result.text, "ids": result.tokens, "finish_reason": result.finishReason.rawValue]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            FileHandle.standardOutput.write(data + Data("\n".utf8))
            return result.text
        }
        var streamed = ""
        let result = try session.generate(prompt: text, images: images, options: options) { piece in
            // strip the leading whitespace LLaVA's strip() would remove
            let shown = streamed.isEmpty ? String(piece.drop { $0.isWhitespace }) : piece
            streamed += piece
            FileHandle.standardOutput.write(Data(shown.utf8))
        }
        FileHandle.standardOutput.write(Data("\n".utf8))  // print() is buffered apart from these writes
        return result.text
    }

    private func interactive(_ session: VLMSession, picture: RGBImage?, options: GenerationOptions) throws {
        var turns: [(user: String, assistant: String?)] = []
        while true {
            FileHandle.standardError.write(Data("\(session.template.roles.user): ".utf8))
            guard let line = readLine(), !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
            turns.append((line, nil))
            let text = rawPrompt ? line : session.conversationPrompt(turns: turns, hasImage: picture != nil)
            FileHandle.standardError.write(Data("\(session.template.roles.assistant): ".utf8))
            let images = text.contains("<image>") ? (picture.map { [$0] } ?? []) : []
            let reply = try answer(session, text, images: images, options: options)
            turns[turns.count - 1].assistant = reply
        }
    }
}

/// A user-facing failure: one line on stderr, non-zero exit.
struct ValidationFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
