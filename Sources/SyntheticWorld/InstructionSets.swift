import TensorCore

/// LLaVA conversation data (`[{id, image, conversations:[{from, value}]}]`) for training and
/// the held-out sets that measure each family (pretraining ones: forgetting; fine-tuning
/// ones: what was learned).
struct InstructionSetBuilder {
    let seed: UInt64
    let sampler: SceneSampler
    let maxTurns: Int

    /// One training sample: one image and 1...maxTurns distinct questions of one family
    /// (captions: one turn), plus `existenceTurns` object-existence questions at random places.
    /// Families rotate with the index so every family is equally common.
    func sample(set: String, index: Int, families: [TaskFamily], existenceTurns: Int = 0) -> (id: String, scene: Scene, turns: [QuestionAnswer]) {
        var rng = SeededGenerator(seed: derivedSeed(seed, stream: set, index: index))
        let family = families[index % families.count]
        var scene = sampler.sample(&rng)
        var turns = questions(family, scene: scene, count: family == .caption ? 1 : rng.int(in: 1...maxTurns), rng: &rng)
        // Families such as reading need a suitable scene: redraw (deterministically) until one fits.
        var attempts = 0
        while turns.isEmpty && attempts < 200 {
            scene = sampler.sample(&rng)
            turns = questions(family, scene: scene, count: 1, rng: &rng)
            attempts += 1
        }
        // Drawn last, so the scene and the family's turns are those of a world without them.
        if !turns.isEmpty && existenceTurns > 0 {
            turns = mixingIn(existenceTurns, existenceQuestionsAbout: scene, into: turns, rng: &rng)
        }
        return (set + "-" + zeroPadded(index, 6), scene, turns)
    }

    private func mixingIn(_ count: Int, existenceQuestionsAbout scene: Scene, into turns: [QuestionAnswer],
                          rng: inout SeededGenerator) -> [QuestionAnswer] {
        var result = turns
        var seen = Set(turns.map(\.prompt))
        for _ in 0..<(count * 4) where result.count < turns.count + count {
            guard let qa = QuestionGenerator.question(.objectExistence, scene: scene, rng: &rng), seen.insert(qa.prompt).inserted else { continue }
            result.insert(qa, at: rng.int(in: 0...result.count))
        }
        return result
    }

    private func questions(_ family: TaskFamily, scene: Scene, count: Int, rng: inout SeededGenerator) -> [QuestionAnswer] {
        var result: [QuestionAnswer] = []
        var seen = Set<String>()
        for _ in 0..<(count * 4) where result.count < count {
            guard let qa = QuestionGenerator.question(family, scene: scene, rng: &rng), seen.insert(qa.prompt).inserted else { continue }
            result.append(qa)
        }
        return result
    }

    /// The LLaVA record: `<image>\n` opens the first human turn only.
    static func record(id: String, image: String, turns: [QuestionAnswer]) -> JSONValue {
        var conversation: [JSONValue] = []
        for (i, turn) in turns.enumerated() {
            conversation.append(.object([("from", .string("human")), ("value", .string((i == 0 ? "<image>\n" : "") + turn.prompt))]))
            conversation.append(.object([("from", .string("gpt")), ("value", .string(turn.answer))]))
        }
        return .object([("id", .string(id)), ("image", .string(image)), ("conversations", .array(conversation))])
    }

    /// A held-out question as a LLaVA question-file line plus its answer (scored by exact match).
    static func heldoutLine(id: String, image: String, qa: QuestionAnswer) -> JSONValue {
        .object([("question_id", .string(id)), ("image", .string(image)), ("text", .string(qa.prompt)),
                 ("category", .string(qa.family.rawValue)), ("answer", .string(qa.answer))])
    }
}

extension WorldGenerator {
    func writeInstructionSets(_ writer: DatasetWriter) throws {
        let builder = InstructionSetBuilder(seed: seed, sampler: sampler, maxTurns: sizes.maxTurns)
        for (set, stage, count) in [("pretrain", TaskFamily.Stage.pretraining, sizes.pretrain), ("finetune", .finetuning, sizes.finetune)] {
            let families = TaskFamily.families(stage)
            var records: [JSONValue] = []
            report("train/\(set)", 0, count)
            for index in 0..<count {
                let sample = builder.sample(set: set, index: index, families: families,
                                            existenceTurns: stage == .finetuning ? sizes.finetuneExistenceTurns : 0)
                guard !sample.turns.isEmpty else {
                    throw SyntheticWorldError.cannotGenerate(set: set, reason: "sample \(index) found no scene for its family; raise --character-probability or the object counts")
                }
                let image = "\(set)/\(sample.id).png"
                try writer.writeImage(sample.scene, to: "images/" + image, sceneSet: set, sceneKey: sample.id)
                records.append(InstructionSetBuilder.record(id: sample.id, image: image, turns: sample.turns))
                report("train/\(set)", index + 1, count)
            }
            try writer.writeJSON(.array(records), to: "train/\(set).json", indent: 1)
        }
        for family in TaskFamily.allCases {
            let set = "heldout-\(family.rawValue)"
            var records: [JSONValue] = [], lines: [JSONValue] = []
            report("heldout/\(family.rawValue)", 0, sizes.heldoutPerFamily)
            for index in 0..<sizes.heldoutPerFamily {
                let sample = builder.sample(set: set, index: index, families: [family])
                guard !sample.turns.isEmpty else {
                    throw SyntheticWorldError.cannotGenerate(set: set, reason: "no scene supports \(family.rawValue) questions; raise --character-probability or the object counts")
                }
                let single = Array(sample.turns.prefix(1))
                let image = "heldout/\(family.rawValue)/\(sample.id).png"
                try writer.writeImage(sample.scene, to: "images/" + image, sceneSet: set, sceneKey: sample.id)
                records.append(InstructionSetBuilder.record(id: sample.id, image: image, turns: single))
                lines.append(InstructionSetBuilder.heldoutLine(id: sample.id, image: image, qa: single[0]))
                report("heldout/\(family.rawValue)", index + 1, sizes.heldoutPerFamily)
            }
            try writer.writeJSON(.array(records), to: "heldout/\(family.rawValue).json", indent: 1)
            try writer.writeJSONLines(lines, to: "heldout/\(family.rawValue).jsonl")
        }
    }
}
