// A text + image front end over a model folder, as haotian-liu/LLaVA's inference scripts drive a
// model (llava/eval/model_vqa_loader.py, model_vqa_science.py, llava/serve/cli.py): load the model
// (llava-hf, original LLaVA with its CLIP folder, or a plain LLaMA), its tokenizer and the image
// preprocessor config; optionally apply a PEFT adapter; build the conversation prompt
// (`<image>\n` + question as the first user turn, "ASSISTANT:" left open); tokenize with
// tokenizer_image_token (-200 placeholders, spliced by the model for both layouts); preprocess
// images with the model's image_aspect_ratio; generate; decode the new tokens with special tokens
// skipped and strip.

import Architectures
import Foundation
import Imaging
import TensorCore
import Tokenization

/// The language model a session drives.
public enum SessionModel: @unchecked Sendable {
    case llava(LlavaModel)
    case llama(LlamaModel)

    public var language: LlamaModel {
        switch self {
        case let .llava(model): return model.language
        case let .llama(model): return model
        }
    }
}

public struct SessionOptions: Sendable {
    /// A PEFT LoRA folder (with residual_weights.safetensors for PiSSA/MiLoRA residual bases).
    public var adapterPath: String?
    /// Merge the adapter into the base weights instead of running it beside them.
    public var mergeAdapter = false
    /// Overrides the model's image_aspect_ratio.
    public var imageAspectRatio: ImageAspectRatio?
    public var conversationTemplate = "vicuna_v1"
    /// Folder with tokenizer files (default: the model folder).
    public var tokenizerPath: String?
    /// nil: tokenizer.model (the slow tokenizer LLaVA loads with use_fast=False) when present
    /// for original-layout and LLaMA folders, else tokenizer.json.
    public var tokenizerSource: Tokenizer.Source?

    public init(adapterPath: String? = nil, mergeAdapter: Bool = false, imageAspectRatio: ImageAspectRatio? = nil,
                conversationTemplate: String = "vicuna_v1", tokenizerPath: String? = nil, tokenizerSource: Tokenizer.Source? = nil) {
        self.adapterPath = adapterPath
        self.mergeAdapter = mergeAdapter
        self.imageAspectRatio = imageAspectRatio
        self.conversationTemplate = conversationTemplate
        self.tokenizerPath = tokenizerPath
        self.tokenizerSource = tokenizerSource
    }
}

public struct VLMSession: @unchecked Sendable {
    public let model: SessionModel
    public let tokenizer: Tokenizer
    public let template: ConversationTemplate
    /// nil for a text-only model.
    public let preprocessor: CLIPPreprocessor?
    /// Where the preprocessor config came from (a file, or "derived from the vision tower").
    public let preprocessorSource: String?
    public let imageAspectRatio: ImageAspectRatio
    public let modelPath: String
    /// LLaVA's answers-file `model_id`: the adapter's (else the model's) folder name, with
    /// `<parent>_` in front of a `checkpoint-*` name (get_model_name_from_path).
    public let modelID: String

    public static func load(modelPath: String, options: SessionOptions = SessionOptions()) throws -> VLMSession {
        let template = try ConversationTemplate.named(options.conversationTemplate)
        var model: SessionModel
        switch try ModelLoader.load(folder: modelPath) {
        case let .llava(llava): model = .llava(llava)
        case let .llama(llama): model = .llama(llama)
        case .visionTower: throw GenerationError.notALanguageModel(path: modelPath)
        }
        if let adapter = options.adapterPath {
            let mode: AdapterApplicationMode = options.mergeAdapter ? .merge : .attach
            switch model {
            case var .llava(llava): try llava.applyAdapter(folder: adapter, mode: mode); model = .llava(llava)
            case var .llama(llama): try llama.applyAdapter(folder: adapter, mode: mode); model = .llama(llama)
            }
        }
        let tokenizer = try loadTokenizer(folder: options.tokenizerPath ?? modelPath, for: model, source: options.tokenizerSource)
        var preprocessor: CLIPPreprocessor?
        var preprocessorSource: String?
        var aspect = options.imageAspectRatio ?? .pad
        if case let .llava(llava) = model {
            (preprocessor, preprocessorSource) = try imagePreprocessor(for: llava)
            if options.imageAspectRatio == nil { aspect = defaultAspectRatio(for: llava) }
        }
        let name = modelName(options.adapterPath ?? modelPath)
        return VLMSession(model: model, tokenizer: tokenizer, template: template, preprocessor: preprocessor,
                          preprocessorSource: preprocessorSource, imageAspectRatio: aspect, modelPath: modelPath, modelID: name)
    }

