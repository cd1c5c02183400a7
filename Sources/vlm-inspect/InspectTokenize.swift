import ArgumentParser
import Foundation
import SafeTensors
import Tokenization

/// Which tokenizer file of a checkpoint folder to read.
enum TokenizerSourceOption: String, ExpressibleByArgument, CaseIterable {
    case automatic, json, model
    var source: Tokenizer.Source {
        switch self {
        case .automatic: return .automatic
        case .json: return .tokenizerJSON
        case .model: return .sentencePiece
        }
    }
}

func loadTokenizer(_ directory: String, source: TokenizerSourceOption) throws -> Tokenizer {
    do {
        return try Tokenizer.load(directory: directory, source: source.source)
    } catch let error as TokenizationError {
        throw ValidationFailure(message: error.description)
    }
}

func jsonLine(_ object: [String: Any]) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
}

struct InspectTokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encode texts with a checkpoint's tokenizer: {\"text\": ...} lines in, {\"ids\": [...], \"decoded\": ...} lines out.")

    @Option(help: "Checkpoint folder with tokenizer.json and/or tokenizer.model (+ tokenizer_config.json).")
    var tokenizer: String

    @Option(help: "JSON-lines file, one {\"text\": ...} object per line.")
    var input: String?

    @Option(help: "Where to write the {\"ids\", \"decoded\"} lines (written atomically).")
    var output: String?

    @Option(help: "Encode this one text and print the result instead.")
    var text: String?

    @Flag(help: "Do not add <s> / </s> (add_special_tokens=False).")
    var noSpecialTokens = false

    @Option(help: "Tokenizer file: automatic (tokenizer.json when present), json, or model (tokenizer.model, as LLaVA's slow tokenizer).")
    var source: TokenizerSourceOption = .automatic

    @Option(help: "Also time encoding the input texts this many times on one thread and print tokens/s to stderr.")
    var benchmarkRepeats: Int?

    func validate() throws {
        if text == nil && (input == nil || output == nil) {
            throw ValidationError("give --text STRING, or --input IN.jsonl with --output OUT.jsonl")
        }
    }

    func run() throws {
        let tok = try loadTokenizer(tokenizer, source: source)
        func result(_ s: String) -> [String: Any] {
            let ids = tok.encode(s, addSpecialTokens: !noSpecialTokens)
            return ["ids": ids, "decoded": tok.decode(ids)]
        }
        if let text {
            print(try jsonLine(result(text)))
            return
        }
        guard let input, let output else { return }
        let content: String
        do { content = try String(contentsOfFile: input, encoding: .utf8) } catch {
            throw ValidationFailure(message: "cannot read \(input): \(error.localizedDescription)")
        }
        var texts: [String] = []
        for (number, line) in content.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy(\.isWhitespace) { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let s = object["text"] as? String else {
                throw ValidationFailure(message: "\(input) line \(number + 1): expected a JSON object with a string \"text\"")
            }
            texts.append(s)
        }
        let lines = try texts.map { try jsonLine(result($0)) }
        if let repeats = benchmarkRepeats, repeats > 0 {
            let start = DispatchTime.now().uptimeNanoseconds
            var tokens = 0
            for _ in 0..<repeats { for s in texts { tokens += tok.encode(s, addSpecialTokens: !noSpecialTokens).count } }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            FileHandle.standardError.write(Data(String(format: "encode: %d texts x %d, %d tokens in %.3f s = %.0f tokens/s (one thread)\n",
                                                       texts.count, repeats, tokens, seconds, Double(tokens) / seconds).utf8))
        }
        do {
            try AtomicFile.write(Data((lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")).utf8), to: output)
        } catch {
            throw ValidationFailure(message: "cannot write \(output): \(error)")
        }
    }
}

struct InspectTemplate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template",
        abstract: "Print the prompt, ids and labels LLaVA's preprocessing makes of one training sample.")

    @Option(help: "Conversation template: \(ConversationTemplate.knownNames.joined(separator: ", ")).")
    var convMode = "vicuna_v1"

    @Option(help: "LLaVA training JSON (a list of {id, image, conversations}).")
    var dataPath: String

    @Option(help: "Index of the sample in the list.")
    var index: Int

    @Option(help: "Checkpoint folder with the tokenizer.")
    var tokenizer: String

    @Option(help: "model_max_length (default: the tokenizer config's, else 2048).")
    var modelMaxLength: Int?

    @Option(help: "Tokenizer file: automatic, json, or model.")
    var source: TokenizerSourceOption = .automatic

    func run() throws {
        let tok = try loadTokenizer(tokenizer, source: source)
        let samples: [LLaVASample]
        do {
            samples = try JSONDecoder().decode([LLaVASample].self, from: Data(contentsOf: URL(fileURLWithPath: dataPath)))
        } catch {
            throw ValidationFailure(message: "\(dataPath) is not a LLaVA training JSON: \(error)")
        }
        guard samples.indices.contains(index) else {
            throw ValidationFailure(message: "--index \(index) is outside \(dataPath), which has \(samples.count) samples")
        }
        var sample = samples[index]
        if sample.id.isEmpty { sample.id = "#\(index)" }
        do {
            let pre = LLaVAPreprocessor(tokenizer: tok, template: try ConversationTemplate.named(convMode),
                                        modelMaxLength: modelMaxLength ?? tok.modelMaxLength ?? 2048)
            let out = try pre.preprocess(sample)
            print(try jsonLine(["id": sample.id, "prompt": out.prompt, "input_ids": out.inputIds, "labels": out.labels,
                                "mismatch": out.mismatch.map { $0.description } ?? NSNull()]))
            if let m = out.mismatch { FileHandle.standardError.write(Data("warning: \(m)\n".utf8)) }
        } catch let error as TokenizationError {
            throw ValidationFailure(message: error.description)
        }
    }
}
