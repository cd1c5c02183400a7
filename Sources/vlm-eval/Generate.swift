import ArgumentParser
import CLISupport
import Decoding
import Evaluators
import Foundation
import Imaging

// `vlm-eval BENCH` generation: the benchmark's questions (Evaluators.GenerationTasks) through a
// VLMSession, answers written line by line (resumable), LLaVA's chunking, a progress bar.

struct GenerationArguments: ParsableArguments {
    @Option(name: [.customLong("model-path"), .customLong("model")], help: "Model folder (llava-hf, haotian-liu/LLaVA or LlamaForCausalLM) to generate answers with.")
    var modelPath: String?

    @Option(help: "A PEFT LoRA adapter folder to apply (with residual_weights.safetensors for PiSSA/MiLoRA residual bases).")
    var adapter: String?

    @Flag(help: "Merge the adapter into the base weights before generating.")
    var mergeAdapter = false

    @Option(help: "The image folder (default: the benchmark's folder under --data-root, see Evaluation/<bench>/README.md).")
    var imageFolder: String?

    @Option(help: "Split the questions into this many consecutive chunks (LLaVA's --num-chunks).")
    var numChunks = 1

    @Option(help: "Which chunk to answer, 0-based (LLaVA's --chunk-idx).")
    var chunkIdx = 0

    @Option(help: "Override the benchmark's max_new_tokens (128 for the model_vqa_loader benchmarks, 1024 SQA/MMBench/GSM8K, 2048 MATH, 32 commonsense).")
    var maxNewTokens: Int?

    @Option(help: "0 = greedy (the protocol); above 0 samples, seeded by --seed.")
    var temperature: Float = 0

    @Option(help: "Nucleus sampling mass with --temperature > 0.")
    var topP: Float?

    @Option(help: "Seed for sampling and for the answers' answer_id.")
    var seed: UInt64 = 0

    @Option(help: "Beam count; default: the protocol's (4 for the commonsense tasks, as LLM-Adapters decodes, else 1 = greedy).")
    var numBeams: Int?

    @Option(help: "Conversation template for the image benchmarks.")
    var convMode = "vicuna_v1"

    @Option(help: "pad or original. Default: the model's image_aspect_ratio (pad for LLaVA-1.5); SQA: original, as the LLaVA-1.5 release-era script ran it.")
    var imageAspectRatio: String?

    @Option(help: "Answer at most this many new questions, then stop (a later run resumes).")
    var limit: Int?

    @Flag(help: "Generate only; do not score.")
    var noScore = false

    @Option(help: "Greedy decoding only: answer this many questions at once, reading each weight once per step for the whole batch (faster; logits equal batch-1 decoding up to rounding, so rare near-ties may pick another token). 1 reproduces the official one-at-a-time protocol exactly.")
    var batchSize = 1
}

struct GenerationOutcome {
    var answersFile: String
    /// False when the run stopped early (--limit) or answered one chunk of several.
    var complete: Bool
    var protocolNotes: [String]
}

