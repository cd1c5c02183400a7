import Foundation
import Testing
import TensorCore
@testable import SyntheticWorld

/// Answers agree with the scene graph: a small interpreter, written separately from the
/// generator, resolves each question's referring expression against the scene and computes
/// the answer itself.
@Suite struct ConsistencyTests {
    /// Objects matched by "the [small|large] [colour] (shape|object) [position phrase]".
    func resolve(_ phrase: String, in scene: Scene) -> [SceneObject] {
        var words = phrase.split(separator: " ").map(String.init)
        guard words.first == "the" else { return [] }
        words.removeFirst()
        var position: GridPosition?
        for candidate in GridPosition.allCases where phrase.hasSuffix(" " + candidate.phrase) {
            if position == nil || candidate.phrase.count > position!.phrase.count { position = candidate }
        }
        if let position { words.removeLast(position.phrase.split(separator: " ").count) }
        var size: SizeClass?, color: ColorName?, shape: ShapeKind?
        for word in words {
            if let s = SizeClass(rawValue: word) { size = s } else if let c = ColorName(rawValue: word) { color = c }
            else if let k = ShapeKind(rawValue: word) { shape = k } else if word != "object" { return [] }
        }
        return scene.objects.filter { ($0.size == size || size == nil) && ($0.color == color || color == nil)
            && ($0.shape == shape || shape == nil) && ($0.position == position || position == nil) }
    }

    /// The answer to a question, or nil if the interpreter does not know the form.
    func answer(_ question: String, scene: Scene) -> String? {
        func unique(_ phrase: String) -> SceneObject? {
            let found = resolve(phrase, in: scene)
            return found.count == 1 ? found[0] : nil
        }
        func between(_ prefix: String, _ suffix: String) -> String? {
            guard question.hasPrefix(prefix), question.hasSuffix(suffix) else { return nil }
            return String(question.dropFirst(prefix.count).dropLast(suffix.count))
        }
        for prefix in ["What color is ", "What is the color of ", "Which color does "] {
            if let p = between(prefix, prefix == "Which color does " ? " have?" : "?"), let o = unique(p) { return o.color.rawValue }
        }
        for prefix in ["What shape is ", "What is the shape of "] {
            if let p = between(prefix, "?") {
                if let cell = GridPosition.allCases.first(where: { $0.phrase == p }) { return scene.object(at: cell)?.shape.rawValue }
                if let o = unique(p) { return o.shape.rawValue }
            }
        }
        if let p = between("Where is ", " in the image?"), let o = unique(p) { return o.position.rawValue }
        for prefix in ["What letter is printed on ", "What letter is written on ", "What number is printed on ",
                       "What number is written on ", "What character is on "] {
            if let p = between(prefix, "?"), let o = unique(p) { return o.character }
        }
        if let p = between("Is there ", " in the image?") {
            let name = p.split(separator: " ", maxSplits: 1).last.map(String.init) ?? ""
            let parts = name.split(separator: " ").map(String.init)
            let present = parts.count == 2 ? scene.categories.contains(name) : scene.objects.contains { $0.shape.rawValue == name }
            return present ? "Yes" : "No"
        }
        if question.hasPrefix("How many shapes are there") { return String(scene.objects.count) }
        if let p = between("How many ", " are there?") {
            if p.hasSuffix(" shapes"), let c = ColorName(rawValue: String(p.dropLast(7))) { return String(scene.objects(color: c).count) }
            if let k = ShapeKind.allCases.first(where: { Words.plural($0) == p }) { return String(scene.objects(shape: k).count) }
        }
        return nil
    }

    @Test(arguments: TaskFamily.allCases.filter { $0 != .caption && $0 != .multipleChoice })
    func generatedAnswersMatchTheInterpreter(family: TaskFamily) {
        let sampler = SceneSampler(configuration: WorldConfiguration())
        var checked = 0
        for seed in 0..<150 {
            var rng = SeededGenerator(seed: UInt64(seed) &* 7919)
            let scene = sampler.sample(&rng)
            guard let qa = QuestionGenerator.question(family, scene: scene, rng: &rng) else { continue }
            let computed = answer(qa.question, scene: scene)
            #expect(computed == qa.answer, "\(family): \(qa.question) -> \(qa.answer), interpreter says \(computed ?? "nil")")
            checked += 1
        }
        #expect(checked > 25)
    }

    @Test func multipleChoiceLetterPointsAtTheRightOption() {
        let sampler = SceneSampler(configuration: WorldConfiguration())
        for seed in 0..<100 {
            var rng = SeededGenerator(seed: UInt64(seed) &+ 500)
            let scene = sampler.sample(&rng)
            guard let qa = QuestionGenerator.question(.multipleChoice, scene: scene, rng: &rng) else { continue }
            let index = ["A", "B", "C", "D"].firstIndex(of: qa.answer)!
            #expect(answer(qa.question, scene: scene) == qa.options[index], "\(qa.question) \(qa.options) \(qa.answer)")
            #expect(Set(qa.options).count == qa.options.count)
        }
    }

