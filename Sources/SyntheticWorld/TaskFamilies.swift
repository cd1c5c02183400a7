import TensorCore

/// Instruction suffixes, exactly as LLaVA-1.5's evaluation prompts use them (benchmarks.md 1.5).
public enum PromptSuffix {
    public static let shortAnswer = "Answer the question using a single word or phrase."
    public static let unanswerable = "When the provided information is insufficient, respond with 'Unanswerable'."
    public static let optionLetter = "Answer with the option's letter from the given choices directly."
}

/// The kinds of instruction the world teaches. The base model is pretrained on the
/// `.pretraining` families; the `.finetuning` families are new to it.
public enum TaskFamily: String, CaseIterable, Codable, Sendable {
    case caption, color, shape, shapeExistence = "shape_existence"
    case objectExistence = "object_existence", counting, reading, position, multipleChoice = "multiple_choice"

    public enum Stage: String, Codable, Sendable { case pretraining, finetuning }

    public var stage: Stage {
        switch self {
        case .caption, .color, .shape, .shapeExistence: return .pretraining
        case .objectExistence, .counting, .reading, .position, .multipleChoice: return .finetuning
        }
    }

    public static func families(_ stage: Stage) -> [TaskFamily] { allCases.filter { $0.stage == stage } }
}

/// One question about a scene with its ground-truth answer.
public struct QuestionAnswer: Equatable, Sendable {
    public var family: TaskFamily
    /// The question alone, without an instruction suffix.
    public var question: String
    /// The answer as the world states it ("red", "2", "Yes", "K", "top left", "B").
    public var answer: String
    /// VQA's answer types: "yes/no", "number", "other".
    public var answerType: String
    /// VQA-style question type: the question's leading words ("what color is the").
    public var questionType: String
    /// Options of a multiple-choice question (answer is the letter).
    public var options: [String] = []

    /// The human turn's text as the model sees it (without the `<image>` line).
    public var prompt: String {
        switch family {
        case .caption: return question
        case .multipleChoice:
            let lines = options.enumerated().map { "\(optionLetters[$0.offset]). \($0.element)" }
            return ([question] + lines + [PromptSuffix.optionLetter]).joined(separator: "\n")
        default: return question + "\n" + PromptSuffix.shortAnswer
        }
    }
}

let optionLetters = ["A", "B", "C", "D", "E"]

private let captionPrompts = [
    "Describe the image briefly.", "Give a short description of the picture.", "What is shown in this image?",
    "Summarize the visual content of the image.", "Write a caption for this image.", "List the shapes you see in the image.",
]

/// Draws questions of each family about a scene; nil when the scene cannot support the family
/// (e.g. reading with no printed character).
public enum QuestionGenerator {
    public static func question(_ family: TaskFamily, scene: Scene, rng: inout SeededGenerator) -> QuestionAnswer? {
        switch family {
        case .caption:
            return QuestionAnswer(family: .caption, question: rng.pick(captionPrompts), answer: caption(of: scene),
                                  answerType: "other", questionType: "describe")
        case .color: return colorQuestion(scene, &rng)
        case .shape: return shapeQuestion(scene, &rng)
        case .shapeExistence: return shapeExistence(scene, &rng)
        case .objectExistence: return objectExistence(scene, &rng, positive: rng.chance(0.5))
        case .counting: return counting(scene, &rng)
        case .reading: return reading(scene, &rng)
        case .position: return position(scene, &rng)
        case .multipleChoice: return multipleChoice(scene, &rng)
        }
    }

    static func colorQuestion(_ scene: Scene, _ rng: inout SeededGenerator) -> QuestionAnswer? {
        let object = rng.pick(scene.objects)
        guard let referent = referringExpression(for: object, in: scene, excluding: [.color]) else { return nil }
        let (template, type) = rng.pick([("What color is %@?", "what color is the"), ("What is the color of %@?", "what is the color of the"),
                                         ("Which color does %@ have?", "which color")])
        return QuestionAnswer(family: .color, question: fill(template, referent), answer: object.color.rawValue,
                              answerType: "other", questionType: type)
    }

    static func shapeQuestion(_ scene: Scene, _ rng: inout SeededGenerator) -> QuestionAnswer? {
        let object = rng.pick(scene.objects)
        guard let referent = referringExpression(for: object, in: scene, excluding: [.shape]) else { return nil }
        let (template, type) = rng.pick([("What shape is %@?", "what shape is the"), ("What is the shape of %@?", "what is the shape of the")])
        return QuestionAnswer(family: .shape, question: fill(template, referent), answer: object.shape.rawValue,
                              answerType: "other", questionType: type)
    }

    static func shapeExistence(_ scene: Scene, _ rng: inout SeededGenerator) -> QuestionAnswer {
        let present = Set(scene.objects.map(\.shape))
        let positive = rng.chance(0.5) || present.count == ShapeKind.allCases.count
        let shape = positive ? rng.pick(ShapeKind.allCases.filter(present.contains)) : rng.pick(ShapeKind.allCases.filter { !present.contains($0) })
        return QuestionAnswer(family: .shapeExistence, question: "Is there \(Words.article(shape.rawValue)) \(shape.rawValue) in the image?",
                              answer: positive ? "Yes" : "No", answerType: "yes/no", questionType: "is there a")
    }