func generateAnswers(_ benchmark: BenchmarkID, scoring: ScoringOptions, generation g: GenerationArguments) throws -> GenerationOutcome {
    guard let modelPath = g.modelPath else {
        throw ValidationFailure(message: "--model-path is required to generate answers (or pass --score-only with --answers-file)")
    }
    guard g.numChunks >= 1, (0..<g.numChunks).contains(g.chunkIdx) else {
        throw ValidationFailure(message: "--chunk-idx must lie in 0..<--num-chunks (got \(g.chunkIdx) of \(g.numChunks))")
    }
    if let limit = g.limit, limit < 0 { throw ValidationFailure(message: "--limit must be >= 0") }
    var aspectOverride: ImageAspectRatio?
    if let name = g.imageAspectRatio {
        guard let ratio = ImageAspectRatio(rawValue: name) else { throw ValidationFailure(message: "--image-aspect-ratio must be pad or original") }
        aspectOverride = ratio
    }
    let root = URL(fileURLWithPath: scoring.dataRoot ?? BuiltInEvaluationDefaults.conventionalRoot).appendingPathComponent(benchmark.folder)
    let questionFile = scoring.questionFile ?? root.appendingPathComponent(benchmark.defaultGenerationQuestionFile(split: scoring.split)).path
    let imageFolder = g.imageFolder ?? benchmark.defaultImageFolder(split: scoring.split).map { root.appendingPathComponent($0).path }
    let all = try GenerationTasks.items(for: benchmark, questionFile: questionFile, imageFolder: imageFolder)
    guard !all.isEmpty else { throw ValidationFailure(message: "\(questionFile) has no questions") }
    let items = GenerationTasks.chunk(all, count: g.numChunks, index: g.chunkIdx)

    let session = try VLMSession.load(modelPath: modelPath, options: SessionOptions(
        adapterPath: g.adapter, mergeAdapter: g.mergeAdapter, imageAspectRatio: aspectOverride, conversationTemplate: g.convMode))
    if benchmark.needsImages && !session.hasVision {
        throw ValidationFailure(message: "\(benchmark.rawValue) asks about images but \(modelPath) is a text-only model")
    }
    let spec = benchmark.generationProtocol
    let aspect = aspectOverride ?? (spec.padImages ? session.imageAspectRatio : .original)
    let split = scoring.split ?? benchmark.splits[0]
    let answersFile = scoring.answersFile ?? root.appendingPathComponent("answers").appendingPathComponent(split)
        .appendingPathComponent(g.numChunks > 1 ? "\(session.modelID)/\(g.numChunks)_\(g.chunkIdx).jsonl" : "\(session.modelID).jsonl").path
    let writer = try AnswersWriter(path: answersFile, seed: g.seed ^ (benchmark.rawValue + "/" + session.modelID).hashValueStable)
    let pending = items.filter { !writer.answered.contains($0.questionID) }
    let todo = g.limit.map { Array(pending.prefix($0)) } ?? pending
    var options = GenerationOptions(maxNewTokens: g.maxNewTokens ?? spec.maxNewTokens,
                                    sampling: SamplingSettings(temperature: g.temperature, topP: g.topP, seed: g.seed),
                                    stopTokens: spec.stopAtEOS ? session.stopTokens : [], stopStrings: spec.stopStrings, strip: spec.strip)
    if options.maxNewTokens < 1 { throw ValidationFailure(message: "--max-new-tokens must be at least 1") }

    let record = ResolvedGeneration(benchmark: benchmark.rawValue, split: split, model_path: modelPath, adapter: g.adapter,
                                    merge_adapter: g.mergeAdapter, question_file: questionFile, image_folder: imageFolder,
                                    answers_file: answersFile, num_chunks: g.numChunks, chunk_idx: g.chunkIdx,
                                    max_new_tokens: options.maxNewTokens, temperature: g.temperature, top_p: g.topP, seed: g.seed,
                                    num_beams: g.numBeams ?? spec.officialBeams, conv_mode: g.convMode,
                                    image_aspect_ratio: aspect.rawValue, model_id: session.modelID, protocol: spec.source)
    let answersURL = URL(fileURLWithPath: answersFile)
    try? RunRecord.write(record, to: answersURL.deletingLastPathComponent().path,
                         fileName: answersURL.deletingPathExtension().lastPathComponent + "_run_config.json")
    FileHandle.standardError.write(Data("\(benchmark.rawValue): \(items.count) question(s) in this chunk, \(items.count - pending.count) already answered in \(answersFile)\n".utf8))
    let bar = ProgressBar(label: benchmark.rawValue, total: items.count, unit: "q", alreadyCompleted: items.count - pending.count)
    let beams = g.numBeams ?? spec.officialBeams
    guard beams >= 1 else { throw ValidationFailure(message: "--num-beams must be at least 1") }
    if beams > 1 && !g.temperature.isZero { throw ValidationFailure(message: "--num-beams > 1 is beam search; it takes no --temperature") }
    guard g.batchSize >= 1 else { throw ValidationFailure(message: "--batch-size must be at least 1") }
    let batched = g.batchSize > 1 && beams == 1 && g.temperature.isZero
    var tokens = 0
    var start = 0
    while start < todo.count {
        let group = Array(todo[start..<min(todo.count, start + (batched ? g.batchSize : 1))])
        start += group.count
        var prompts: [String] = [], imageLists: [[RGBImage]] = []
        for item in group {
            let image = try item.image.map { source -> RGBImage in
                do {
                    switch source {
                    case let .file(path): return try ImageDecoder.decode(path: path)
                    case let .data(data, name): return try ImageDecoder.decode(data: data, name: name)
                    }
                } catch let error as ImagingError {
                    throw ValidationFailure(message: "question \(item.questionID): \(error.description)")
                }
            }
            prompts.append(spec.style == .conversation ? session.conversationPrompt(question: item.userText, hasImage: image != nil) : item.userText)
            imageLists.append(image.map { [$0] } ?? [])
        }
        var results: [GeneratedText] = []
        if batched {
            results = try session.generateBatch(prompts: prompts, images: imageLists, options: options, aspectRatio: aspect)
        } else {
            let item = group[0]
            if !g.temperature.isZero { options.sampling.seed = g.seed &+ UInt64(bitPattern: Int64(truncatingIfNeeded: item.questionID.description.hashValueStable)) }
            results = [beams > 1
                ? try session.beamSearch(prompt: prompts[0], images: imageLists[0], beams: beams, maxNewTokens: options.maxNewTokens, strip: spec.strip, aspectRatio: aspect)
                : try session.generate(prompt: prompts[0], images: imageLists[0], options: options, aspectRatio: aspect)]
        }
        for (item, result) in zip(group, results) {
            let text = spec.cutAtResponseMarker ? GenerationTasks.commonsenseOutput(result.text) : result.text
            try writer.write(item, text: text, modelID: session.modelID)
            tokens += result.tokens.count
            bar.advance(fields: [("tokens", String(tokens))])
        }
    }
    var notes: [String] = ["generation: \(spec.source); max_new_tokens \(options.maxNewTokens); images \(aspect.rawValue)"]
    notes[0] += beams > 1 ? "; \(beams)-beam search without EOS stopping" : "; greedy"
    if beams != spec.officialBeams {
        notes.append("the official protocol decodes with \(spec.officialBeams == 1 ? "greedy search" : "\(spec.officialBeams)-beam search"); these answers used \(beams == 1 ? "greedy search" : "\(beams) beams") (unofficial)")
    }
    if !g.temperature.isZero { notes.append("sampled with temperature \(g.temperature) (the protocol is greedy; unofficial)") }
    let complete = items.allSatisfy { writer.answered.contains($0.questionID) } && g.numChunks == 1
    return GenerationOutcome(answersFile: answersFile, complete: complete, protocolNotes: notes)
}

/// The resolved settings of a generation run, written beside its answers.
struct ResolvedGeneration: Encodable {
    var benchmark, split, model_path: String
    var adapter: String?
    var merge_adapter: Bool
    var question_file: String
    var image_folder: String?
    var answers_file: String
    var num_chunks, chunk_idx, max_new_tokens: Int
    var temperature: Float
    var top_p: Float?
    var seed: UInt64
    var num_beams: Int
    var conv_mode, image_aspect_ratio, model_id, `protocol`: String
}

extension String {
    /// FNV-1a of the UTF-8 bytes: stable across runs (Swift's hashValue is seeded per process).
    var hashValueStable: UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }
}