    /// The tokenizer of a model folder. nil source: tokenizer.model (the slow tokenizer LLaVA
    /// loads with use_fast=False) when present, except for llava-hf folders; else tokenizer.json.
    public static func loadTokenizer(folder: String, for model: SessionModel, source: Tokenizer.Source? = nil) throws -> Tokenizer {
        var chosen = source ?? .automatic
        if source == nil, FileManager.default.fileExists(atPath: folder + "/tokenizer.model") {
            if case let .llava(llava) = model, llava.layout == .huggingFace {} else { chosen = .sentencePiece }
        }
        return try Tokenizer.load(directory: folder, source: chosen)
    }

    /// The CLIP preprocessing of a LLaVA model: its preprocessor_config.json (llava-hf: the model
    /// folder; original layout: the CLIP folder), else CLIPImageProcessor's defaults at the
    /// tower's resolution. Returns the preprocessor and where its config came from.
    public static func imagePreprocessor(for llava: LlavaModel) throws -> (CLIPPreprocessor, String) {
        let file = llava.preprocessorFolder + "/preprocessor_config.json"
        if FileManager.default.fileExists(atPath: file) {
            return (CLIPPreprocessor(config: try CLIPPreprocessorConfig.load(path: file)), file)
        }
        var config = CLIPPreprocessorConfig()
        let side = llava.visionTower.configuration.imageSize
        config.size = .shortestEdge(side)
        (config.cropHeight, config.cropWidth) = (side, side)
        return (CLIPPreprocessor(config: config), "CLIP defaults at \(side) px (no preprocessor_config.json in \(llava.preprocessorFolder))")
    }

    /// LLaVA-1.5 pads ("pad"); an original-layout config may say otherwise.
    public static func defaultAspectRatio(for llava: LlavaModel) -> ImageAspectRatio {
        guard let ratio = llava.imageAspectRatio else { return .pad }
        return ratio == "pad" ? .pad : .original
    }

    /// LLaVA's get_model_name_from_path.
    public static func modelName(_ path: String) -> String {
        let parts = path.split(separator: "/").map(String.init)
        guard let last = parts.last else { return path }
        if last.hasPrefix("checkpoint-"), parts.count >= 2 { return parts[parts.count - 2] + "_" + last }
        return last
    }

    public var hasVision: Bool { preprocessor != nil }

    /// EOS ids of the tokenizer and the model config.
    public var stopTokens: Set<Int> {
        var ids = Set(model.language.configuration.eosTokenIds)
        if let eos = tokenizer.eosTokenId { ids.insert(eos) }
        return ids
    }

    // MARK: prompts

    /// The evaluation prompt of LLaVA's scripts: `<image>\n` + question as the user turn (when
    /// there is an image and mm_use_im_start_end is off), the assistant turn left open.
    public func conversationPrompt(question: String, hasImage: Bool) -> String {
        let user = hasImage ? LLaVAConstants.imageToken + "\n" + question : question
        return template.prompt([(template.roles.user, user), (template.roles.assistant, nil)])
    }

    /// A multi-turn prompt (llava/serve/cli.py): alternating user/assistant messages, the image
    /// token put in front of the first user message when `hasImage` and it has none.
    public func conversationPrompt(turns: [(user: String, assistant: String?)], hasImage: Bool) -> String {
        var messages: [(role: String, message: String?)] = []
        for (i, turn) in turns.enumerated() {
            var user = turn.user
            if i == 0 && hasImage && !user.contains(LLaVAConstants.imageToken) { user = LLaVAConstants.imageToken + "\n" + user }
            messages.append((template.roles.user, user))
            messages.append((template.roles.assistant, turn.assistant))
        }
        return template.prompt(messages)
    }

    /// tokenizer_image_token: ids with -200 for each `<image>`.
    public func promptIds(_ prompt: String) -> [Int] { tokenizer.encodeWithImagePlaceholders(prompt) }

    // MARK: images