    /// POPE's question about a colour-and-shape category. Negatives are hard half the time: the
    /// same shape in another colour, or the same colour on another shape.
    static func objectExistence(_ scene: Scene, _ rng: inout SeededGenerator, positive: Bool) -> QuestionAnswer {
        let present = Set(scene.categories)
        var category: String
        if positive {
            category = rng.pick(scene.categories)
        } else {
            let anchor = rng.pick(scene.objects)
            let all = ColorName.allCases.flatMap { c in ShapeKind.allCases.map { "\(c.rawValue) \($0.rawValue)" } }
            let hard = ColorName.allCases.map { "\($0.rawValue) \(anchor.shape.rawValue)" } + ShapeKind.allCases.map { "\(anchor.color.rawValue) \($0.rawValue)" }
            let pool = (rng.chance(0.5) ? hard : all).filter { !present.contains($0) }
            category = rng.pick(pool.isEmpty ? all.filter { !present.contains($0) } : pool)
        }
        return QuestionAnswer(family: .objectExistence, question: popeQuestion(category), answer: positive ? "Yes" : "No",
                              answerType: "yes/no", questionType: "is there a")
    }

    static func popeQuestion(_ category: String) -> String {
        "Is there \(Words.article(category)) \(category) in the image?"
    }

    static func counting(_ scene: Scene, _ rng: inout SeededGenerator) -> QuestionAnswer {
        let kind = rng.int(below: 3)
        if kind == 0 {
            return QuestionAnswer(family: .counting, question: rng.pick(["How many shapes are there in the image?", "How many shapes are there?"]),
                                  answer: String(scene.objects.count), answerType: "number", questionType: "how many")
        } else if kind == 1 {
            let shape = rng.chance(0.7) ? rng.pick(scene.objects).shape : rng.pick(ShapeKind.allCases)
            return QuestionAnswer(family: .counting, question: "How many \(Words.plural(shape)) are there?",
                                  answer: String(scene.objects(shape: shape).count), answerType: "number", questionType: "how many")
        } else {
            let color = rng.chance(0.7) ? rng.pick(scene.objects).color : rng.pick(ColorName.allCases)
            return QuestionAnswer(family: .counting, question: "How many \(color.rawValue) shapes are there?",
                                  answer: String(scene.objects(color: color).count), answerType: "number", questionType: "how many")
        }
    }

    static func reading(_ scene: Scene, _ rng: inout SeededGenerator, allowLetterA: Bool = true) -> QuestionAnswer? {
        let labelled = scene.objects.filter { $0.character != nil && (allowLetterA || $0.character != "A") }
        guard !labelled.isEmpty else { return nil }
        let object = rng.pick(labelled)
        let character = object.character!
        guard let referent = referringExpression(for: object, in: scene, excluding: [.character]) else { return nil }
        let noun = Words.characterNoun(character)
        let (template, type) = rng.pick([("What \(noun) is printed on %@?", "what \(noun) is"), ("What \(noun) is written on %@?", "what \(noun) is"),
                                         ("What character is on %@?", "what character is")])
        return QuestionAnswer(family: .reading, question: fill(template, referent), answer: character,
                              answerType: BitmapFont.isDigit(character) ? "number" : "other", questionType: type)
    }

    static func position(_ scene: Scene, _ rng: inout SeededGenerator) -> QuestionAnswer? {
        let object = rng.pick(scene.objects)
        if rng.chance(0.6) {
            guard let referent = referringExpression(for: object, in: scene, excluding: [.position]) else { return nil }
            return QuestionAnswer(family: .position, question: "Where is \(referent) in the image?", answer: object.position.rawValue,
                                  answerType: "other", questionType: "where is the")
        }
        return QuestionAnswer(family: .position, question: "What shape is \(object.position.phrase)?", answer: object.shape.rawValue,
                              answerType: "other", questionType: "what shape is")
    }

    /// A colour, shape or count question with 3 or 4 options, the correct one at a random place.
    static func multipleChoice(_ scene: Scene, _ rng: inout SeededGenerator) -> QuestionAnswer? {
        guard let base = choiceBase(scene, &rng) else { return nil }
        let optionCount = rng.int(in: 3...4)
        let options = rng.shuffled([base.answer] + rng.sample(base.distractors, count: optionCount - 1))
        let letter = optionLetters[options.firstIndex(of: base.answer)!]
        return QuestionAnswer(family: .multipleChoice, question: base.question, answer: letter, answerType: "other",
                              questionType: base.questionType, options: options)
    }

    struct ChoiceBase { var question: String; var answer: String; var distractors: [String]; var questionType: String }

    static func choiceBase(_ scene: Scene, _ rng: inout SeededGenerator) -> ChoiceBase? {
        switch rng.int(below: 3) {
        case 0:
            guard let q = colorQuestion(scene, &rng) else { return nil }
            return ChoiceBase(question: q.question, answer: q.answer,
                              distractors: ColorName.allCases.map(\.rawValue).filter { $0 != q.answer }, questionType: q.questionType)
        case 1:
            guard let q = shapeQuestion(scene, &rng) else { return nil }
            return ChoiceBase(question: q.question, answer: q.answer,
                              distractors: ShapeKind.allCases.map(\.rawValue).filter { $0 != q.answer }, questionType: q.questionType)
        default:
            let q = counting(scene, &rng)
            return ChoiceBase(question: q.question, answer: q.answer,
                              distractors: (0...5).map(String.init).filter { $0 != q.answer }, questionType: q.questionType)
        }
    }

    static func fill(_ template: String, _ referent: String) -> String {
        template.replacingOccurrences(of: "%@", with: referent)
    }
}

import Foundation
