import Foundation

/// One training example before tokenisation.
public struct TrainingSample: Sendable, Equatable {
    public enum Speaker: String, Sendable { case human, gpt }
    public struct Turn: Sendable, Equatable {
        public var speaker: Speaker
        public var text: String
    }
    public var id: String
    /// Image file relative to --image-folder, nil for text-only samples.
    public var image: String?
    /// Alternating human / gpt turns, starting with human.
    public var turns: [Turn]
}

public enum TrainingDataError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case notAList(path: String)
    case empty(path: String)
    case malformedSample(path: String, id: String, index: Int, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): cannot read training data: \(reason)"
        case let .notAList(path): return "\(path): training data must be a JSON list of samples"
        case let .empty(path): return "\(path): the dataset has no usable samples"
        case let .malformedSample(path, id, index, reason): return "\(path): sample \(index) (id \(id)): \(reason)"
        }
    }
}

/// Reads the data formats the paper's runs use:
///   - LLaVA conversations: `[{"id", "image"?, "conversations": [{"from": "human"|"gpt", "value"}]}]`
///   - LLM-Adapters instructions: `[{"instruction", "input"?, "output"}]`
///   - MetaMathQA: `[{"query", "response"}]`
/// Instruction formats become a single human/gpt round; the prompt text follows the Alpaca
/// template LLM-Adapters trains with. Malformed samples are collected (with id and reason),
/// not fatal, unless `strict`.
public struct TrainingDataReader {
    public var strict: Bool

    public init(strict: Bool = false) { self.strict = strict }

    public struct Result: Sendable {
        public var samples: [TrainingSample]
        public var skipped: [TrainingDataError]
    }

    public func read(path: String) throws -> Result {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw TrainingDataError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw TrainingDataError.unreadable(path: path, reason: "not valid JSON")
        }
        guard let list = object as? [Any] else { throw TrainingDataError.notAList(path: path) }
        var samples: [TrainingSample] = [], skipped: [TrainingDataError] = []
        for (index, item) in list.enumerated() {
            do {
                samples.append(try sample(item, index: index, path: path))
            } catch let error as TrainingDataError {
                if strict { throw error }
                skipped.append(error)
            }
        }
        if samples.isEmpty { throw TrainingDataError.empty(path: path) }
        return Result(samples: samples, skipped: skipped)
    }

    private func sample(_ item: Any, index: Int, path: String) throws -> TrainingSample {
        guard let fields = item as? [String: Any] else {
            throw TrainingDataError.malformedSample(path: path, id: "?", index: index, reason: "not a JSON object")
        }
        let id = (fields["id"]).map { "\($0)" } ?? String(index)
        func fail(_ reason: String) -> TrainingDataError {
            .malformedSample(path: path, id: id, index: index, reason: reason)
        }
        if let conversations = fields["conversations"] {
            guard let turnsList = conversations as? [[String: Any]], !turnsList.isEmpty else {
                throw fail("'conversations' must be a non-empty list of {from, value}")
            }
            var turns: [TrainingSample.Turn] = []
            for (i, turn) in turnsList.enumerated() {
                guard let from = turn["from"] as? String, let value = turn["value"] as? String else {
                    throw fail("turn \(i) needs string 'from' and 'value'")
                }
                guard let speaker = TrainingSample.Speaker(rawValue: from) else {
                    throw fail("turn \(i) is from '\(from)'; expected 'human' or 'gpt'")
                }
                let expected: TrainingSample.Speaker = i % 2 == 0 ? .human : .gpt
                guard speaker == expected else { throw fail("turn \(i) is from \(from); turns must alternate human, gpt, ...") }
                turns.append(.init(speaker: speaker, text: value))
            }
            guard turns.count % 2 == 0 else { throw fail("the conversation ends with a human turn that has no answer") }
            var image: String? = nil
            if let value = fields["image"] {
                guard let name = value as? String, !name.isEmpty else { throw fail("'image' must be a file name") }
                image = name
            }
            return TrainingSample(id: id, image: image, turns: turns)
        }
        if let instruction = fields["instruction"] as? String, let output = fields["output"] as? String {
            let input = (fields["input"] as? String) ?? ""
            return TrainingSample(id: id, image: nil, turns: [.init(speaker: .human, text: Self.alpacaPrompt(instruction: instruction, input: input)),
                                                             .init(speaker: .gpt, text: output)])
        }
        if let query = fields["query"] as? String, let response = fields["response"] as? String {
            return TrainingSample(id: id, image: nil, turns: [.init(speaker: .human, text: Self.alpacaPrompt(instruction: query, input: "")),
                                                             .init(speaker: .gpt, text: response)])
        }
        throw fail("expected 'conversations', 'instruction'+'output' or 'query'+'response'")
    }

    /// The Alpaca prompt LLM-Adapters (finetune.py, generate_prompt) trains and evaluates with.
    public static func alpacaPrompt(instruction: String, input: String) -> String {
        if input.isEmpty {
            return "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\n\(instruction)\n\n### Response:\n"
        }
        return "Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n\n### Instruction:\n\(instruction)\n\n### Input:\n\(input)\n\n### Response:\n"
    }
}