    public func pixels(_ image: RGBImage, aspectRatio: ImageAspectRatio? = nil) throws -> Tensor {
        guard let preprocessor else { throw GenerationError.imagesNeedVisionModel(path: modelPath) }
        return preprocessor.pixelValues(image, aspectRatio: aspectRatio ?? imageAspectRatio)
    }

    // MARK: generation

    /// Generates from a full prompt (template already applied; `<image>` where each image goes).
    public func generate(prompt: String, images: [RGBImage] = [], options: GenerationOptions,
                         aspectRatio: ImageAspectRatio? = nil, onText: (String) -> Void = { _ in }) throws -> GeneratedText {
        try generate(ids: promptIds(prompt), images: images, options: options, aspectRatio: aspectRatio, onText: onText)
    }

    /// Generates from prompt ids (with -200 placeholders).
    public func generate(ids: [Int], images: [RGBImage] = [], options: GenerationOptions,
                         aspectRatio: ImageAspectRatio? = nil, onText: (String) -> Void = { _ in }) throws -> GeneratedText {
        let embeddings = try promptEmbeddings(ids: ids, images: images, aspectRatio: aspectRatio)
        return try generateText(model.language, promptEmbeddings: embeddings, tokenizer: tokenizer, options: options, onText: onText)
    }

    /// Greedy answers to several full prompts at once (one image list per prompt), decoded in
    /// one batch: see `generateTextBatch`.
    public func generateBatch(prompts: [String], images: [[RGBImage]], options: GenerationOptions,
                              aspectRatio: ImageAspectRatio? = nil) throws -> [GeneratedText] {
        precondition(prompts.count == images.count, "one image list per prompt")
        let embeddings = try zip(prompts, images).map { try promptEmbeddings(ids: promptIds($0), images: $1, aspectRatio: aspectRatio) }
        return try generateTextBatch(model.language, promptEmbeddings: embeddings, tokenizer: tokenizer, options: options)
    }

    /// Beam search without EOS stopping (the LLM-Adapters protocol): the best beam's text,
    /// special tokens skipped, stripped when `strip`.
    public func beamSearch(prompt: String, images: [RGBImage] = [], beams: Int, maxNewTokens: Int, strip: Bool = true,
                           aspectRatio: ImageAspectRatio? = nil) throws -> GeneratedText {
        let ids = promptIds(prompt)
        let embeddings = try promptEmbeddings(ids: ids, images: images, aspectRatio: aspectRatio)
        let tokens = try Decoding.beamSearch(model.language, promptEmbeddings: embeddings, beams: beams, maxNewTokens: maxNewTokens)
        let text = tokenizer.decode(tokens, skipSpecialTokens: true)
        return GeneratedText(text: strip ? pythonStripped(text) : text, tokens: tokens, finishReason: .maxNewTokens)
    }

    /// Prompt embeddings [L, C] with each image's features spliced in at its -200.
    public func promptEmbeddings(ids: [Int], images: [RGBImage], aspectRatio: ImageAspectRatio? = nil) throws -> Tensor {
        let placeholders = ids.filter { $0 == LLaVAConstants.imageTokenIndex }.count
        guard placeholders == images.count else {
            throw GenerationError.imageCountMismatch(placeholders: placeholders, images: images.count)
        }
        switch model {
        case let .llava(llava):
            let features = try images.map { try llava.encodeImage(try pixels($0, aspectRatio: aspectRatio)).features }
            return try llava.embed(ids: ids, imageFeatures: features)
        case let .llama(llama):
            guard images.isEmpty else { throw GenerationError.imagesNeedVisionModel(path: modelPath) }
            return try llama.embed(ids)
        }
    }

    /// One question about an optional image, as LLaVA's eval scripts ask it: greedy unless
    /// `sampling` says otherwise, stop at EOS.
    public func answer(question: String, image: RGBImage?, maxNewTokens: Int, sampling: SamplingSettings = .greedy,
                       aspectRatio: ImageAspectRatio? = nil) throws -> (prompt: String, result: GeneratedText) {
        let prompt = conversationPrompt(question: question, hasImage: image != nil)
        let options = GenerationOptions(maxNewTokens: maxNewTokens, sampling: sampling, stopTokens: stopTokens)
        return (prompt, try generate(prompt: prompt, images: image.map { [$0] } ?? [], options: options, aspectRatio: aspectRatio))
    }
}
