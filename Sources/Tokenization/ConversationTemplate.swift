// Conversation templates as haotian-liu/LLaVA defines them (llava/conversation.py: `Conversation`,
// `get_prompt`, `conv_templates`). Only the templates LLaVA-1.5 trains and evaluates with.

public struct ConversationTemplate: Sendable, Equatable {
    public enum SeparatorStyle: Sendable, Equatable {
        /// `SeparatorStyle.TWO`: "ROLE: message" joined by sep, sep2 alternately.
        case two
        /// `SeparatorStyle.PLAIN`: messages only (projector pre-training).
        case plain
    }

    public var name: String
    public var system: String
    public var roles: (user: String, assistant: String)
    public var separatorStyle: SeparatorStyle
    public var sep: String
    public var sep2: String?
    public var version: String

    public static func == (a: ConversationTemplate, b: ConversationTemplate) -> Bool {
        a.name == b.name && a.system == b.system && a.roles == b.roles && a.separatorStyle == b.separatorStyle
            && a.sep == b.sep && a.sep2 == b.sep2 && a.version == b.version
    }

    /// `conv_vicuna_v1`.
    public static let vicunaV1 = ConversationTemplate(
        name: "vicuna_v1",
        system: "A chat between a curious user and an artificial intelligence assistant. "
            + "The assistant gives helpful, detailed, and polite answers to the user's questions.",
        roles: ("USER", "ASSISTANT"), separatorStyle: .two, sep: " ", sep2: "</s>", version: "v1")

    /// `conv_llava_v1`: as vicuna_v1 with "human" in the system prompt.
    public static let llavaV1 = ConversationTemplate(
        name: "llava_v1",
        system: "A chat between a curious human and an artificial intelligence assistant. "
            + "The assistant gives helpful, detailed, and polite answers to the human's questions.",
        roles: ("USER", "ASSISTANT"), separatorStyle: .two, sep: " ", sep2: "</s>", version: "v1")

    /// `conv_llava_plain`: no system prompt, no roles, "\n" after the caption.
    public static let plain = ConversationTemplate(
        name: "plain", system: "", roles: ("", ""), separatorStyle: .plain, sep: "\n", sep2: nil, version: "Unknown")

    /// `conv_templates` names (and aliases) that are implemented.
    public static let byName: [String: ConversationTemplate] = [
        "vicuna_v1": vicunaV1, "v1": vicunaV1, "llava_v1": llavaV1, "plain": plain, "v0_plain": plain,
    ]

    public static var knownNames: [String] { byName.keys.sorted() }

    public static func named(_ name: String) throws -> ConversationTemplate {
        guard let template = byName[name] else { throw TokenizationError.unknownTemplate(name: name, known: knownNames) }
        return template
    }

    /// `Conversation.get_prompt` for text messages; a nil message leaves the role open for generation
    /// ("ROLE:" in the TWO style, nothing in PLAIN).
    public func prompt(_ messages: [(role: String, message: String?)]) -> String {
        let seps = [sep, sep2 ?? ""]
        switch separatorStyle {
        case .two:
            var out = system + seps[0]
            for (i, m) in messages.enumerated() {
                if let message = m.message, !message.isEmpty { out += m.role + ": " + message + seps[i % 2] } else { out += m.role + ":" }
            }
            return out
        case .plain:
            var out = system
            for (i, m) in messages.enumerated() {
                if let message = m.message, !message.isEmpty { out += message + seps[i % 2] }
            }
            return out
        }
    }
}
