/// One turn of a conversation.
public struct ChatMessage: Sendable, Equatable, Codable {
    /// `system`, `user` or `assistant` (ChatML accepts any role).
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: "system", content: content) }
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: "user", content: content) }
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: "assistant", content: content) }
}

/// A chat prompt format. Like llama.cpp's `llama-chat.cpp`, the format is recognised from the
/// `tokenizer.chat_template` Jinja text by characteristic substrings and rendered by hand-written
/// code (no Jinja engine). The rendered text contains special-token text (`<|im_start|>` ...);
/// encode it with `parseSpecial: true`, and with `addSpecial: true` so vocabularies that want a
/// BOS (Llama 2/3, Mistral) get it from the tokenizer rather than from the text.
public struct ChatTemplate: Sendable, Equatable {
    public enum MistralVersion: String, Sendable, Equatable {
        case v1, v3, v3Tekken = "v3-tekken", v7
    }

    public enum Format: Sendable, Equatable {
        /// `<|im_start|>role\ncontent<|im_end|>\n`; `defaultSystemPrompt` is inserted when the first message is not a system message.
        case chatML(defaultSystemPrompt: String?)
        /// `<|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>` (contents trimmed).
        case llama3
        /// `[INST] <<SYS>>\nsystem\n<</SYS>>\n\nuser [/INST]assistant</s>` and its variants.
        case llama2(systemBlock: Bool, bosInsideHistory: Bool, stripMessages: Bool)
        /// Mistral's official templates (`[INST]` without `<<SYS>>`).
        case mistral(MistralVersion)
        /// The SCOPE paper's plain format: `"<<SYS>>\n " + system + " \n<</SYS>>\n\n" + prompt`.
        case plainSystem
        /// Gemma's `<start_of_turn>user\ncontent<end_of_turn>\n` (`GemmaChatFormat.swift`).
        case gemma
    }

    public let format: Format

    public init(format: Format) { self.format = format }

    /// Format names accepted by `init(named:)`.
    public static let names = ["chatml", "llama3", "llama2", "llama2-sys", "mistral-v1", "mistral-v3", "mistral-v3-tekken", "mistral-v7", "plain", "gemma"]

    /// A format by name (see `names`); ChatML this way has no default system prompt.
    public init(named name: String) throws {
        switch name {
        case "chatml": format = .chatML(defaultSystemPrompt: nil)
        case "llama3": format = .llama3
        case "llama2": format = .llama2(systemBlock: false, bosInsideHistory: false, stripMessages: false)
        case "llama2-sys": format = .llama2(systemBlock: true, bosInsideHistory: false, stripMessages: false)
        case "mistral-v1": format = .mistral(.v1)
        case "mistral-v3": format = .mistral(.v3)
        case "mistral-v3-tekken": format = .mistral(.v3Tekken)
        case "mistral-v7": format = .mistral(.v7)
        case "plain": format = .plainSystem
        case "gemma": format = .gemma
        default:
            throw TokenizerError.invalidChat("unknown template name '\(name)'; known: \(Self.names.joined(separator: ", "))")
        }
    }

    /// Recognises the format of a `tokenizer.chat_template` text; throws `unknownChatTemplate` otherwise.
    public init(templateText t: String) throws {
        if t.contains("<|im_start|>") {
            format = .chatML(defaultSystemPrompt: Self.chatMLDefaultSystemPrompt(in: t))
        } else if t.hasPrefix("mistral") || t.contains("[INST]") {
            if t.contains("[SYSTEM_PROMPT]") {
                format = .mistral(.v7)
            } else if t.contains("' [INST] ' + system_message") || t.contains("[AVAILABLE_TOOLS]") {
                if t.contains(" [INST]") {
                    format = .mistral(.v1)
                } else if t.contains("\"[INST]\"") {
                    format = .mistral(.v3Tekken)
                } else {
                    format = .mistral(.v3)
                }
            } else {
                format = .llama2(
                    systemBlock: t.contains("<<SYS>>"),
                    bosInsideHistory: t.contains("bos_token + '[INST]"),
                    stripMessages: t.contains("content.strip()"))
            }
        } else if t.contains("<|start_header_id|>") && t.contains("<|end_header_id|>") {
            format = .llama3
        } else if t.contains("<start_of_turn>") {
            format = .gemma
        } else {
            throw TokenizerError.unknownChatTemplate(excerpt: String(t.prefix(80)))
        }
    }

    /// The system text a ChatML template hard-codes after `<|im_start|>system\n` inside a string
    /// literal (SmolLM2: "You are a helpful AI assistant named SmolLM, trained by Hugging Face").
    static func chatMLDefaultSystemPrompt(in template: String) -> String? {
        let t = Array(template.unicodeScalars)
        func has(_ literal: String, at i: Int) -> Bool {
            var k = i
            for s in literal.unicodeScalars {
                guard k < t.count, t[k] == s else { return false }
                k += 1
            }
            return true
        }
        let marker = "<|im_start|>system"
        let markerLength = marker.unicodeScalars.count
        var start = 0
        while start < t.count {
            guard has(marker, at: start) else { start += 1; continue }
            var i = start + markerLength
            start += 1
            // The newline, literal or escaped.
            if has("\n", at: i) { i += 1 } else if has("\\n", at: i) { i += 2 } else { continue }
            var text = String.UnicodeScalarView()
            var closed = false
            while i < t.count {
                if has("<|im_end|>", at: i) { closed = true; break }
                let c = t[i]
                if c == "'" || c == "\"" || c == "{" || c == "}" { break }  // left the string literal
                if c == "\\", i + 1 < t.count {
                    switch t[i + 1] {
                    case "n": text.append("\n")
                    case "t": text.append("\t")
                    default: text.append(t[i + 1])
                    }
                    i += 2
                    continue
                }
                text.append(c)
                i += 1
            }
            if closed && !text.isEmpty { return String(text) }
        }
        return nil
    }

