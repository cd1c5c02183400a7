import Foundation
import TensorCore

// ScienceQA-IMG test (benchmarks.md section 6) and MMBench dev (section 9): multiple choice.

/// A multiple-choice item about a scene.
struct ChoiceItem {
    var question: String
    var options: [String]
    var answerIndex: Int
    var category: String
    var l2Category: String
    var topic: String
}

enum ChoiceQuestions {
    /// Characters that are never options: an option text "B" would be read as the letter B.
    static let readableCharacters = BitmapFont.characters.filter { !["A", "B", "C", "D", "E"].contains($0) }

    static func make(_ scene: Scene, kind: Int, optionCount: Int, _ rng: inout SeededGenerator) -> ChoiceItem? {
        let object = rng.pick(scene.objects)
        var correct: String, distractors: [String], question: String
        var category: String, l2: String, topic: String
        switch kind {
        case 0:
            guard let ref = referringExpression(for: object, in: scene, excluding: [.color]) else { return nil }
            (question, correct) = ("What color is \(ref)?", object.color.rawValue)
            distractors = ColorName.allCases.map(\.rawValue)
            (category, l2, topic) = ("attribute_recognition", "finegrained_perception (instance-level)", "colors")
        case 1:
            guard let ref = referringExpression(for: object, in: scene, excluding: [.shape]) else { return nil }
            (question, correct) = ("Which shape is \(ref)?", object.shape.rawValue)
            distractors = ShapeKind.allCases.map(\.rawValue)
            (category, l2, topic) = ("attribute_recognition", "finegrained_perception (instance-level)", "shapes")
        case 2:
            guard let ref = referringExpression(for: object, in: scene, excluding: [.position]) else { return nil }
            (question, correct) = ("Where is \(ref) in the image?", object.position.rawValue)
            distractors = GridPosition.allCases.map(\.rawValue)
            (category, l2, topic) = ("object_localization", "finegrained_perception (instance-level)", "positions")
        case 3:
            let labelled = scene.objects.filter { $0.character.map(readableCharacters.contains) ?? false }
            guard let target = labelled.first,
                  let ref = referringExpression(for: target, in: scene, excluding: [.character]) else { return nil }
            (question, correct) = ("Which character is printed on \(ref)?", target.character!)
            distractors = readableCharacters
            (category, l2, topic) = ("ocr", "finegrained_perception (instance-level)", "reading")
        case 4:
            guard scene.objects.count >= 2 else { return nil }
            let other = rng.pick(scene.objects.filter { $0.position != object.position })
            guard let refA = referringExpression(for: object, in: scene, excluding: [.position]),
                  let refB = referringExpression(for: other, in: scene, excluding: [.position]) else { return nil }
            let dc = object.position.column - other.position.column, dr = object.position.row - other.position.row
            correct = abs(dc) >= abs(dr) ? (dc < 0 ? "to the left" : "to the right") : (dr < 0 ? "above" : "below")
            question = Words.capitalizedFirst("where is \(refA) relative to \(refB)?")
            distractors = ["to the left", "to the right", "above", "below"]
            (category, l2, topic) = ("spatial_relationship", "finegrained_perception (cross-instance)", "positions")
        default:
            let total = scene.objects.count
            (question, correct) = ("How many shapes are there in the image?", String(total))
            distractors = (1...6).map(String.init)
            (category, l2, topic) = ("image_scene", "coarse_perception", "counting")
        }
        let others = rng.sample(distractors.filter { $0 != correct }, count: optionCount - 1)
        let options = rng.shuffled([correct] + others)
        return ChoiceItem(question: question, options: options, answerIndex: options.firstIndex(of: correct)!,
                          category: category, l2Category: l2, topic: topic)
    }

    /// An item of `kind`, redrawing the scene until one supports it (reading needs a printed
    /// character, relations two objects); after 50 tries it falls back to counting, which
    /// every scene supports.
    static func itemOfKind(_ kind: Int, optionCount: Int, first: Scene, sampler: SceneSampler, _ rng: inout SeededGenerator) -> (Scene, ChoiceItem) {
        var scene = first
        for attempt in 0... {
            if let item = make(scene, kind: attempt < 50 ? kind : 5, optionCount: optionCount, &rng) { return (scene, item) }
            scene = sampler.sample(&rng)
        }
        preconditionFailure("unreachable")
    }

    /// A ScienceQA-style text-only problem: the context describes a drawing in words.
    static func textOnly(_ scene: Scene, _ rng: inout SeededGenerator) -> (hint: String, item: ChoiceItem) {
        let person = rng.pick(["Mia", "Leo", "Ava", "Noah", "Zoe", "Sam"])
        let parts = scene.objects.map { Words.describe($0) }
        let list = parts.count == 1 ? parts[0] : parts.dropLast().joined(separator: ", ") + " and " + parts.last!
        let hint = "\(person) drew \(list)."
        let object = rng.pick(scene.objects)
        let unique = scene.objects(color: object.color).count == 1
        let item: ChoiceItem
        if unique {
            let options = rng.shuffled([object.shape.rawValue] + rng.sample(ShapeKind.allCases.map(\.rawValue).filter { $0 != object.shape.rawValue }, count: 2))
            item = ChoiceItem(question: "Which shape did \(person) draw in \(object.color.rawValue)?", options: options,
                              answerIndex: options.firstIndex(of: object.shape.rawValue)!, category: "", l2Category: "", topic: "shapes")
        } else {
            let total = String(scene.objects.count)
            let options = rng.shuffled([total] + rng.sample((1...6).map(String.init).filter { $0 != total }, count: 2))
            item = ChoiceItem(question: "How many shapes did \(person) draw?", options: options,
                              answerIndex: options.firstIndex(of: total)!, category: "", l2Category: "", topic: "counting")
        }
        return (hint, item)
    }
}

