import Foundation
import Testing
@testable import Evaluators

@Suite struct NormalizationTests {
    @Test func evalAIAndVQANormalisationMatchOfficialCode() throws {
        let cases = try #require(try expected("normalization.json").arrayValue)
        #expect(cases.count > 60)
        for item in cases {
            let input = try #require(item["input"]?.stringValue)
            #expect(evalAIProcessAnswer(input) == item["evalai"]?.stringValue, "EvalAI: \(input.debugDescription)")
            #expect(vqaOfficialNormalize(input) == item["vqa"]?.stringValue, "vqaEval: \(input.debugDescription)")
        }
    }

    @Test func pythonRoundTiesToEven() {
        #expect(pythonRound(0.125, digits: 2) == 0.12)
        #expect(pythonRound(0.375, digits: 2) == 0.38)
        #expect(pythonRound(2.675, digits: 2) == 2.67)   // 2.675 is below the tie in binary
    }

    @Test func pythonStringHelpersWorkOnCodePoints() {
        #expect("a\u{301}b".pyContains("a"))
        #expect(" \u{1F}x\u{85} ".pyStrip() == "x")
        #expect("a  b\u{2003}c".pySplitWhitespace() == ["a", "b", "c"])
        #expect("a,,b".pySplit(",") == ["a", "", "b"])
    }
}
