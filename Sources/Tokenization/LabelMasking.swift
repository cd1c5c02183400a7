// Training targets exactly as haotian-liu/LLaVA builds them (llava/train/train.py:
// `LazySupervisedDataset.__getitem__` -> `preprocess_multimodal` -> `preprocess_v1` /
// `preprocess_plain`, then `DataCollatorForSupervisedDataset`'s truncation to model_max_length).
// LLaVA prints "WARNING: tokenization mismatch" and ignores the sample; here the mismatch is returned
// with the sample's id so the caller can report it.
import Foundation

/// One record of a LLaVA training JSON (`[{"id", "image", "conversations": [{"from", "value"}]}]`).
public struct LLaVASample: Decodable, Sendable {
    public struct Turn: Codable, Sendable, Equatable {
        public var from: String
        public var value: String
        public init(from: String, value: String) {
            self.from = from
            self.value = value
        }
    }

    /// The record's `id` (string or number), or "" when it has none.
    public var id: String
    public var image: String?
    public var conversations: [Turn]

    public init(id: String, image: String? = nil, conversations: [Turn]) {
        self.id = id
        self.image = image
        self.conversations = conversations
    }

    enum CodingKeys: String, CodingKey { case id, image, conversations }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let s = try? c.decode(String.self, forKey: .id) {
            id = s
        } else if let n = try? c.decode(Int.self, forKey: .id) {
            id = String(n)
        } else {
            id = ""
        }
        image = try c.decodeIfPresent(String.self, forKey: .image)
        conversations = try c.decode([Turn].self, forKey: .conversations)
    }
}

/// LLaVA's "tokenization mismatch": the masked length disagrees with the tokenised length, so every
/// label is ignored.
public struct TokenizationMismatch: Sendable, Equatable, CustomStringConvertible {
    public var sampleId: String
    public var maskedLength: Int
    public var totalLength: Int
    public var description: String {
        "sample \(sampleId): tokenization mismatch: \(maskedLength) vs. \(totalLength) (all labels ignored, as LLaVA does)"
    }
}

public struct LabeledSample: Sendable {
    /// Prompt after the template (and LLaVA's `<image>` placement).
    public var prompt: String
    /// Ids, with `LLaVAConstants.imageTokenIndex` where images go; at most model_max_length long.
    public var inputIds: [Int]
    /// Targets: `LLaVAConstants.ignoreIndex` where no loss is taken.
    public var labels: [Int]
    /// Set when LLaVA would have printed its mismatch warning.
    public var mismatch: TokenizationMismatch?
}

public struct LLaVAPreprocessor: Sendable {
    public var tokenizer: Tokenizer
    public var template: ConversationTemplate
    /// `--model_max_length`.
    public var modelMaxLength: Int
    /// LLaVA sets `tokenizer.pad_token = tokenizer.unk_token` for v1 and plain training.
    public var padTokenId: Int?
    /// `data_args.is_multimodal`: true whenever a vision tower is configured.
    public var isMultimodal = true

    public init(tokenizer: Tokenizer, template: ConversationTemplate, modelMaxLength: Int) {
        self.tokenizer = tokenizer
        self.template = template
        self.modelMaxLength = modelMaxLength
        padTokenId = tokenizer.unkTokenId
    }

    public func preprocess(_ sample: LLaVASample) throws -> LabeledSample {
        let hasImage = sample.image != nil
        var turns = sample.conversations
        if hasImage && isMultimodal { turns = turns.map(Self.placeImageToken) }
        var result: LabeledSample
        switch template.separatorStyle {
        case .plain: result = try preprocessPlain(turns, sampleId: sample.id)
        case .two: result = try preprocessV1(turns, sampleId: sample.id, hasImage: hasImage)
        }
        // DataCollatorForSupervisedDataset.
        result.inputIds = Array(result.inputIds.prefix(modelMaxLength))
        result.labels = Array(result.labels.prefix(modelMaxLength))
        return result
    }

    /// `preprocess_multimodal`: the image placeholder moves to the front of its turn, then "\n".
    static func placeImageToken(_ turn: LLaVASample.Turn) -> LLaVASample.Turn {
        let token = LLaVAConstants.imageToken
        let parts = turn.value.pythonSplit(token)
        guard parts.count > 1 else { return turn }
        let rest = parts.joined().pythonStripped()
        return LLaVASample.Turn(from: turn.from, value: (token + "\n" + rest).pythonStripped())
    }

    private func encodeLength(_ text: String, hasImage: Bool) -> Int {
        hasImage ? tokenizer.encodeWithImagePlaceholders(text).count : tokenizer.encode(text).count
    }

