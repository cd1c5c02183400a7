import Foundation

// What `vlm-eval BENCH` asks a model, per benchmark (benchmarks.md sections 1, 6, 9, 10, 11, 14):
// the question files of LLaVA's playground/data/eval/<bench>/ layout (LLM-Adapters and MiLoRA
// files for the text benchmarks), turned into prompts exactly as the official generation
// scripts build them:
//   vqav2, gqa, vizwiz, textvqa, pope  llava/eval/model_vqa_loader.py: `text` as is, <image>, pad, 128 tokens
//   sqa                               model_vqa_science.py --single-pred-prompt: no pad (release era), 1024 tokens
//   mmbench                           model_vqa_mmbench.py --single-pred-prompt: options A-D, base64 image, pad, 1024
//   commonsense (8)                   LLM-Adapters commonsense_evaluate.py generate_prompt, 32 tokens
//   gsm8k, math                       MiLoRA gsm8k/MATH_inference.py prompt, vLLM stop strings, 1024 / 2048
// The model side (template, tokenizer, images, decoding) is the caller's; this file only reads
// files and builds text.

/// Where an item's image comes from.
public enum ItemImage: Sendable, Equatable {
    case file(String)
    /// Encoded bytes (MMBench's base64 column); `name` labels errors.
    case data(Data, name: String)
}

/// One question to generate an answer for.
public struct GenerationItem: Sendable {
    /// The question id as the answers file must carry it (int or string, kept apart).
    public var questionID: QuestionID
    /// The user message: for the chat benchmarks without `<image>\n` (the caller's template puts
    /// it in front when `image` is set); for the text benchmarks the whole raw prompt.
    public var userText: String
    /// The answers file's `prompt`.
    public var promptField: String
    public var image: ItemImage?
    /// Extra answers-file keys after `text` (MMBench: round_id, options, option_char), in order.
    public var extraFields: [(String, ScoreJSON)] = []
}

/// How the benchmark's official script decodes.
public struct GenerationProtocol: Sendable, Equatable {
    public enum PromptStyle: Sendable, Equatable {
        /// vicuna_v1 conversation with `<image>\n` in front of the question when there is an image.
        case conversation
        /// The item's text is the whole prompt (LLM-Adapters, MiLoRA).
        case raw
    }

    public var style: PromptStyle
    public var maxNewTokens: Int
    /// expand2square before CLIP preprocessing.
    public var padImages: Bool
    public var stopStrings: [String] = []
    /// Stop at EOS (LLM-Adapters' beam search ran all 32 tokens: EOS was unset).
    public var stopAtEOS = true
    /// Python strip() of the output (not for vLLM).
    public var strip = true
    /// LLM-Adapters keeps the part of the decoded text before a "### Response:" it generates.
    public var cutAtResponseMarker = false
    /// The official number of beams (LLM-Adapters: 4, with no EOS stopping).
    public var officialBeams = 1
    public var source: String

    public static let mathStops = ["Instruction:", "Instruction", "Response:", "Response"]
}

extension BenchmarkID {
    /// True for the seven LLaVA-1.5 image benchmarks.
    public var needsImages: Bool { [.vqav2, .gqa, .vizwiz, .sqa, .textvqa, .pope, .mmbench].contains(self) }

    public var generationProtocol: GenerationProtocol {
        switch self {
        case .vqav2, .gqa, .vizwiz, .textvqa, .pope:
            return GenerationProtocol(style: .conversation, maxNewTokens: 128, padImages: true, source: "llava/eval/model_vqa_loader.py")
        case .sqa:
            return GenerationProtocol(style: .conversation, maxNewTokens: 1024, padImages: false,
                                      source: "llava/eval/model_vqa_science.py --single-pred-prompt (release era: images not padded)")
        case .mmbench:
            return GenerationProtocol(style: .conversation, maxNewTokens: 1024, padImages: true,
                                      source: "llava/eval/model_vqa_mmbench.py --single-pred-prompt")
        case .gsm8k, .math:
            return GenerationProtocol(style: .raw, maxNewTokens: self == .gsm8k ? 1024 : 2048, padImages: false,
                                      stopStrings: GenerationProtocol.mathStops, strip: false,
                                      source: "MiLoRA inference/\(self == .gsm8k ? "gsm8k" : "MATH")_inference.py (vLLM, temperature 0)")
        default:
            return GenerationProtocol(style: .raw, maxNewTokens: 32, padImages: false, stopAtEOS: false, cutAtResponseMarker: true,
                                      officialBeams: 4, source: "LLM-Adapters commonsense_evaluate.py")
        }
    }

