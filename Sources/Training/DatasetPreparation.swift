import Foundation
import Imaging
import TensorCore
import Tokenization

/// A training example ready for the model: LLaVA-style ids (image placeholder -200 where the
/// image goes), masked labels of the same length, and the image file if any.
public struct PreparedExample: Sendable {
    public var id: String
    public var inputIds: [Int]
    public var labels: [Int32]
    public var imagePath: String?
    /// Tokens that carry loss (labels != -100, after the one-token shift they are the targets).
    public var supervisedTokens: Int { labels.dropFirst().filter { $0 != ignoreIndex }.count }
}

/// Turns samples into prepared examples: template + tokenisation + LLaVA's label masking, and a
/// check that each image decodes. Samples that cannot be used (missing or corrupt image, LLaVA's
/// tokenization mismatch, nothing left to learn after truncation) are reported by id and
/// skipped, or fatal with `strict`.
public struct DatasetPreparation {
    public var preprocessor: LLaVAPreprocessor
    public var imageFolder: String?
    public var strict: Bool

    public init(preprocessor: LLaVAPreprocessor, imageFolder: String?, strict: Bool = false) {
        self.preprocessor = preprocessor
        self.imageFolder = imageFolder
        self.strict = strict
    }

    public struct Result: Sendable {
        public var examples: [PreparedExample]
        /// One line per skipped sample: "id: reason".
        public var skipped: [String]
    }

    public func prepare(_ samples: [TrainingSample], progress: ((Int, Int) -> Void)? = nil) throws -> Result {
        var examples: [PreparedExample] = [], skipped: [String] = []
        for (index, sample) in samples.enumerated() {
            defer { progress?(index + 1, samples.count) }
            do {
                examples.append(try prepare(sample))
            } catch let error as DatasetError {
                if strict { throw error }
                skipped.append(error.description)
            }
        }
        guard !examples.isEmpty else { throw DatasetError.nothingUsable(skipped: skipped.count) }
        return Result(examples: examples, skipped: skipped)
    }

    public func prepare(_ sample: TrainingSample) throws -> PreparedExample {
        var imagePath: String? = nil
        if let image = sample.image {
            guard let folder = imageFolder else {
                throw DatasetError.unusable(id: sample.id, reason: "has image '\(image)' but no --image-folder was given")
            }
            let path = (folder as NSString).appendingPathComponent(image)
            do { _ = try ImageDecoder.decode(path: path) } catch {
                throw DatasetError.unusable(id: sample.id, reason: "image: \(error)")
            }
            imagePath = path
        }
        let llava = LLaVASample(id: sample.id, image: sample.image,
                                conversations: sample.turns.map { .init(from: $0.speaker.rawValue, value: $0.text) })
        let labeled: LabeledSample
        do { labeled = try preprocessor.preprocess(llava) } catch {
            throw DatasetError.unusable(id: sample.id, reason: "\(error)")
        }
        if let mismatch = labeled.mismatch {
            throw DatasetError.unusable(id: sample.id, reason: "tokenization mismatch: \(mismatch.maskedLength) vs. \(mismatch.totalLength) tokens (LLaVA ignores every label of such a sample)")
        }
        let example = PreparedExample(id: sample.id, inputIds: labeled.inputIds, labels: labeled.labels.map { Int32($0) },
                                      imagePath: imagePath)
        if imagePath != nil && !example.inputIds.contains(LLaVAConstants.imageTokenIndex) {
            throw DatasetError.unusable(id: sample.id, reason: "the image placeholder was truncated away (raise --model-max-length)")
        }
        guard example.supervisedTokens > 0 else {
            throw DatasetError.unusable(id: sample.id, reason: "no answer tokens left to learn from after truncation at \(preprocessor.modelMaxLength)")
        }
        return example
    }
}

public enum DatasetError: Error, CustomStringConvertible, Equatable {
    case unusable(id: String, reason: String)
    case nothingUsable(skipped: Int)

    public var description: String {
        switch self {
        case let .unusable(id, reason): return "sample \(id): \(reason)"
        case let .nothingUsable(skipped): return "the dataset has no usable samples (\(skipped) skipped)"
        }
    }
}

/// The order of examples in each epoch: a permutation drawn from `seed` and the epoch number,
/// so a resumed run sees exactly the order an uninterrupted one would.
public func epochOrder(count: Int, epoch: Int, seed: UInt64) -> [Int] {
    var generator = SeededGenerator(seed: seed &+ 0x9E37_79B9 &* UInt64(epoch + 1))
    var order = Array(0..<count)
    guard count > 1 else { return order }
    for i in stride(from: count - 1, to: 0, by: -1) {
        let j = Int(generator.next() % UInt64(i + 1))
        order.swapAt(i, j)
    }
    return order
}
