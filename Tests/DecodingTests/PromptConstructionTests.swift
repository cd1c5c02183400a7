import Foundation
import Testing
@testable import Evaluators

// Prompts of the official generation scripts, checked on the spec's real examples
// (benchmarks.md sections 6 and 9, taken from LLaVA's scripts and files).

@Test func scienceQAPromptIsModelVQAScience() throws {
    let folder = InferenceFixtures.temporaryFolder("sqa")
    let value = "Context: N/A\nQuestion: What is the name of the colony shown?\nOptions: (A) Maryland (B) New Hampshire (C) Rhode Island (D) Vermont\n<image>"
    let json: [[String: Any]] = [
        ["id": "4", "image": "4/image.png", "conversations": [["from": "human", "value": value], ["from": "gpt", "value": "The answer is D."]]],
        ["id": "9", "conversations": [["from": "human", "value": "Context: N/A\nQuestion: Q?\nOptions: (A) x (B) y"]]],
    ]
    try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: folder + "/q.json"))
    let items = try GenerationTasks.items(for: .sqa, questionFile: folder + "/q.json", imageFolder: "/img")
    #expect(items[0].promptField == "<image>\nContext: N/A\nQuestion: What is the name of the colony shown?\nOptions: (A) Maryland (B) New Hampshire (C) Rhode Island (D) Vermont\nAnswer with the option's letter from the given choices directly.")
    #expect(items[0].userText == String(items[0].promptField.dropFirst("<image>\n".count)))
    #expect(items[0].image == .file("/img/4/image.png") && items[0].questionID == .string("4"))
    #expect(items[1].image == nil && items[1].promptField == "Context: N/A\nQuestion: Q?\nOptions: (A) x (B) y\nAnswer with the option's letter from the given choices directly.")
    #expect(BenchmarkID.sqa.generationProtocol.padImages == false && BenchmarkID.sqa.generationProtocol.maxNewTokens == 1024)
}

@Test func mmbenchPromptIsModelVQAMMBench() throws {
    let folder = InferenceFixtures.temporaryFolder("mmb")
    let png = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC")!.base64EncodedString()
    let tsv = "index\tquestion\thint\tA\tB\tC\tD\tanswer\tcategory\timage\n"
        + "7\tWhich one?\tLook closely.\tcat\tdog\tnan\tbird\tB\tx\t\(png)\n"
        + "1000007\tWhich one?\tnan\tdog\tcat\t\t\tA\tx\t\(png)\n"
    try tsv.write(toFile: folder + "/t.tsv", atomically: true, encoding: .utf8)
    let items = try GenerationTasks.items(for: .mmbench, questionFile: folder + "/t.tsv", imageFolder: nil)
    // options stop at the first "none" value (C is nan, so D is never read)
    #expect(items[0].promptField == "Look closely.\nWhich one?\nA. cat\nB. dog")
    #expect(items[0].userText == "Look closely.\nWhich one?\nA. cat\nB. dog\nAnswer with the option's letter from the given choices directly.")
    #expect(items[1].promptField == "Which one?\nA. dog\nB. cat")
    #expect(items[0].extraFields.map(\.0) == ["options", "option_char"])
    #expect(items[0].extraFields[1].1 == .array([.string("A"), .string("B")]))
    #expect(items[1].questionID == .int(1000007))
}

@Test func chunksAreLLaVAs() {
    let items = Array(0..<10)
    #expect(GenerationTasks.chunk(items, count: 3, index: 0) == [0, 1, 2, 3])
    #expect(GenerationTasks.chunk(items, count: 3, index: 2) == [8, 9])
    #expect(GenerationTasks.chunk(Array(0..<2), count: 4, index: 3) == [])
    #expect(GenerationTasks.commonsenseOutput("  the correct answer is true ### Response: more") == "the correct answer is true")
}
