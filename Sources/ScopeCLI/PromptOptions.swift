import ArgumentParser
import Tokenizer

/// Where the prompt comes from: exactly one of --prompt, --prompt-file, --prompt-tokens, --chat.
struct PromptOptions: ParsableArguments {
    @Option(name: .long, help: "Raw prompt text (special-token text is recognised).")
    var prompt: String?
    @Option(name: .customLong("prompt-file"), help: "Read the raw prompt text from a file.")
    var promptFile: String?
    @Option(name: .customLong("prompt-tokens"), help: "Comma-separated prompt token ids.")
    var promptTokens: String?
    @Option(name: .long, help: "A user message, wrapped in the model's chat template.")
    var chat: String?
    @Option(name: .long, help: "System prompt for --chat (default: the template's own).")
    var system: String?
    @Flag(name: .customLong("add-bos"), help: "Prepend BOS to --prompt/--prompt-file text.")
    var addBOS = false

    func validate() throws {
        let given = [prompt != nil, promptFile != nil, promptTokens != nil, chat != nil].filter { $0 }.count
        guard given == 1 else { throw ValidationError("give exactly one of --prompt, --prompt-file, --prompt-tokens, --chat") }
    }

    var isChat: Bool { chat != nil }

    func tokens(_ tokenizer: Tokenizer) throws -> [Int32] {
        if let promptTokens { return try parseTokenList(promptTokens, option: "--prompt-tokens") }
        if let chat {
            var messages: [ChatMessage] = []
            if let system { messages.append(ChatMessage(role: "system", content: system)) }
            messages.append(ChatMessage(role: "user", content: chat))
            let text = try tokenizer.chatTemplate().render(messages, addGenerationPrompt: true)
            // Add BOS when the vocabulary asks for it, unless the rendered template already starts with it.
            let hasBOS = tokenizer.bosID.flatMap { tokenizer.tokenText($0) }.map { text.hasPrefix($0) } ?? false
            return tokenizer.encode(text, addSpecial: !hasBOS, parseSpecial: true)
        }
        let text = try promptFile.map { try readTextFile($0, option: "--prompt-file") } ?? prompt ?? ""
        return tokenizer.encode(text, addSpecial: addBOS, parseSpecial: true)
    }
}