    /// The prompt text for `messages`; with `addGenerationPrompt` the assistant turn is opened.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool) throws -> String {
        switch format {
        case let .chatML(defaultSystem):
            var s = ""
            if let defaultSystem, !messages.isEmpty, messages[0].role != "system" {
                s += "<|im_start|>system\n" + defaultSystem + "<|im_end|>\n"
            }
            for m in messages { s += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n" }
            if addGenerationPrompt { s += "<|im_start|>assistant\n" }
            return s
        case .llama3:
            var s = ""
            for m in messages {
                s += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" + Self.trim(m.content) + "<|eot_id|>"
            }
            if addGenerationPrompt { s += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
            return s
        case let .llama2(systemBlock, bosInsideHistory, stripMessages):
            try Self.checkRoles(messages)
            var s = "[INST] "
            var insideTurn = true
            for m in messages {
                let content = stripMessages ? Self.trim(m.content) : m.content
                if !insideTurn {
                    insideTurn = true
                    s += bosInsideHistory ? "<s>[INST] " : "[INST] "
                }
                switch m.role {
                case "system": s += systemBlock ? "<<SYS>>\n" + content + "\n<</SYS>>\n\n" : content + "\n"
                case "user": s += content + " [/INST]"
                default:
                    s += content + "</s>"
                    insideTurn = false
                }
            }
            return s
        case let .mistral(version):
            try Self.checkRoles(messages)
            if version == .v7 {
                var s = ""
                for m in messages {
                    switch m.role {
                    case "system": s += "[SYSTEM_PROMPT] " + m.content + "[/SYSTEM_PROMPT]"
                    case "user": s += "[INST] " + m.content + "[/INST]"
                    default: s += " " + m.content + "</s>"
                    }
                }
                return s
            }
            let leading = version == .v1 ? " " : ""
            let trailing = version == .v3Tekken ? "" : " "
            var s = ""
            var insideTurn = false
            for m in messages {
                if !insideTurn {
                    s += leading + "[INST]" + trailing
                    insideTurn = true
                }
                switch m.role {
                case "system": s += m.content + "\n\n"
                case "user": s += m.content + leading + "[/INST]"
                default:
                    s += trailing + (version == .v3 ? Self.trim(m.content) : m.content) + "</s>"
                    insideTurn = false
                }
            }
            return s
        case .plainSystem:
            try Self.checkRoles(messages)
            let systems = messages.filter { $0.role == "system" }
            let users = messages.filter { $0.role == "user" }
            guard systems.count <= 1, users.count == 1, messages.count == systems.count + users.count else {
                throw TokenizerError.invalidChat("the plain <<SYS>> format takes at most one system message and exactly one user message")
            }
            let prompt = users[0].content
            guard let system = systems.first?.content else { return prompt }
            return "<<SYS>>\n " + system + " \n<</SYS>>\n\n" + prompt
        case .gemma:
            try Self.checkRoles(messages)
            return try Self.renderGemma(messages, addGenerationPrompt: addGenerationPrompt)
        }
    }

    private static func checkRoles(_ messages: [ChatMessage]) throws {
        for (i, m) in messages.enumerated() where !["system", "user", "assistant"].contains(m.role) {
            throw TokenizerError.invalidChat("message \(i) has role '\(m.role)'; this format accepts system, user, assistant")
        }
    }

    static func trim(_ s: String) -> String {
        var sub = Substring(s)
        while let f = sub.first, f.isWhitespace { sub.removeFirst() }
        while let l = sub.last, l.isWhitespace { sub.removeLast() }
        return String(sub)
    }
}

extension Tokenizer {
    /// The chat format named by this vocabulary's `tokenizer.chat_template`; throws when it is absent or unknown.
    public func chatTemplate() throws -> ChatTemplate {
        guard let text = chatTemplateText else {
            throw TokenizerError.invalidChat("the model file has no chat template (no tokenizer.chat_template): it is probably a base (pretrained) model, which continues text; give the text with --prompt instead")
        }
        return try ChatTemplate(templateText: text)
    }
}

extension Tokenizer {
    /// Token ids of a chat prompt: `template` (default: the one named by the vocabulary) renders the
    /// messages, then the text is encoded with special-token text recognised and BOS added when the
    /// vocabulary asks for it.
    public func encodeChat(_ messages: [ChatMessage], template: ChatTemplate? = nil, addGenerationPrompt: Bool = true) throws -> [Int32] {
        let text = try (template ?? chatTemplate()).render(messages, addGenerationPrompt: addGenerationPrompt)
        return encode(text, addSpecial: true, parseSpecial: true)
    }
}
