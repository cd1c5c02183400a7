import Foundation

/// Tests/Fixtures/inference, written by Scripts/fixtures/make_inference_fixtures.py.
enum InferenceFixtures {
    static let testsRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
        return url.path
    }()

    static func path(_ relative: String) -> String { testsRoot + "/Fixtures/inference/" + relative }

    struct Case: Decodable {
        var layout: String
        var question: String
        var image: String?
        var prompt: String
        var ids: [Int]
        var new_ids: [Int]
        var finish: String
        var text: String
    }

    struct BeamCase: Decodable {
        var prompt: String
        var ids: [Int]
        var beam_ids: [Int]
    }

    struct Cases: Decodable {
        var max_new_tokens: Int
        var cases: [Case]
        var beam_cases: [BeamCase]?
    }

    static let cases: Cases = {
        // A missing fixture is a broken checkout, not user input.
        let data = (try? Data(contentsOf: URL(fileURLWithPath: path("cases.json")))) ?? Data()
        return (try? JSONDecoder().decode(Cases.self, from: data)) ?? Cases(max_new_tokens: 0, cases: [], beam_cases: nil)
    }()

    static func temporaryFolder(_ tag: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(tag)-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}