    @Test func captionsListEveryObject() {
        let sampler = SceneSampler(configuration: WorldConfiguration())
        for seed in 0..<50 {
            var rng = SeededGenerator(seed: UInt64(seed))
            let scene = sampler.sample(&rng)
            let text = caption(of: scene)
            for object in scene.objects { #expect(text.lowercased().contains("\(Words.describe(object)) \(object.position.phrase)".lowercased())) }
        }
    }

    /// Every turn of the smoke world's fine-tuning conversations that the interpreter can answer,
    /// the mixed-in object-existence questions among them, agrees with its image's scene.
    @Test func fineTuningConversationsMatchTheirScenes() throws {
        let finetuneScenes = try scenes("finetune")
        var existence = 0
        for record in try readJSON(smokeWorld.appendingPathComponent("train/finetune.json")) as! [[String: Any]] {
            let scene = try #require(finetuneScenes[record["id"] as! String])
            let turns = record["conversations"] as! [[String: String]]
            for (human, gpt) in stride(from: 0, to: turns.count - 1, by: 2).map({ (turns[$0], turns[$0 + 1]) }) {
                let question = human["value"]!.replacingOccurrences(of: "<image>\n", with: "")
                    .replacingOccurrences(of: "\n" + PromptSuffix.shortAnswer, with: "")
                guard let expected = answer(question, scene: scene) else { continue }
                #expect(expected == gpt["value"], "\(question)")
                if question.hasPrefix("Is there") { existence += 1 }
            }
        }
        #expect(existence >= 2 * DatasetSizes.smoke.finetune)
    }

    @Test func benchmarkAnswersMatchTheirScenes() throws {
        // VQAv2: the majority answer is the interpreter's answer (lower-cased).
        let vqaScenes = try scenes("vqav2")
        let questions = (try readJSON(smokeWorld.appendingPathComponent("eval/vqav2/v2_OpenEnded_mscoco_val2014_questions.json")) as! [String: Any])["questions"] as! [[String: Any]]
        let annotations = (try readJSON(smokeWorld.appendingPathComponent("eval/vqav2/v2_mscoco_val2014_annotations.json")) as! [String: Any])["annotations"] as! [[String: Any]]
        for (q, a) in zip(questions, annotations) {
            let scene = try #require(vqaScenes["COCO_val2014_\(zeroPadded(q["image_id"] as! Int, 12)).png"])
            #expect(answer(q["question"] as! String, scene: scene)?.lowercased() == a["multiple_choice_answer"] as? String, "\(q["question"]!)")
        }
        // POPE: labels agree with the scene's categories.
        let popeScenes = try scenes("pope")
        for split in POPESplit.allCases {
            for label in try readJSONLines(smokeWorld.appendingPathComponent("eval/pope/coco/coco_pope_\(split.rawValue).json")) {
                let scene = try #require(popeScenes[label["image"] as! String])
                #expect(answer(label["text"] as! String, scene: scene)?.lowercased() == label["label"] as? String)
            }
        }
        // TextVQA: most annotators give the printed character.
        let textScenes = try scenes("textvqa")
        let data = (try readJSON(smokeWorld.appendingPathComponent("eval/textvqa/TextVQA_0.5.1_val.json")) as! [String: Any])["data"] as! [[String: Any]]
        for entry in data {
            let scene = try #require(textScenes[entry["image_id"] as! String])
            let question = Words.capitalizedFirst(entry["question"] as! String)
            let truth = try #require(answer(question, scene: scene), "\(question)")
            #expect((entry["answers"] as! [String]).filter { $0 == truth.lowercased() }.count >= 6)
        }
        // ScienceQA image problems: the answer index names what the interpreter finds.
        let sqaScenes = try scenes("scienceqa")
        let problems = try readJSON(smokeWorld.appendingPathComponent("eval/scienceqa/problems.json")) as! [String: [String: Any]]
        for (pid, problem) in problems where problem["image"] is String {
            let scene = try #require(sqaScenes[pid])
            let question = (problem["question"] as! String).replacingOccurrences(of: "Which shape is ", with: "What shape is ")
                .replacingOccurrences(of: "Which character is printed on ", with: "What character is on ")
            guard let truth = answer(question, scene: scene) else { continue }  // relations are checked by the MMBench rows' own logic
            #expect((problem["choices"] as! [String])[problem["answer"] as! Int] == truth, "\(question)")
        }
    }
}