    /// The question file the generator reads, relative to <data-root>/<folder>.
    public func defaultGenerationQuestionFile(split: String?) -> String {
        switch self {
        case .vqav2: return split == "test-dev" ? "llava_vqav2_mscoco_test-dev2015.jsonl"
            : split == "test" ? "llava_vqav2_mscoco_test2015.jsonl" : "llava_vqav2_mscoco_val2014.jsonl"
        case .gqa: return "llava_gqa_testdev_balanced.jsonl"
        case .vizwiz: return split == "val" ? "llava_val.jsonl" : "llava_test.jsonl"
        case .sqa: return "llava_test_CQM-A.json"
        case .textvqa: return "llava_textvqa_val_v051_ocr.jsonl"
        case .pope: return "llava_pope_test.jsonl"
        case .mmbench: return "mmbench_dev_20230712.tsv"
        case .gsm8k: return "gsm8k_test.jsonl"
        case .math: return "MATH_test.jsonl"
        default: return "test.json"
        }
    }

    /// The image folder, relative to <data-root>/<folder> (nil: no images, or inside the file).
    public func defaultImageFolder(split: String?) -> String? {
        switch self {
        case .vqav2: return split == "val" || split == nil ? "val2014" : "test2015"
        case .gqa: return "data/images"
        case .vizwiz: return split == "val" ? "val" : "test"
        case .sqa: return "images/test"
        case .textvqa: return "train_images"
        case .pope: return "val2014"
        default: return nil
        }
    }
}

public enum GenerationTasks {
    public static let singleLetterSuffix = "Answer with the option's letter from the given choices directly."

    /// The benchmark's items, in question-file order.
    public static func items(for benchmark: BenchmarkID, questionFile: String, imageFolder: String?) throws -> [GenerationItem] {
        switch benchmark {
        case .vqav2, .gqa, .vizwiz, .textvqa, .pope:
            return try llavaJSONLines(questionFile, imageFolder: imageFolder ?? ".")
        case .sqa: return try scienceQA(questionFile, imageFolder: imageFolder ?? ".")
        case .mmbench: return try mmbench(questionFile)
        case .gsm8k: return try math(questionFile, field: "question", role: "GSM8K question file")
        case .math: return try math(questionFile, field: "instruction", role: "MATH question file")
        default:
            return try CommonsenseScorer.readItems(questionFile).enumerated().map { index, item in
                let prompt = CommonsenseTask.prompt(instruction: item.instruction)
                return GenerationItem(questionID: .int(index), userText: prompt, promptField: prompt, image: nil)
            }
        }
    }

    /// LLaVA's `{question_id, image, text, category}` lines.
    static func llavaJSONLines(_ path: String, imageFolder: String) throws -> [GenerationItem] {
        let role = "LLaVA question file"
        var items: [GenerationItem] = []
        var bad: [String] = []
        for (line, value, raw) in try readJSONLines(path, role: role) {
            guard let value, case .object = value else { bad.append("line \(line): \(raw.pyStrip().isEmpty ? "empty line" : "not a JSON object")"); continue }
            guard let rawID = value["question_id"], let id = QuestionID(rawID) else { bad.append("line \(line): no int or string question_id"); continue }
            guard let text = value["text"]?.stringValue else { bad.append("line \(line): no string 'text'"); continue }
            guard let image = value["image"]?.stringValue else { bad.append("line \(line): no string 'image'"); continue }
            items.append(GenerationItem(questionID: id, userText: text, promptField: text,
                                        image: .file(joinPath(imageFolder, image))))
        }
        if !bad.isEmpty {
            throw EvaluatorError.malformedFile(path: path, role: role, reason: bad.prefix(5).joined(separator: "; ") + (bad.count > 5 ? " (and \(bad.count - 5) more)" : ""))
        }
        return items
    }

