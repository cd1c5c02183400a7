import TensorCore

// VQAv2 val (benchmarks.md section 3) and GQA testdev-balanced (section 4) in their official
// file formats, plus LLaVA's question files.

extension HumanAnswers.Kind {
    init(for qa: QuestionAnswer) {
        switch qa.family {
        case .color: self = .color
        case .shape: self = .shape
        case .counting: self = .number
        case .shapeExistence, .objectExistence: self = .yesNo
        case .reading: self = .character
        case .position: self = qa.questionType == "where is the" ? .position : .shape
        case .caption, .multipleChoice: self = .shape  // never asked as open questions
        }
    }
}

extension WorldGenerator {
    static let vqaFamilies: [TaskFamily] = [.color, .shape, .counting, .shapeExistence, .objectExistence, .position]

    func writeVQAv2(_ writer: DatasetWriter) throws {
        var questions: [JSONValue] = [], annotations: [JSONValue] = [], llava: [JSONValue] = []
        var imageIndex = 0
        report("eval/vqav2", 0, sizes.vqav2)
        while questions.count < sizes.vqav2 {
            var rng = generator("vqav2", imageIndex)
            let scene = sampler.sample(&rng)
            let imageID = imageIndex + 1
            let name = "COCO_val2014_\(zeroPadded(imageID, 12)).\(writer.photoExtension)"
            var asked = Set<String>()
            for k in 0..<rng.int(in: 1...3) where questions.count < sizes.vqav2 {
                guard let qa = QuestionGenerator.question(rng.pick(Self.vqaFamilies), scene: scene, rng: &rng),
                      asked.insert(qa.question).inserted else { continue }
                let questionID = imageID * 1000 + k
                let canonical = qa.answer.lowercased()
                let answers = HumanAnswers.ten(canonical: canonical, kind: HumanAnswers.Kind(for: qa), rng: &rng)
                let confidences = HumanAnswers.confidences(answers, canonical: canonical, rng: &rng)
                questions.append(.object([("image_id", .int(imageID)), ("question", .string(qa.question)), ("question_id", .int(questionID))]))
                annotations.append(.object([
                    ("question_type", .string(qa.questionType)), ("multiple_choice_answer", .string(HumanAnswers.mostCommon(answers))),
                    ("answers", .array(answers.indices.map { i in
                        .object([("answer", .string(answers[i])), ("answer_confidence", .string(confidences[i])), ("answer_id", .int(i + 1))])
                    })),
                    ("image_id", .int(imageID)), ("answer_type", .string(qa.answerType)), ("question_id", .int(questionID)),
                ]))
                llava.append(.object([("question_id", .int(questionID)), ("image", .string(name)),
                                      ("text", .string(qa.question + "\n" + PromptSuffix.shortAnswer)), ("category", .string("default"))]))
                report("eval/vqav2", questions.count, sizes.vqav2)
            }
            if !asked.isEmpty { try writer.writeImage(scene, to: "eval/vqav2/val2014/\(name)", sceneSet: "vqav2", sceneKey: name) }
            imageIndex += 1
        }
        let info: JSONValue = .object([("description", .string("Synthetic shapes world in the VQA v2 format (vlm-data)")),
                                       ("version", .string("2.0")), ("year", .int(2024))])
        let license: JSONValue = .object([("name", .string("generated data")), ("url", .string(""))])
        try writer.writeJSON(.object([("info", info), ("task_type", .string("Open-Ended")), ("data_type", .string("mscoco")),
                                      ("license", license), ("data_subtype", .string("val2014")), ("questions", .array(questions))]),
                             to: "eval/vqav2/v2_OpenEnded_mscoco_val2014_questions.json")
        try writer.writeJSON(.object([("info", info), ("license", license), ("data_subtype", .string("val2014")),
                                      ("annotations", .array(annotations)), ("data_type", .string("mscoco"))]),
                             to: "eval/vqav2/v2_mscoco_val2014_annotations.json")
        try writer.writeJSONLines(llava, to: "eval/vqav2/llava_vqav2_mscoco_val2014.jsonl")
    }

