import ArgumentParser
import Tokenizer

/// Where the prompt comes from: exactly one of --prompt, --prompt-file, --prompt-tokens, --chat.
struct PromptOptions: ParsableArguments {
    @Option(name: .long, help: "Raw prompt text (special-token text is recognised).")
    var prompt: String?
    @Option(name: .customLong("prompt-file"), help: "Read the raw prompt text from a file.")
    var promptFile: String?
    @Option(name: .customLong("prompt-tokens"), parsing: .unconditional, help: "Comma-separated prompt token ids.")
    var promptTokens: String?
    @Option(name: .long, help: "A user message, wrapped in the model's chat template.")
    var chat: String?
    @Option(name: .long, help: "System prompt for --chat (default: the template's own).")
    var system: String?
    @Flag(name: .customLong("add-bos"), help: "Prepend the BOS token to --prompt/--prompt-file text (unless it already starts with it).")
    var addBOS = false

    func validate() throws {
        let given = [prompt != nil, promptFile != nil, promptTokens != nil, chat != nil].filter { $0 }.count
        guard given == 1 else { throw ValidationError("give exactly one of --prompt, --prompt-file, --prompt-tokens, --chat") }
        if addBOS && (promptTokens != nil || chat != nil) {
            throw ValidationError("--add-bos applies to --prompt and --prompt-file only (--chat follows the template; --prompt-tokens are used as given)")
        }
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
        // `addSpecial` would add EOS too when the vocabulary asks for it, so BOS is prepended by hand:
        // with --add-bos, or when the vocabulary asks for it (Gemma: without BOS its output is noise;
        // SmolLM2's vocabulary does not ask).
        var ids = tokenizer.encode(text, addSpecial: false, parseSpecial: true)
        if addBOS || tokenizer.addBOS {
            guard let bos = tokenizer.bosID else { throw CLIError("--add-bos: the model's vocabulary has no BOS token") }
            if ids.first != bos { ids.insert(bos, at: 0) }
        }
        return ids
    }
}
