import Foundation
import Testing
@testable import Training

@Suite struct TrainingDataTests {
    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("data-\(UUID().uuidString).json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func readsConversationsAndInstructionsAndReportsBadSamples() throws {
        let path = try write(#"""
        [{"id": "a1", "image": "coco/1.jpg", "conversations": [{"from": "human", "value": "<image>\nWhat?"}, {"from": "gpt", "value": "A cat."}]},
         {"id": 7, "conversations": [{"from": "gpt", "value": "x"}, {"from": "human", "value": "y"}]},
         {"id": "odd", "conversations": [{"from": "human", "value": "q"}]},
         {"instruction": "Add.", "input": "1+1", "output": "2"},
         {"query": "2+2?", "response": "4"},
         {"id": "bad", "text": "nothing usable"}]
        """#)
        let result = try TrainingDataReader().read(path: path)
        #expect(result.samples.map(\.id) == ["a1", "3", "4"])
        #expect(result.samples[0].image == "coco/1.jpg" && result.samples[0].turns.count == 2)
        #expect(result.samples[1].turns[0].text.contains("### Input:\n1+1"))
        #expect(result.skipped.count == 3)
        #expect(result.skipped.map(\.description).contains { $0.contains("id 7") && $0.contains("alternate") })
        #expect(throws: TrainingDataError.self) { try TrainingDataReader(strict: true).read(path: path) }
    }

    @Test func emptyAndMalformedFilesAreErrors() throws {
        let empty = try write("[]")
        #expect(throws: TrainingDataError.empty(path: empty)) { try TrainingDataReader().read(path: empty) }
        #expect(throws: TrainingDataError.self) { try TrainingDataReader().read(path: try write("{\"not\": \"a list\"}")) }
        #expect(throws: TrainingDataError.self) { try TrainingDataReader().read(path: try write("[{\"id\": 1,")) }
        #expect(throws: TrainingDataError.self) { try TrainingDataReader().read(path: "/nonexistent.json") }
    }
}
