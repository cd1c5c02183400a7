import Foundation

/// Everything that can go wrong reading tokenizer files or turning training samples into ids.
/// Each case names the file, key or sample at fault and says what to do.
public enum TokenizationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The folder has neither `tokenizer.json` nor `tokenizer.model`.
    case missingTokenizerFiles(directory: String)
    /// A file could not be read at all.
    case unreadableFile(path: String, reason: String)
    /// `tokenizer.json` / `tokenizer_config.json` is not valid JSON or lacks a required key.
    case malformedJSON(path: String, reason: String)
    /// `tokenizer.model` is not a valid SentencePiece model protobuf.
    case malformedModel(path: String, reason: String)
    /// The file is valid but uses a component this LLaMA tokenizer does not implement.
    case unsupportedComponent(path: String, component: String)
    /// `--conv-mode` / template name not known.
    case unknownTemplate(name: String, known: [String])
    /// A training sample is not a conversation LLaVA's preprocessing accepts.
    case invalidConversation(sampleId: String, reason: String)

    public var description: String {
        switch self {
        case .missingTokenizerFiles(let directory):
            return "no tokenizer.json or tokenizer.model in \(directory): point --tokenizer at a checkpoint folder that has one"
        case .unreadableFile(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .malformedJSON(let path, let reason):
            return "\(path) is not a valid tokenizer file: \(reason)"
        case .malformedModel(let path, let reason):
            return "\(path) is not a valid SentencePiece model: \(reason)"
        case .unsupportedComponent(let path, let component):
            return "\(path) uses \(component), which this LLaMA tokenizer does not implement"
        case .unknownTemplate(let name, let known):
            return "unknown conversation template '\(name)'; known templates: \(known.joined(separator: ", "))"
        case .invalidConversation(let sampleId, let reason):
            return "sample \(sampleId): \(reason)"
        }
    }
}
