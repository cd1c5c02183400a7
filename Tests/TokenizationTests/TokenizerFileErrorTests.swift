// Missing, corrupt and unsupported tokenizer files give typed errors that name the file.
import Foundation
import Testing
@testable import Tokenization

@Suite struct TokenizerFileErrorTests {
    /// A fresh folder holding `files` (name -> bytes).
    func folder(_ files: [String: Data]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, data) in files { try data.write(to: dir.appendingPathComponent(name)) }
        return dir.path
    }

    func loadError(_ dir: String, source: Tokenizer.Source = .automatic) -> TokenizationError? {
        do { _ = try Tokenizer.load(directory: dir, source: source); return nil } catch { return error as? TokenizationError }
    }

    @Test func emptyFolder() throws {
        let dir = try folder([:])
        #expect(loadError(dir) == .missingTokenizerFiles(directory: dir))
        #expect(loadError(dir, source: .sentencePiece) == .missingTokenizerFiles(directory: dir))
    }

    @Test func tokenizerJSONThatIsNotJSON() throws {
        let dir = try folder(["tokenizer.json": Data("{\"model\": ".utf8)])
        guard case .malformedJSON(let path, _)? = loadError(dir) else { Issue.record("expected malformedJSON"); return }
        #expect(path.hasSuffix("tokenizer.json"))
    }

    @Test func tokenizerJSONWithoutModel() throws {
        let dir = try folder(["tokenizer.json": Data("{\"added_tokens\": []}".utf8)])
        guard case .malformedJSON(let path, let reason)? = loadError(dir) else { Issue.record("expected malformedJSON"); return }
        #expect(path.hasSuffix("tokenizer.json") && reason.contains("model"))
    }

    @Test func mergeOfUnknownToken() throws {
        let json = #"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}}"#
        let dir = try folder(["tokenizer.json": Data(json.utf8)])
        guard case .malformedJSON(_, let reason)? = loadError(dir) else { Issue.record("expected malformedJSON"); return }
        #expect(reason.contains("merge 0"))
    }

    @Test func unsupportedComponentsAreNamed() throws {
        let cases = [
            (#"{"normalizer": {"type": "BertNormalizer"}, "model": {"vocab": {}, "merges": []}}"#, "normalizer BertNormalizer"),
            (#"{"pre_tokenizer": {"type": "ByteLevel"}, "model": {"vocab": {}, "merges": []}}"#, "pre-tokenizer ByteLevel"),
            (#"{"model": {"type": "Unigram", "vocab": []}}"#, "model Unigram (only BPE is implemented)"),
        ]
        for (json, component) in cases {
            let dir = try folder(["tokenizer.json": Data(json.utf8)])
            #expect(loadError(dir) == .unsupportedComponent(path: dir + "/tokenizer.json", component: component))
        }
    }

    @Test func corruptTokenizerModel() throws {
        let good = try Data(contentsOf: URL(fileURLWithPath: tokenizerFolder("llava-original") + "/tokenizer.model"))
        for bad in [good.prefix(good.count / 2), Data([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]), Data("not a model".utf8), Data()] {
            let dir = try folder(["tokenizer.model": Data(bad)])
            guard case .malformedModel(let path, _)? = loadError(dir) else {
                Issue.record("expected malformedModel for \(bad.count) bytes, got \(String(describing: loadError(dir)))"); continue
            }
            #expect(path == dir + "/tokenizer.model")
        }
    }

    @Test func corruptTokenizerConfig() throws {
        let model = try Data(contentsOf: URL(fileURLWithPath: tokenizerFolder("llava-original") + "/tokenizer.model"))
        let dir = try folder(["tokenizer.model": model, "tokenizer_config.json": Data(#"{"legacy": "yes"}"#.utf8)])
        guard case .malformedJSON(let path, let reason)? = loadError(dir) else { Issue.record("expected malformedJSON"); return }
        #expect(path.hasSuffix("tokenizer_config.json") && reason.contains("legacy"))
    }

    @Test func errorMessagesSayWhatToDo() {
        #expect(TokenizationError.missingTokenizerFiles(directory: "/x").description.contains("--tokenizer"))
        #expect(TokenizationError.invalidConversation(sampleId: "42", reason: "r").description == "sample 42: r")
    }
}
