import ArgumentParser
import Foundation
import Generation
import KVCache
import Model
import Tokenizer

/// Sampling flags shared by commands that generate.
struct SamplingFlags: ParsableArguments {
    @Option(name: .long, help: "Sampling temperature (0 = greedy).")
    var temperature: Float = 0
    @Option(name: .customLong("top-k"), help: "Keep the k most likely tokens (0 = all).")
    var topK: Int = 0
    @Option(name: .customLong("top-p"), help: "Nucleus sampling threshold.")
    var topP: Float = 1
    @Option(name: .long, help: "Random seed for sampling.")
    var seed: UInt64 = 42

    var options: SamplingOptions { SamplingOptions(temperature: temperature, topK: topK, topP: topP, seed: seed) }
    func validate() throws { try options.validate() }
}

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
        let text: String
        if let promptFile {
            guard let s = try? String(contentsOfFile: promptFile, encoding: .utf8) else {
                throw CLIError("cannot read --prompt-file \(promptFile) as UTF-8 text")
            }
            text = s
        } else {
            text = prompt ?? ""
        }
        return tokenizer.encode(text, addSpecial: addBOS, parseSpecial: true)
    }
}

/// `scope generate`: generate text from a prompt, streaming to the terminal or as JSON.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text (greedy or sampled), optionally with KV-cache compression.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var promptOptions: PromptOptions
    @OptionGroup var sampling: SamplingFlags
    @OptionGroup var compression: KVCompressionOptions

    @Option(name: .customLong("max-tokens"), help: "Maximum tokens to generate.")
    var maxTokens: Int = 256

    @Option(name: .customLong("kv-type"), help: "KV cache element type: f32 (exact, default) or f16 (half the bytes).")
    var kvType: String = "f32"

    @Flag(name: .long, help: "Print one JSON object with tokens, text and stats.")
    var json = false

    @Flag(name: .customLong("ignore-eos"), help: "Do not stop on end-of-generation tokens (always generate --max-tokens).")
    var ignoreEOS = false

    func run() throws {
        guard maxTokens >= 0 else { throw ValidationError("--max-tokens must be ≥ 0") }
        let (model, tokenizer) = try modelOptions.load()
        let prompt = try promptOptions.tokens(tokenizer)
        guard !prompt.isEmpty else { throw CLIError("the prompt encodes to no tokens") }
        let config = try compression.compressionConfig()
        guard let elementType = KVElementType(rawValue: kvType) else {
            throw ValidationError("--kv-type: '\(kvType)' is not one of f32, f16")
        }
        let cache = try KVCache(shape: model.cacheShape, config: config, maxNewTokens: maxTokens, elementType: elementType)
        let generator = Generator(model: model, tokenizer: tokenizer)
        let stream = !json
        let result = try generator.generate(prompt: prompt, maxTokens: maxTokens, sampling: sampling.options, cache: cache,
                                            skipSpecialInText: promptOptions.isChat, ignoreEndOfGeneration: ignoreEOS) { _, piece in
            if stream { FileHandle.standardOutput.write(piece.data(using: .utf8)!) }
            return true
        }
        if json {
            try printJSON(["tokens": result.tokens.map { Int($0) }, "text": result.text, "stats": result.stats.json])
        } else {
            let s = result.stats
            let line = String(format: "\n[prompt %d tok, %.1f tok/s | generated %d tok, %.1f tok/s | KV %.2f MiB (peak %.2f MiB)]",
                              s.promptTokens, s.prefillTokensPerSecond, s.generatedTokens, s.decodeTokensPerSecond,
                              Double(s.kvBytesCurrent) / 1_048_576, Double(s.kvBytesPeak) / 1_048_576)
            FileHandle.standardError.write((line + "\n").data(using: .utf8)!)
        }
    }
}
