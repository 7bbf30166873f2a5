extension ChatTemplate {
    /// Gemma's chat format (instruction-tuned Gemma 2/3 GGUFs): every turn is
    /// `<start_of_turn>ROLE\n` + trimmed content + `<end_of_turn>\n` with the assistant's role called
    /// `model`; a leading system message has no turn of its own but is prepended, followed by a blank
    /// line, to the first user message. The generation prompt opens `<start_of_turn>model\n`. The
    /// template's leading `<bos>` comes from the tokenizer (`add_bos_token`), not from this text.
    static func renderGemma(_ messages: [ChatMessage], addGenerationPrompt: Bool) throws -> String {
        var turns = messages[...]
        var prefix = ""
        if let first = turns.first, first.role == "system" {
            prefix = first.content + "\n\n"
            turns = turns.dropFirst()
            // The system text rides on the next turn; without one it would vanish from the prompt.
            guard !turns.isEmpty else {
                throw TokenizerError.invalidChat("the Gemma format puts the system message into the first user message: give a user message after it")
            }
        }
        var s = ""
        for (i, m) in turns.enumerated() {
            guard m.role != "system" else {
                throw TokenizerError.invalidChat("the Gemma format accepts a system message only as the first message")
            }
            let role = m.role == "assistant" ? "model" : m.role
            s += "<start_of_turn>" + role + "\n" + (i == 0 ? prefix : "") + trim(m.content) + "<end_of_turn>\n"
        }
        if addGenerationPrompt { s += "<start_of_turn>model\n" }
        return s
    }
}
