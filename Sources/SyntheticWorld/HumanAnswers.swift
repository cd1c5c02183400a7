import TensorCore

/// Ten crowd-worker answers for one question, as VQAv2, VizWiz and TextVQA store them: most
/// workers give the canonical answer, some a synonym or another wording, a few a wrong one.
/// The canonical answer is always given by at least 6 of the 10, so a model that answers it
/// scores 100% under the VQA accuracy (which needs 4 matches for full credit).
enum HumanAnswers {
    enum Kind { case color, shape, number, yesNo, character, position, unanswerable }

    static func ten(canonical: String, kind: Kind, rng: inout SeededGenerator) -> [String] {
        let agreeing = rng.int(in: 6...10)
        var answers = Array(repeating: canonical, count: agreeing)
        for _ in agreeing..<10 {
            let variants = rephrasings(canonical, kind)
            let mistakes = wrong(canonical, kind)
            if !mistakes.isEmpty && (variants.isEmpty || rng.chance(0.3)) {
                answers.append(rng.pick(mistakes))
            } else if !variants.isEmpty {
                answers.append(rng.pick(variants))
            } else {
                answers.append(canonical)
            }
        }
        return rng.shuffled(answers)
    }

    /// VQA's answer_confidence for each answer: "yes" for the canonical answer mostly.
    static func confidences(_ answers: [String], canonical: String, rng: inout SeededGenerator) -> [String] {
        answers.map { $0 == canonical ? (rng.chance(0.9) ? "yes" : "maybe") : rng.pick(["yes", "maybe", "no"]) }
    }

    /// The most frequent answer, ties broken by first appearance (VQA's multiple_choice_answer).
    static func mostCommon(_ answers: [String]) -> String {
        var counts: [String: Int] = [:]
        for answer in answers { counts[answer, default: 0] += 1 }
        return answers.max { counts[$0]! < counts[$1]! || (counts[$0]! == counts[$1]! && answers.firstIndex(of: $0)! < answers.firstIndex(of: $1)!) }!
    }

    static func rephrasings(_ canonical: String, _ kind: Kind) -> [String] {
        switch kind {
        case .color:
            var list = ["dark \(canonical)", "light \(canonical)", canonical.capitalized]
            if canonical == "gray" { list += ["grey", "grey"] }
            return list
        case .shape:
            let synonyms: [String: [String]] = [
                "circle": ["round", "circular", "oval"], "square": ["rectangle", "box", "square shape"],
                "triangle": ["triangular", "pyramid"], "star": ["star shape", "pentagram"],
                "cross": ["plus", "plus sign", "cross shape"], "diamond": ["rhombus", "diamond shape"],
            ]
            return synonyms[canonical] ?? []
        case .number:
            guard let value = Int(canonical), value < Words.numbers.count else { return [] }
            return [Words.numbers[value], value == 1 ? "1 shape" : "\(canonical) shapes"]
        case .yesNo: return [canonical.capitalized]
        case .character:
            let upper = canonical.uppercased()
            return BitmapFont.isDigit(upper) ? ["number \(upper)", Words.numbers[Int(upper)!]] : [upper, "letter \(canonical)", "\(upper)."]
        case .position:
            let words = canonical.split(separator: " ").map(String.init)
            var list = ["\(canonical) corner", "the \(canonical)"]
            if words.first == "top" { list.append((["upper"] + words.dropFirst()).joined(separator: " ")) }
            if words.first == "bottom" { list.append((["lower"] + words.dropFirst()).joined(separator: " ")) }
            return list
        case .unanswerable: return ["unsuitable", "unsuitable image"]
        }
    }

    static func wrong(_ canonical: String, _ kind: Kind) -> [String] {
        switch kind {
        case .color:
            let near: [String: [String]] = ["red": ["orange", "pink"], "orange": ["red", "yellow"], "yellow": ["orange"],
                                            "green": ["blue"], "blue": ["purple"], "purple": ["blue", "pink"], "pink": ["purple", "red"],
                                            "brown": ["orange", "black"], "gray": ["white", "black"], "white": ["gray"], "black": ["gray"]]
            return near[canonical] ?? []
        case .shape:
            let near: [String: [String]] = ["circle": ["oval"], "square": ["rectangle"], "triangle": ["arrow"], "star": ["flower"],
                                            "cross": ["x"], "diamond": ["square"]]
            return near[canonical] ?? []
        case .number:
            guard let value = Int(canonical) else { return [] }
            return [String(value + 1)] + (value > 0 ? [String(value - 1)] : [])
        case .yesNo: return [canonical.lowercased() == "yes" ? "no" : "yes"]
        case .character:
            let confusable: [String: [String]] = ["o": ["0", "q"], "0": ["o"], "i": ["1", "l"], "1": ["i", "7"], "l": ["i"],
                                                  "s": ["5"], "5": ["s"], "b": ["8"], "8": ["b"], "z": ["2"], "2": ["z"]]
            return confusable[canonical.lowercased()] ?? []
        case .position: return []
        case .unanswerable: return []
        }
    }
}