    /// model_vqa_science.py: qs = value without <image>, stripped; <image>\n in front of the
    /// prompt field when the problem has an image; the single-letter suffix.
    static func scienceQA(_ path: String, imageFolder: String) throws -> [GenerationItem] {
        let role = "ScienceQA question file (llava_test_CQM-A.json)"
        guard let list = try readJSONFile(path, role: role).arrayValue else {
            throw EvaluatorError.malformedFile(path: path, role: role, reason: "expected a JSON array of {id, image?, conversations}")
        }
        return try list.enumerated().map { index, entry in
            guard let rawID = entry["id"], let id = QuestionID(rawID),
                  let value = entry["conversations"]?.arrayValue?.first?["value"]?.stringValue else {
                throw EvaluatorError.malformedFile(path: path, role: role, reason: "entry \(index) needs an id and conversations[0].value")
            }
            var question = value.pyReplace("<image>", "").pyStrip()
            var prompt = question
            var image: ItemImage?
            if let file = entry["image"]?.stringValue {
                image = .file(joinPath(imageFolder, file))
                prompt = "<image>\n" + prompt
            }
            question += "\n" + singleLetterSuffix
            prompt += "\n" + singleLetterSuffix
            return GenerationItem(questionID: id, userText: question, promptField: prompt, image: image)
        }
    }

    /// model_vqa_mmbench.py, one round per row.
    static func mmbench(_ path: String) throws -> [GenerationItem] {
        let letters = ["A", "B", "C", "D"]
        func isNone(_ value: String?) -> Bool { value == nil || ["nan", "none"].contains(value!.lowercased()) }
        return try MMBenchTSV.read(path).map { row in
            var options: [String] = []
            for letter in letters {
                let value = row[letter]
                if isNone(value) { break }
                options.append(value!)
            }
            guard let questionText = row["question"] else {
                throw EvaluatorError.malformedFile(path: path, role: "MMBench TSV", reason: "row \(row.index) has no question")
            }
            guard let encoded = row["image"], let bytes = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters) else {
                throw EvaluatorError.malformedFile(path: path, role: "MMBench TSV", reason: "row \(row.index) has no base64 image")
            }
            var question = isNone(row["hint"]) ? questionText : row["hint"]! + "\n" + questionText
            for (letter, option) in zip(letters, options) { question += "\n" + letter + ". " + option }
            let extra: [(String, ScoreJSON)] = [("options", .array(options.map(ScoreJSON.string))),
                                                ("option_char", .array(letters.prefix(options.count).map(ScoreJSON.string)))]
            var item = GenerationItem(questionID: .int(row.index), userText: question + "\n" + singleLetterSuffix,
                                      promptField: question, image: .data(bytes, name: "\(path) row \(row.index)"))
            item.extraFields = extra
            return item
        }
    }

    /// MiLoRA's prompt over gsm8k_test.jsonl (`question`) / MATH_test.jsonl (`instruction`).
    static func math(_ path: String, field: String, role: String) throws -> [GenerationItem] {
        try readJSONLines(path, role: role).enumerated().map { index, entry in
            guard let text = entry.value?[field]?.stringValue else {
                throw EvaluatorError.malformedFile(path: path, role: role, reason: "line \(entry.line) needs a string '\(field)'")
            }
            let prompt = "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
                + "### Instruction:\n\(text)\n\n### Response: Let's think step by step."
            return GenerationItem(questionID: .int(index), userText: prompt, promptField: prompt, image: nil)
        }
    }

    static func joinPath(_ folder: String, _ file: String) -> String {
        file.hasPrefix("/") ? file : (folder as NSString).appendingPathComponent(file)
    }

    /// LLaVA's get_chunk: ceil(N / k)-sized consecutive chunks; chunk `index` (empty past the end).
    public static func chunk<T>(_ items: [T], count: Int, index: Int) -> [T] {
        precondition(count >= 1 && index >= 0 && index < count, "chunk \(index) of \(count)")
        let size = (items.count + count - 1) / count
        let start = index * size
        guard size > 0, start < items.count else { return [] }
        return Array(items[start..<min(items.count, start + size)])
    }

    /// LLM-Adapters: the decoded sequence split on "### Response:", element 1, stripped: for
    /// generated text, the part before any marker the model writes itself.
    public static func commonsenseOutput(_ generated: String) -> String {
        generated.pySplit("### Response:")[0].pyStrip()
    }
}
