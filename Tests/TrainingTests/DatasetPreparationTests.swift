import Foundation
import Testing
import TensorCore
import Tokenization
@testable import Training

/// Samples become LLaVA-masked examples with the fixture tokenizer (whose labels are checked
/// against LLaVA's own preprocess_v1 in TokenizationTests); unusable samples are reported by id.
@Suite struct DatasetPreparationTests {
    func preparation(strict: Bool = false, maxLength: Int = 2048) throws -> DatasetPreparation {
        let tokenizer = try Tokenizer.load(directory: fixturePath("tokenization", "tokenizers/vicuna"))
        let preprocessor = LLaVAPreprocessor(tokenizer: tokenizer, template: try .named("vicuna_v1"), modelMaxLength: maxLength)
        return DatasetPreparation(preprocessor: preprocessor, imageFolder: fixturePath("imaging", ""), strict: strict)
    }

    func sample(_ id: String, image: String?) -> TrainingSample {
        TrainingSample(id: id, image: image, turns: [.init(speaker: .human, text: (image != nil ? "<image>\n" : "") + "What colour is the circle?"),
                                                     .init(speaker: .gpt, text: "The circle is red.")])
    }

    @Test func preparesImageAndTextSamplesAndSkipsBadImages() throws {
        let samples = [sample("ok", image: "images/jpeg_444_64x48.jpg"), sample("text", image: nil),
                       sample("truncated", image: "bad/truncated.jpg"), sample("missing", image: "images/none.png")]
        let result = try preparation().prepare(samples)
        #expect(result.examples.map(\.id) == ["ok", "text"])
        let withImage = result.examples[0]
        #expect(withImage.inputIds.filter { $0 == LLaVAConstants.imageTokenIndex }.count == 1)
        #expect(withImage.inputIds.count == withImage.labels.count)
        #expect(withImage.supervisedTokens > 0 && withImage.labels.first == ignoreIndex)
        #expect(result.skipped.count == 2 && result.skipped[0].contains("sample truncated") && result.skipped[1].contains("sample missing"))
        #expect(throws: DatasetError.self) { try preparation(strict: true).prepare(samples) }
    }

    @Test func truncationThatRemovesEveryAnswerSkipsTheSample() throws {
        #expect(throws: DatasetError.self) { try preparation(maxLength: 8).prepare([sample("long", image: nil)]) }
    }

    @Test func epochOrderIsAPermutationThatDependsOnSeedAndEpoch() {
        let a = epochOrder(count: 50, epoch: 0, seed: 1)
        #expect(a.sorted() == Array(0..<50))
        #expect(a == epochOrder(count: 50, epoch: 0, seed: 1))
        #expect(a != epochOrder(count: 50, epoch: 1, seed: 1))
        #expect(a != epochOrder(count: 50, epoch: 0, seed: 2))
    }
}
