import TensorCore

// VizWiz val (benchmarks.md section 5) and TextVQA val (section 7) in their official formats.

extension WorldGenerator {
    func writeVizWiz(_ writer: DatasetWriter) throws {
        var annotations: [JSONValue] = [], llava: [JSONValue] = []
        report("eval/vizwiz", 0, sizes.vizwiz)
        for index in 0..<sizes.vizwiz {
            var rng = generator("vizwiz", index)
            var scene = sampler.sample(&rng)
            var item = VizWizQuestions.make(scene, unanswerable: rng.chance(0.25), &rng)
            while item == nil {
                scene = sampler.sample(&rng)
                item = VizWizQuestions.make(scene, unanswerable: false, &rng)
            }
            let (question, canonical, kind, answerType) = item!
            let name = "VizWiz_val_\(zeroPadded(index, 8)).\(writer.photoExtension)"
            try writer.writeImage(scene, to: "eval/vizwiz/val/\(name)", sceneSet: "vizwiz", sceneKey: name)
            let answers = HumanAnswers.ten(canonical: canonical, kind: kind, rng: &rng)
            let confidences = HumanAnswers.confidences(answers, canonical: canonical, rng: &rng)
            annotations.append(.object([
                ("image", .string(name)), ("question", .string(question)),
                ("answers", .array(answers.indices.map { .object([("answer", .string(answers[$0])), ("answer_confidence", .string(confidences[$0]))]) })),
                ("answer_type", .string(answerType)), ("answerable", .int(answerType == "unanswerable" ? 0 : 1)),
            ]))
            llava.append(.object([("question_id", .int(index)), ("image", .string(name)),
                                  ("text", .string(question + "\n" + PromptSuffix.unanswerable + "\n" + PromptSuffix.shortAnswer)),
                                  ("category", .string("default"))]))
            report("eval/vizwiz", index + 1, sizes.vizwiz)
        }
        try writer.writeJSON(.array(annotations), to: "eval/vizwiz/val.json")
        try writer.writeJSONLines(llava, to: "eval/vizwiz/llava_val.jsonl")
    }

    func writeTextVQA(_ writer: DatasetWriter) throws {
        var labelled = configuration
        labelled.characterProbability = max(0.8, configuration.characterProbability)
        let labelledSampler = SceneSampler(configuration: labelled)
        var data: [JSONValue] = [], llava: [JSONValue] = []
        report("eval/textvqa", 0, sizes.textvqa)
        for index in 0..<sizes.textvqa {
            var rng = generator("textvqa", index)
            var scene = labelledSampler.sample(&rng)
            var qa = QuestionGenerator.reading(scene, &rng)
            var attempts = 0
            while qa == nil && attempts < 500 {
                scene = labelledSampler.sample(&rng)
                qa = QuestionGenerator.reading(scene, &rng)
                attempts += 1
            }
            guard let qa else {
                throw SyntheticWorldError.cannotGenerate(set: "textvqa", reason: "no scene has a printed character; raise --character-probability")
            }
            let imageID = String(derivedSeed(seed, stream: "textvqa-image-id", index: index), radix: 16).leftPadded(to: 16)
            let name = "\(imageID).\(writer.photoExtension)"
            try writer.writeImage(scene, to: "eval/textvqa/train_images/\(name)", sceneSet: "textvqa", sceneKey: imageID)
            let question = qa.question.lowercased()
            let canonical = qa.answer.lowercased()
            let answers = HumanAnswers.ten(canonical: canonical, kind: .character, rng: &rng)
            let ocr = SimulatedOCR.tokens(scene, &rng)
            data.append(.object([
                ("question", .string(question)), ("image_id", .string(imageID)), ("image_classes", .strings(["shape", "sign"])),
                ("flickr_original_url", .string("")), ("flickr_300k_url", .string("")),
                ("image_width", .int(scene.width)), ("image_height", .int(scene.height)), ("answers", .strings(answers)),
                ("question_tokens", .strings(question.dropLast().split(separator: " ").map(String.init))),
                ("question_id", .int(index)), ("set_name", .string("val")),
            ]))
            var text = Words.capitalizedFirst(question)
            if !ocr.isEmpty { text += "\nReference OCR token: " + ocr.joined(separator: ", ") }
            text += "\n" + PromptSuffix.shortAnswer
            llava.append(.object([("question_id", .string(imageID)), ("image", .string(name)), ("text", .string(text)), ("category", .string("default"))]))
            report("eval/textvqa", index + 1, sizes.textvqa)
        }
        try writer.writeJSON(.object([("dataset_type", .string("val")), ("dataset_name", .string("textvqa")),
                                      ("dataset_version", .string("0.5.1")), ("data", .array(data))]),
                             to: "eval/textvqa/TextVQA_0.5.1_val.json")
        try writer.writeJSONLines(llava, to: "eval/textvqa/llava_textvqa_val_v051_ocr.jsonl")
    }
}

