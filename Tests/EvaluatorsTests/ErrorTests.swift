import Foundation
import Testing
@testable import Evaluators

@Suite struct ErrorTests {
    @Test func malformedLinesAreReportedWithLineNumbers() throws {
        let path = try temporaryFile("a.jsonl", "{\"question_id\": 1, \"text\": \"yes\"}\nnot json\n{\"text\": \"x\"}\n{\"question_id\": 2, \"text\": 3}\n")
        #expect { try AnswersFile.read(path) } throws: { error in
            guard case EvaluatorError.malformedAnswerLines(_, let lines) = error else { return false }
            return lines.map(\.line) == [2, 3, 4]
        }
    }

    @Test func duplicateAndUnknownIDsAreErrors() throws {
        let duplicate = try temporaryFile("d.jsonl", "{\"question_id\": 0, \"text\": \"true\"}\n{\"question_id\": 0, \"text\": \"false\"}\n")
        #expect(throws: EvaluatorError.self) { try AnswersFile.read(duplicate) }
        let unknown = try temporaryFile("u.jsonl", "{\"question_id\": 999, \"text\": \"true\"}\n")
        #expect { try score(ScoringRequest(benchmark: .boolq, answersFile: unknown, questionFile: fixture("commonsense/boolq/test.json"))) }
            throws: { error in
                guard case EvaluatorError.unknownQuestionIDs(_, let ids, _) = error else { return false }
                return ids.map(\.line) == [1]
            }
    }

    @Test func missingFilesAndUnknownBenchmarks() throws {
        #expect(throws: EvaluatorError.unknownBenchmark("foo")) { try BenchmarkID(name: "foo") }
        #expect { try score(ScoringRequest(benchmark: .textvqa, answersFile: fixture("textvqa/answers.jsonl"), annotationFile: "/nonexistent/TextVQA.json")) }
            throws: { error in
                if case EvaluatorError.missingFile(let path, _) = error { return path == "/nonexistent/TextVQA.json" }
                return false
            }
        #expect(throws: EvaluatorError.self) {
            try score(ScoringRequest(benchmark: .pope, answersFile: fixture("pope/answers.jsonl"),
                                     questionFile: fixture("pope/llava_pope_test.jsonl"), annotationDir: "/nonexistent/coco"))
        }
    }

    @Test func missingAnswersFollowTheOfficialScripts() throws {
        // GQA eval.py refuses to score with missing predictions; VizWiz's converter asserts.
        let one = try temporaryFile("g.jsonl", "{\"question_id\": \"201\", \"text\": \"yes\"}\n")
        #expect { try score(ScoringRequest(benchmark: .gqa, answersFile: one, annotationFile: fixture("gqa/testdev_balanced_questions.json"))) }
            throws: { error in
                if case EvaluatorError.officialScriptFails(_, let reason) = error { return reason.contains("9 question(s)") }
                return false
            }
    }
}
