// Labels against LLaVA's own preprocess_v1 / preprocess_plain (exec'd from haotian-liu/LLaVA by
// the fixture script), with the fast tokenizer of transformers 5 and, since the script found the
// same labels with transformers 4.37.2's slow tokenizer, with the tokenizer.model path too.
import Foundation
import Testing
@testable import Tokenization

@Suite struct LabelMaskingTests {
    struct Case {
        var convMode: String
        var modelMaxLength: Int
        var sample: LLaVASample
        var inputIds: [Int]
        var labels: [Int]
        var mismatch: Bool
    }

    static func cases() throws -> [Case] {
        let root = try #require(try readJSON("labels_fast.json") as? [String: Any])
        let rows = try #require(root["cases"] as? [[String: Any]])
        return try rows.map { row in
            let sampleData = try JSONSerialization.data(withJSONObject: try #require(row["sample"]))
            return Case(convMode: try #require(string(row, "conv_mode")),
                        modelMaxLength: try #require(row["model_max_length"] as? Int),
                        sample: try JSONDecoder().decode(LLaVASample.self, from: sampleData),
                        inputIds: try #require(ints(row, "input_ids")), labels: try #require(ints(row, "labels")),
                        mismatch: try #require(row["mismatch_warning"] as? Bool))
        }
    }

    @Test(arguments: ["vicuna", "llava-original"])
    func labelsMatchLLaVA(folder: String) throws {
        let tokenizer = try Tokenizer.load(directory: tokenizerFolder(folder))
        let cases = try Self.cases()
        #expect(cases.count >= 20)
        #expect(cases.contains { $0.mismatch } && cases.contains { $0.inputIds.count == $0.modelMaxLength })
        for c in cases {
            let pre = LLaVAPreprocessor(tokenizer: tokenizer, template: try ConversationTemplate.named(c.convMode),
                                        modelMaxLength: c.modelMaxLength)
            let out = try pre.preprocess(c.sample)
            let what = "\(c.convMode) max \(c.modelMaxLength) sample \(c.sample.id)"
            #expect(out.inputIds == c.inputIds, "input ids of \(what)")
            #expect(out.labels == c.labels, "labels of \(what)")
            #expect((out.mismatch != nil) == c.mismatch, "mismatch flag of \(what)")
            if let m = out.mismatch { #expect(m.sampleId == c.sample.id && m.description.contains(c.sample.id)) }
        }
    }

    @Test func nonAlternatingConversationNamesTheSample() throws {
        let tokenizer = try Tokenizer.load(directory: tokenizerFolder("vicuna"))
        let root = try #require(try readJSON("labels_fast.json") as? [String: Any])
        let errors = try #require(root["errors"] as? [[String: Any]])
        for e in errors {
            let sample = try JSONDecoder().decode(LLaVASample.self, from: JSONSerialization.data(withJSONObject: try #require(e["sample"])))
            let pre = LLaVAPreprocessor(tokenizer: tokenizer, template: try ConversationTemplate.named(try #require(string(e, "conv_mode"))),
                                        modelMaxLength: 2048)
            #expect(throws: TokenizationError.self) { try pre.preprocess(sample) }
            do { _ = try pre.preprocess(sample) } catch {
                #expect("\(error)".contains("sample \(sample.id)") && "\(error)".contains("alternate"))
            }
        }
        let unknownSpeaker = LLaVASample(id: "s7", conversations: [.init(from: "human", value: "a"), .init(from: "bot", value: "b")])
        let pre = LLaVAPreprocessor(tokenizer: tokenizer, template: .vicunaV1, modelMaxLength: 64)
        #expect(throws: TokenizationError.invalidConversation(sampleId: "s7",
            reason: "turn 1 is from 'bot'; LLaVA conversations use 'human' and 'gpt'")) { try pre.preprocess(unknownSpeaker) }
        let plain = LLaVAPreprocessor(tokenizer: tokenizer, template: .plain, modelMaxLength: 64)
        #expect(throws: TokenizationError.self) {
            try plain.preprocess(LLaVASample(id: "p", image: "x.jpg", conversations: [.init(from: "human", value: "no image here"), .init(from: "gpt", value: "c")]))
        }
    }

    @Test func unknownTemplateListsKnownOnes() {
        #expect(throws: TokenizationError.unknownTemplate(name: "vicuna_v2", known: ConversationTemplate.knownNames)) {
            try ConversationTemplate.named("vicuna_v2")
        }
        #expect("\(TokenizationError.unknownTemplate(name: "x", known: ["plain", "v1"]))".contains("plain, v1"))
    }

    @Test func pythonSliceRules() {
        var a = [1, 2, 3, 4, 5]
        pythonSliceAssign(&a, 1, -1)          // a[1:-1]
        #expect(a == [1, -100, -100, -100, 5])
        var b = [1, 2, 3]
        pythonSliceAssign(&b, 2, 1)           // empty
        pythonSliceAssign(&b, 5, nil)         // past the end: empty
        #expect(b == [1, 2, 3])
    }

    @Test func placeholderExpansion() {
        #expect(expandImagePlaceholders([1, -200, 7], imageTokenId: 1500, count: 3) == [1, 1500, 1500, 1500, 7])
    }
}