    func writeGQA(_ writer: DatasetWriter) throws {
        var entries: [(String, JSONValue)] = [], llava: [JSONValue] = []
        var imageIndex = 0
        report("eval/gqa", 0, sizes.gqa)
        while entries.count < sizes.gqa {
            var rng = generator("gqa", imageIndex)
            let scene = sampler.sample(&rng, objectCount: rng.int(in: max(2, configuration.minObjects)...max(2, configuration.maxObjects)))
            let imageID = "n\(100_000 + imageIndex)"
            var asked = Set<String>()
            for k in 0..<rng.int(in: 1...3) where entries.count < sizes.gqa {
                guard let q = GQAQuestions.make(scene, &rng), asked.insert(q.question).inserted else { continue }
                let qid = String(20_000_000 + imageIndex * 10 + k)
                entries.append((qid, q.json(imageID: imageID, qid: qid)))
                llava.append(.object([("question_id", .string(qid)), ("image", .string("\(imageID).\(writer.photoExtension)")),
                                      ("text", .string(q.question + "\n" + PromptSuffix.shortAnswer)), ("category", .string("default"))]))
                report("eval/gqa", entries.count, sizes.gqa)
            }
            if !asked.isEmpty {
                try writer.writeImage(scene, to: "eval/gqa/data/images/\(imageID).\(writer.photoExtension)", sceneSet: "gqa", sceneKey: imageID)
            }
            imageIndex += 1
        }
        try writer.writeJSON(.object(entries), to: "eval/gqa/data/testdev_balanced_questions.json")
        try writer.writeJSONLines(llava, to: "eval/gqa/llava_gqa_testdev_balanced.jsonl")
    }
}

/// GQA-style questions with their functional program, types and groups.
struct GQAQuestion {
    var question: String
    var answer: String
    var fullAnswer: String
    var structural: String  // query, verify, logical, choose, compare
    var semantic: String  // attr, obj, rel, cat
    var detailed: String
    var program: [(String, String, [Int])]
    var globalGroup: String?
    var localGroup: String

    func json(imageID: String, qid: String) -> JSONValue {
        .object([
            ("question", .string(question)), ("answer", .string(answer)), ("fullAnswer", .string(fullAnswer)),
            ("isBalanced", .bool(true)), ("imageId", .string(imageID)),
            ("types", .object([("structural", .string(structural)), ("semantic", .string(semantic)), ("detailed", .string(detailed))])),
            ("semantic", .array(program.map { op, argument, dependencies in
                .object([("operation", .string(op)), ("argument", .string(argument)), ("dependencies", .array(dependencies.map(JSONValue.int)))])
            })),
            ("groups", .object([("global", globalGroup.map(JSONValue.string) ?? .null), ("local", .string(localGroup))])),
            ("entailed", .array([])), ("equivalent", .strings([qid])),
            ("annotations", .object([("answer", .object([])), ("question", .object([])), ("fullAnswer", .object([]))])),
        ])
    }
}