/// A Rosetta-like OCR reading of the printed characters, in reading order: usually right,
/// sometimes a look-alike character, occasionally missed.
enum SimulatedOCR {
    static let lookAlikes: [String: String] = ["O": "0", "0": "O", "I": "1", "1": "I", "S": "5", "5": "S", "B": "8", "8": "B",
                                               "Z": "2", "2": "Z", "G": "6", "6": "G", "Q": "O", "D": "O"]

    static func tokens(_ scene: Scene, _ rng: inout SeededGenerator) -> [String] {
        let ordered = scene.objects.sorted { ($0.position.row, $0.position.column) < ($1.position.row, $1.position.column) }
        var result: [String] = []
        for object in ordered {
            guard let character = object.character else { continue }
            if rng.chance(0.05) { continue }
            if let confused = lookAlikes[character], rng.chance(0.1) { result.append(confused) } else { result.append(character) }
        }
        return result
    }
}

/// VizWiz-style questions: informal, lower-case, sometimes impossible to answer.
enum VizWizQuestions {
    static func make(_ scene: Scene, unanswerable: Bool, _ rng: inout SeededGenerator) -> (String, String, HumanAnswers.Kind, String)? {
        if unanswerable {
            // Ask for the character on a shape that is absent, or present but blank.
            let absent = ShapeKind.allCases.filter { scene.objects(shape: $0).isEmpty }
            let blank = scene.objects.filter { $0.character == nil && scene.objects(shape: $0.shape).count == 1 }
            if !blank.isEmpty && (absent.isEmpty || rng.chance(0.5)) {
                return ("what letter is written on the \(rng.pick(blank).shape.rawValue)?", "unanswerable", .unanswerable, "unanswerable")
            }
            guard !absent.isEmpty else { return nil }
            return ("what does the \(rng.pick(absent).rawValue) say?", "unanswerable", .unanswerable, "unanswerable")
        }
        switch rng.int(below: 4) {
        case 0:
            guard let qa = QuestionGenerator.colorQuestion(scene, &rng) else { return nil }
            return (informal(qa.question), qa.answer, .color, "other")
        case 1:
            return ("how many shapes are in this picture?", String(scene.objects.count), .number, "number")
        case 2:
            // The letter "A" is avoided: VizWiz compares raw ground truth with the normalised
            // prediction, and normalisation deletes the article "a".
            guard let qa = QuestionGenerator.reading(scene, &rng, allowLetterA: false) else { return nil }
            return (informal(qa.question), qa.answer.lowercased(), .character, BitmapFont.isDigit(qa.answer) ? "number" : "other")
        default:
            let qa = QuestionGenerator.objectExistence(scene, &rng, positive: rng.chance(0.5))
            return (informal(qa.question), qa.answer.lowercased(), .yesNo, "yes/no")
        }
    }

    static func informal(_ question: String) -> String {
        question.lowercased().replacingOccurrences(of: " in the image?", with: "?")
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}

import Foundation
