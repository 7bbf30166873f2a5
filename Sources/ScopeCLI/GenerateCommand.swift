import ArgumentParser
import Foundation
import Generation
import KVCache
import Model
import Tokenizer

/// `scope generate`: generate text from a prompt, streaming to the terminal or as JSON.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text (greedy or sampled), optionally with KV-cache compression.")

    @OptionGroup(title: "Model") var modelOptions: ModelOptions
    @OptionGroup(title: "KV compression") var compression: KVCompressionOptions
    @OptionGroup(title: "Sampling") var sampling: SamplingFlags
    @OptionGroup(title: "Prompt") var promptOptions: PromptOptions

    @Option(name: .customLong("max-tokens"), parsing: .unconditional, help: "Maximum tokens to generate.")
    var maxTokens: Int = 256

    @Flag(name: .long, help: "Print one JSON object with tokens, text and stats.")
    var json = false

    @Flag(name: .customLong("ignore-eos"), help: "Do not stop on end-of-generation tokens (always generate --max-tokens).")
    var ignoreEOS = false

    @Flag(name: .customLong("json-object"),
          help: "Constrain the output to one JSON object (the server's response_format json_object); stops when it closes.")
    var jsonObject = false

    @Option(name: .customLong("json-schema"),
            help: ArgumentHelp("Constrain the output to one JSON value of the schema in this file (the server's response_format json_schema; its root is an object); stops when it closes.",
                               valueName: "file"))
    var jsonSchema: String?

    func validate() throws {
        guard maxTokens >= 0 else { throw ValidationError("--max-tokens must be ≥ 0, got \(maxTokens)") }
        if jsonObject && jsonSchema != nil { throw ValidationError("--json-object and --json-schema exclude each other") }
    }

    func run() throws {
        let format = try responseFormat()
        let (model, tokenizer) = try modelOptions.load()
        let prompt = try promptOptions.tokens(tokenizer)
        guard !prompt.isEmpty else { throw CLIError("the prompt encodes to no tokens") }
        let config = try compression.compressionConfig()
        let cache = try modelOptions.cache(for: model, config: config, promptTokens: prompt.count, maxNewTokens: maxTokens)
        let generator = Generator(model: model, tokenizer: tokenizer)
        let stream = !json
        let result = try generator.generate(prompt: prompt, maxTokens: maxTokens, sampling: sampling.options, cache: cache,
                                            skipSpecialInText: promptOptions.isChat, ignoreEndOfGeneration: ignoreEOS,
                                            responseFormat: format) { _, piece in
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
            FileHandle.standardError.write((line + "\n" + (s.kvLayerSummary.map { "[\($0)]\n" } ?? "")).data(using: .utf8)!)
        }
    }

    /// `--json-object`, `--json-schema FILE` or free text; a schema that cannot be read or followed names the file and the keyword.
    private func responseFormat() throws -> ResponseFormat {
        if jsonObject { return .jsonObject }
        guard let path = jsonSchema else { return .text }
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("--json-schema: cannot read \(path)") }
        do {
            return .json(try JSONSchema(text: Array(data)))
        } catch {
            throw CLIError("--json-schema \(path): \(error)")
        }
    }
}