enum GQAQuestions {
    static func make(_ scene: Scene, _ rng: inout SeededGenerator) -> GQAQuestion? {
        let object = rng.pick(scene.objects)
        let name = object.shape.rawValue
        switch rng.int(below: 6) {
        case 0:  // query colour
            guard let ref = referringExpression(for: object, in: scene, excluding: [.color]) else { return nil }
            let color = object.color.rawValue
            return GQAQuestion(question: "What color is \(ref)?", answer: color, fullAnswer: Words.capitalizedFirst("\(ref) is \(color)."),
                               structural: "query", semantic: "attr", detailed: "queryAttr",
                               program: [("select", name, []), ("query", "color", [0])], globalGroup: "color",
                               localGroup: "10q-\(name)_color")
        case 1:  // query shape (category)
            guard let ref = referringExpression(for: object, in: scene, excluding: [.shape]) else { return nil }
            return GQAQuestion(question: "What shape is \(ref)?", answer: name, fullAnswer: Words.capitalizedFirst("\(ref) is \(Words.article(name)) \(name)."),
                               structural: "query", semantic: "cat", detailed: "categoryAttr",
                               program: [("select", "object", []), ("filter color", object.color.rawValue, [0]), ("query", "name", [1])],
                               globalGroup: "shape", localGroup: "14-\(object.color.rawValue)_shape")
        case 2:  // verify colour
            guard let ref = referringExpression(for: object, in: scene, excluding: [.color]) else { return nil }
            let truth = rng.chance(0.5)
            let asked = truth ? object.color : rng.pick(ColorName.allCases.filter { $0 != object.color })
            let fullAnswer = truth ? "Yes, \(ref) is \(asked.rawValue)." : "No, \(ref) is \(object.color.rawValue)."
            return GQAQuestion(question: Words.capitalizedFirst("is \(ref) \(asked.rawValue)?"), answer: truth ? "yes" : "no", fullAnswer: fullAnswer,
                               structural: "verify", semantic: "attr", detailed: "verifyAttr",
                               program: [("select", name, []), ("verify color", asked.rawValue, [0])], globalGroup: nil,
                               localGroup: "13-\(name)_\(asked.rawValue)")
        case 3:  // choose colour
            guard let ref = referringExpression(for: object, in: scene, excluding: [.color]) else { return nil }
            let other = rng.pick(ColorName.allCases.filter { $0 != object.color }).rawValue
            let pair = rng.chance(0.5) ? (object.color.rawValue, other) : (other, object.color.rawValue)
            return GQAQuestion(question: Words.capitalizedFirst("is \(ref) \(pair.0) or \(pair.1)?"), answer: object.color.rawValue,
                               fullAnswer: Words.capitalizedFirst("\(ref) is \(object.color.rawValue)."),
                               structural: "choose", semantic: "attr", detailed: "chooseAttr",
                               program: [("select", name, []), ("choose color", "\(pair.0)|\(pair.1)", [0])], globalGroup: "color",
                               localGroup: "11c-\(name)_color")
        case 4:  // logical and / or over shapes
            let a = rng.pick(ShapeKind.allCases), b = rng.pick(ShapeKind.allCases.filter { $0 != a })
            let hasA = !scene.objects(shape: a).isEmpty, hasB = !scene.objects(shape: b).isEmpty
            let isAnd = rng.chance(0.5)
            let truth = isAnd ? (hasA && hasB) : (hasA || hasB)
            let question = isAnd ? "Are there both \(Words.plural(a)) and \(Words.plural(b)) in the image?"
                                 : "Are there either \(Words.plural(a)) or \(Words.plural(b)) in the image?"
            return GQAQuestion(question: question, answer: truth ? "yes" : "no",
                               fullAnswer: truth ? "Yes, there are." : "No, there are not.",
                               structural: "logical", semantic: "obj", detailed: isAnd ? "logicAnd" : "logicOr",
                               program: [("select", a.rawValue, []), ("exist", "?", [0]), ("select", b.rawValue, []), ("exist", "?", [2]),
                                         (isAnd ? "and" : "or", "", [1, 3])], globalGroup: nil,
                               localGroup: "\(isAnd ? "09and" : "09or")-\(a.rawValue)_\(b.rawValue)")
        default:  // spatial relation between two objects
            guard scene.objects.count >= 2 else { return nil }
            let other = rng.pick(scene.objects.filter { $0.position != object.position })
            guard let refA = referringExpression(for: object, in: scene, excluding: [.position]),
                  let refB = referringExpression(for: other, in: scene, excluding: [.position]) else { return nil }
            let horizontal = object.position.column != other.position.column
            let relation: String, truth: Bool
            if horizontal {
                relation = rng.chance(0.5) ? "to the left of" : "to the right of"
                truth = relation == "to the left of" ? object.position.column < other.position.column : object.position.column > other.position.column
            } else {
                relation = rng.chance(0.5) ? "above" : "below"
                truth = relation == "above" ? object.position.row < other.position.row : object.position.row > other.position.row
            }
            return GQAQuestion(question: Words.capitalizedFirst("is \(refA) \(relation) \(refB)?"), answer: truth ? "yes" : "no",
                               fullAnswer: truth ? Words.capitalizedFirst("yes, \(refA) is \(relation) \(refB).") : Words.capitalizedFirst("no, \(refA) is not \(relation) \(refB)."),
                               structural: "verify", semantic: "rel", detailed: "relVerify",
                               program: [("select", other.shape.rawValue, []), ("relate", "\(object.shape.rawValue),\(relation),s", [0]),
                                         ("verify", "?", [1])], globalGroup: nil,
                               localGroup: "13-\(object.shape.rawValue)_\(relation)_\(other.shape.rawValue)")
        }
    }
}