    /// `preprocess_v1`.
    func preprocessV1(_ source: [LLaVASample.Turn], sampleId: String, hasImage: Bool) throws -> LabeledSample {
        let roles = ["human": template.roles.user, "gpt": template.roles.assistant]
        func role(_ turn: LLaVASample.Turn, _ index: Int) throws -> String {
            guard let r = roles[turn.from] else {
                throw TokenizationError.invalidConversation(sampleId: sampleId,
                    reason: "turn \(index) is from '\(turn.from)'; LLaVA conversations use 'human' and 'gpt'")
            }
            return r
        }
        guard let first = source.first else {
            throw TokenizationError.invalidConversation(sampleId: sampleId, reason: "the conversation has no turns")
        }
        // A conversation that opens with the assistant loses that turn.
        let turns = try role(first, 0) != template.roles.user ? Array(source.dropFirst()) : source
        var messages: [(role: String, message: String?)] = []
        for (j, turn) in turns.enumerated() {
            let r = try role(turn, j)
            let expected = j % 2 == 0 ? template.roles.user : template.roles.assistant
            guard r == expected else {
                throw TokenizationError.invalidConversation(sampleId: sampleId,
                    reason: "turn \(j) is from '\(turn.from)' but human and gpt turns must alternate, starting with human")
            }
            messages.append((r, turn.value))
        }
        let prompt = template.prompt(messages)
        let ids = hasImage ? tokenizer.encodeWithImagePlaceholders(prompt) : Array(tokenizer.encode(prompt).prefix(modelMaxLength))
        var targets = ids
        let sep = template.sep + template.roles.assistant + ": "
        let totalLength = ids.filter { $0 != padTokenId }.count
        var current = 1
        pythonSliceAssign(&targets, 0, current)
        let rounds = template.sep2.flatMap { $0.isEmpty ? nil : prompt.pythonSplit($0) } ?? [prompt]
        for (i, round) in rounds.enumerated() {
            if round.isEmpty { break }
            let parts = round.pythonSplit(sep)
            if parts.count != 2 { break }
            var roundLength = encodeLength(round, hasImage: hasImage)
            var instructionLength = encodeLength(parts[0] + sep, hasImage: hasImage) - 2
            // LLaVA's adjustment for non-legacy tokenizers (tokenizers >= 0.14): "USER" after </s>
            // is one token fewer than at the start of a text.
            if i != 0 && !tokenizer.legacy {
                roundLength -= 1
                instructionLength -= 1
            }
            pythonSliceAssign(&targets, current, current + instructionLength)
            current += roundLength
        }
        pythonSliceAssign(&targets, current, nil)
        var mismatch: TokenizationMismatch?
        if current < modelMaxLength && current != totalLength {
            targets = [Int](repeating: LLaVAConstants.ignoreIndex, count: targets.count)
            mismatch = TokenizationMismatch(sampleId: sampleId, maskedLength: current, totalLength: totalLength)
        }
        return LabeledSample(prompt: prompt, inputIds: ids, labels: targets, mismatch: mismatch)
    }

    /// `preprocess_plain`: "<image>" + caption + "\n", loss on the caption only.
    func preprocessPlain(_ source: [LLaVASample.Turn], sampleId: String) throws -> LabeledSample {
        guard source.count == 2 else {
            throw TokenizationError.invalidConversation(sampleId: sampleId,
                reason: "the plain template needs exactly 2 turns (image prompt, caption), found \(source.count)")
        }
        guard source[0].value.pythonSplit(LLaVAConstants.imageToken).count > 1 else {
            throw TokenizationError.invalidConversation(sampleId: sampleId, reason: "the plain template needs <image> in the first turn")
        }
        let prompt = LLaVAConstants.imageToken + source[1].value + template.sep
        let ids = tokenizer.encodeWithImagePlaceholders(prompt)
        var targets = ids
        let instructionLength = tokenizer.encodeWithImagePlaceholders(LLaVAConstants.imageToken).count
        pythonSliceAssign(&targets, 0, instructionLength)
        return LabeledSample(prompt: prompt, inputIds: ids, labels: targets, mismatch: nil)
    }
}

/// `target[start:stop] = IGNORE_INDEX` with Python's slice rules (negative bounds count from the
/// end, out-of-range bounds clip, an empty range does nothing).
func pythonSliceAssign(_ a: inout [Int], _ start: Int, _ stop: Int?, value: Int = LLaVAConstants.ignoreIndex) {
    let n = a.count
    func clip(_ i: Int) -> Int { i < 0 ? max(0, n + i) : min(i, n) }
    let lo = clip(start), hi = clip(stop ?? n)
    guard lo < hi else { return }
    for i in lo..<hi { a[i] = value }
}