extension WorldGenerator {
    func writeScienceQA(_ writer: DatasetWriter) throws {
        var problems: [(String, JSONValue)] = [], llava: [JSONValue] = [], pids: [String] = []
        report("eval/scienceqa", 0, sizes.scienceqa)
        for index in 0..<sizes.scienceqa {
            var rng = generator("scienceqa", index)
            let pid = String(index + 1)
            var scene = sampler.sample(&rng)
            let hasImage = rng.chance(0.7)
            var hint = "", item: ChoiceItem?
            if hasImage {
                let optionCount = rng.int(in: 2...5)
                (scene, item) = ChoiceQuestions.itemOfKind(rng.int(below: 6), optionCount: optionCount, first: scene, sampler: sampler, &rng)
                if rng.chance(0.2) { hint = "Look at the picture." }
                try writer.writeImage(scene, to: "eval/scienceqa/images/test/\(pid)/image.png", sceneSet: "scienceqa", sceneKey: pid)
            } else {
                (hint, item) = ChoiceQuestions.textOnly(scene, &rng)
            }
            let problem = item!
            let grade = "grade\(rng.int(in: 1...3))"
            let solution = "The correct answer is \(problem.options[problem.answerIndex])."
            problems.append((pid, .object([
                ("question", .string(problem.question)), ("choices", .strings(problem.options)), ("answer", .int(problem.answerIndex)),
                ("hint", .string(hint)), ("image", hasImage ? .string("image.png") : .null), ("task", .string("closed choice")),
                ("grade", .string(grade)), ("subject", .string("natural science")), ("topic", .string(problem.topic)),
                ("category", .string("Identify \(problem.topic)")), ("skill", .string("Identify \(problem.topic) in a picture")),
                ("lecture", .string("Shapes have a color, a form and a place in the picture.")), ("solution", .string(solution)),
                ("split", .string("test")),
            ])))
            pids.append(pid)
            llava.append(Self.scienceQARecord(pid: pid, hint: hint, problem: problem, hasImage: hasImage))
            report("eval/scienceqa", index + 1, sizes.scienceqa)
        }
        try writer.writeJSON(.object(problems), to: "eval/scienceqa/problems.json")
        try writer.writeJSON(.object([("train", .array([])), ("val", .array([])), ("test", .strings(pids)),
                                      ("minival", .array([])), ("minitest", .strings(Array(pids.prefix(max(1, pids.count / 4)))))]),
                             to: "eval/scienceqa/pid_splits.json")
        try writer.writeJSON(.array(llava), to: "eval/scienceqa/llava_test_CQM-A.json", indent: 2)
    }

    /// LLaVA's `convert_sqa_to_llava --prompt-format CQM-A` entry (benchmarks.md section 6).
    static func scienceQARecord(pid: String, hint: String, problem: ChoiceItem, hasImage: Bool) -> JSONValue {
        let context = hint.trimmingCharacters(in: .whitespaces).isEmpty ? "N/A" : hint
        let options = problem.options.enumerated().map { "(\(optionLetters[$0.offset])) \($0.element)" }.joined(separator: " ")
        var value = "Context: \(context)\nQuestion: \(problem.question)\nOptions: \(options)"
        value = value.replacingOccurrences(of: "  ", with: " ").trimmingCharacters(in: .whitespacesAndNewlines)
        if hasImage { value += "\n<image>" }
        var fields: [(String, JSONValue)] = [("id", .string(pid))]
        if hasImage { fields.append(("image", .string("\(pid)/image.png"))) }
        fields.append(("conversations", .array([
            .object([("from", .string("human")), ("value", .string(value))]),
            .object([("from", .string("gpt")), ("value", .string("The answer is \(optionLetters[problem.answerIndex])."))]),
        ])))
        return .object(fields)
    }

    static let mmbenchColumns = ["index", "question", "hint", "A", "B", "C", "D", "answer", "category", "image", "source", "l2-category", "comment", "split"]

    func writeMMBench(_ writer: DatasetWriter) throws {
        var mainRows: [[String]] = [], copies: [[String]] = []
        report("eval/mmbench", 0, sizes.mmbench)
        for group in 0..<sizes.mmbench {
            var rng = generator("mmbench", group)
            var scene = sampler.sample(&rng)
            let optionCount = [4, 4, 4, 3, 2][rng.int(below: 5)]
            let item: ChoiceItem?
            (scene, item) = ChoiceQuestions.itemOfKind(rng.int(below: 6), optionCount: optionCount, first: scene, sampler: sampler, &rng)
            let image = try writer.encodedImage(scene, sceneSet: "mmbench", sceneKey: String(group)).base64EncodedString()
            let hint = rng.chance(0.3) ? "The image shows \(Words.numbers[scene.objects.count]) shape\(scene.objects.count == 1 ? "" : "s")." : ""
            // Circular evaluation: copy k presents the options rotated left by k (benchmarks.md section 9).
            for k in 0..<item!.options.count {
                let n = item!.options.count
                let options = (0..<n).map { item!.options[($0 + k) % n] }
                let answer = optionLetters[(item!.answerIndex - k + n) % n]
                let row = [String(group + k * 1_000_000), item!.question, hint] + (0..<4).map { $0 < n ? options[$0] : "" }
                    + [answer, item!.category, image, "synthetic_world", item!.l2Category, "", "dev"]
                if k == 0 { mainRows.append(row) } else { copies.append(row) }
            }
            report("eval/mmbench", group + 1, sizes.mmbench)
        }
        let lines = [Self.mmbenchColumns] + mainRows + copies
        try writer.writeText(lines.map { $0.joined(separator: "\t") + "\n" }.joined(), to: "eval/mmbench/mmbench_dev_20230712.tsv")
    }
}
