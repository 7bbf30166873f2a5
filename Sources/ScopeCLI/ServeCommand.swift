import ArgumentParser
import Foundation
import Generation
import KVCache
import Logging
import Server

/// `scope serve`: an OpenAI-compatible HTTP server where each request may choose its KV compression.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the model over an OpenAI-compatible HTTP API (chat, completions, models, health, metrics).",
        discussion: "The compression flags set the default of requests without a \"kv_compression\" object.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var compression: KVCompressionOptions

    @Option(name: .long, help: "Address to listen on (loopback by default).")
    var host = "127.0.0.1"
    @Option(name: .long, parsing: .unconditional, help: "Port to listen on (0: any free port, printed at start).")
    var port = 8080
    @Option(name: .long, parsing: .unconditional, help: "Sequences decoded together at most.")
    var parallel = 4
    @OptionGroup var kvBudget: KVBudgetOption
    @Option(name: .customLong("prompt-cache-mb"), parsing: .unconditional,
            help: "MiB of post-prompt states kept so a prompt seen again (n choices, a regenerated answer) skips its prefill; exact for every compression; with --kv-budget-mb it lives inside the budget and yields to admissions; 0: off.")
    var promptCacheMB = 128.0
    @Option(name: .customLong("max-queue"), parsing: .unconditional, help: "Requests waiting for admission at most; beyond it: 429 with Retry-After.")
    var maxQueue = 64
    @Option(name: .customLong("api-key"), help: "Require 'Authorization: Bearer KEY' on /v1/... requests.")
    var apiKey: String?
    @Option(name: .customLong("max-body-kb"), parsing: .unconditional, help: "Larger request bodies are answered 413.")
    var maxBodyKB = 4096
    @Option(name: .customLong("shutdown-grace"), parsing: .unconditional, help: "Seconds running requests may finish after SIGTERM/SIGINT before they are cancelled.")
    var shutdownGrace = 30

    /// The largest `--max-body-kb`: a chat request that needs a gigabyte is a mistake, and KiB × 1,024 stays far from overflowing.
    static let maxBodyKBLimit = 1 << 20

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535, got \(port)") }
        _ = try BatchFlags.parallel(parallel)
        guard maxQueue >= 1 else { throw ValidationError("--max-queue must be ≥ 1 (every request waits in the queue until admitted), got \(maxQueue)") }
        guard (1...Self.maxBodyKBLimit).contains(maxBodyKB) else {
            throw ValidationError("--max-body-kb must be in 1...\(Self.maxBodyKBLimit) (1 GiB), got \(maxBodyKB)")
        }
        guard shutdownGrace >= 0 else { throw ValidationError("--shutdown-grace must be ≥ 0, got \(shutdownGrace)") }
        if let apiKey, apiKey.isEmpty { throw ValidationError("--api-key must not be empty") }
        _ = try BatchFlags.promptCacheBytes(promptCacheMB)
    }

    func run() async throws {
        let defaults = try compression.compressionConfig()
        let (model, tokenizer) = try modelOptions.load()
        let logger = Logger(label: "scope.serve")
        let scheduler = try BatchScheduler(model: model, tokenizer: tokenizer, parallel: parallel,
                                       kvBudgetBytes: try kvBudget.bytes, maxQueue: maxQueue,
                                       kvType: modelOptions.kvType, promptCacheBytes: try BatchFlags.promptCacheBytes(promptCacheMB))
        let modelID = URL(fileURLWithPath: modelOptions.resolvedPath).deletingPathExtension().lastPathComponent
        let configuration = ServerConfiguration(host: host, port: port, apiKey: apiKey, modelID: modelID,
                                                defaultCompression: defaults, maxBodyBytes: maxBodyKB << 10,
                                                shutdownGrace: .seconds(shutdownGrace))
        let server = OpenAIServer(scheduler: scheduler, model: model, tokenizer: tokenizer, configuration: configuration,
                                  logger: logger)
        let runner = ServerRunner(server: server) { [host] port in
            FileHandle.standardOutput.write(Data("scope serve: listening on http://\(host):\(port) (model \(modelID))\n".utf8))
        }
        try await runner.runUntilSignalled(logger: logger)
    }
}
