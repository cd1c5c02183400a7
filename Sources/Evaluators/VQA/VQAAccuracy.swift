import Foundation

// The VQA accuracy (benchmarks.md section 2.3): the mean over the ten leave-one-out subsets of
// min(1, matches/3). The float operations follow each upstream so that sums agree exactly.

/// One GT answer of a VQA annotation. vqaEval.py removes "the current answer" from the list by
/// dict inequality, so two entries with equal answer, confidence and answer_id are removed
/// together; `identity` holds those other keys.
public struct VQAGroundTruthAnswer: Sendable, Equatable {
    public var answer: String
    public var identity: JSONValue

    public init(answer: String, identity: JSONValue = .null) {
        self.answer = answer
        self.identity = identity
    }
}

/// GT-Vision-Lab/VQA vqaEval.py `VQAEval.evaluate`, for one question: strip tabs/newlines,
/// normalise prediction and GT only if the GT answers are not all identical, then average.
public func officialVQAAccuracy(prediction: String, groundTruth: [VQAGroundTruthAnswer]) -> Double {
    var gts = groundTruth.map { VQAGroundTruthAnswer(answer: vqaStripWhitespace($0.answer), identity: $0.identity) }
    var result = vqaStripWhitespace(prediction)
    if Set(gts.map(\.answer)).count > 1 {
        gts = gts.map { VQAGroundTruthAnswer(answer: vqaOfficialNormalize($0.answer), identity: $0.identity) }
        result = vqaOfficialNormalize(result)
    }
    return leaveOneOutAccuracy(result, gts)
}

/// The VizWiz-API variant described in benchmarks.md section 5 (unofficial): the prediction is
/// always normalised, the GT answers are compared exactly as stored.
public func vizWizValAccuracy(prediction: String, groundTruth: [VQAGroundTruthAnswer]) -> Double {
    leaveOneOutAccuracy(vqaOfficialNormalize(prediction), groundTruth)
}

private func leaveOneOutAccuracy(_ prediction: String, _ gts: [VQAGroundTruthAnswer]) -> Double {
    guard !gts.isEmpty else { return 0 }
    var accuracies: [Double] = []
    for current in gts {
        let matching = gts.filter { $0 != current && $0.answer == prediction }.count
        accuracies.append(min(1, Double(matching) / 3))
    }
    return accuracies.reduce(0, +) / Double(accuracies.count)
}

/// LLaVA m4c_evaluator.py `TextVQAAccuracyEvaluator`, for one question: the prediction and all
/// ten GT answers go through `EvalAIAnswerProcessor`; there must be exactly ten answers.
public func textVQAAccuracy(prediction: String, groundTruth: [String]) -> Double {
    let answers = groundTruth.map(evalAIProcessAnswer)
    let processed = evalAIProcessAnswer(prediction)
    guard answers.contains(processed) else { return 0 }
    var accuracies: [Double] = []
    for (index, _) in answers.enumerated() {
        var matching = 0
        for (other, answer) in answers.enumerated() where other != index && answer == processed { matching += 1 }
        accuracies.append(min(1, Double(matching) / 3))
    }
    return accuracies.reduce(0, +) / Double(accuracies.count)
}
