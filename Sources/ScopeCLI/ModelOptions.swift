import ArgumentParser
import Foundation
import GGUF
import Generation
import Kernels
import KVCache
import Model
import Tokenizer

/// The model group, on every command that runs the model: `--model`, `--threads`,
/// `--activations`, `--kv-type`.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ModelOptions.modelHelp)
    var model: String?

    @Option(name: .long, parsing: .unconditional, help: "Worker threads, 1 to 512 (default: physical cores).")
    var threads: Int?

    @Option(name: .long, help: "Decode activation precision: f32 (exact) or q8 (8-bit, faster, like llama.cpp).")
    var activations: ActivationPrecision = .f32

    @Option(name: .customLong("kv-type"), help: "KV cache element type: f32 (exact), f16 (half the bytes), q8_0 or q4_0 (llama.cpp's 8/4-bit blocks: 34/18 bytes per 32 values).")
    var kvType: KVElementType = .f32

    static let modelHelp = ArgumentHelp("GGUF model file, or the name of a known model in the cache folder (\(KnownModel.names); default: smollm2).")

    static var defaultModelPath: String { DefaultModelPath.path }

    /// The known model `--model` names (nil for a path; a file of that name wins).
    var namedModel: KnownModel? {
        guard let model, let known = KnownModel.named(model), !FileManager.default.fileExists(atPath: model) else { return nil }
        return known
    }

    var resolvedPath: String { namedModel?.path ?? model ?? Self.defaultModelPath }

    func validate() throws {
        if let threads, threads < 1 || threads > ThreadPool.maxThreads {
            throw ValidationError("--threads must be from 1 to \(ThreadPool.maxThreads), got \(threads)")
        }
    }

    /// Opens the model file, with a hint to run `scope models pull` when the default is missing.
    func openFile() throws -> GGUFFile {
        let path = resolvedPath
        guard FileManager.default.fileExists(atPath: path) else {
            if model == nil {
                throw CLIError("the default model is not at \(path); fetch it with `scope models pull` (or scripts/fetch-model.sh)")
            }
            if let known = namedModel {
                throw CLIError("model \(known.name) is not at \(path); fetch it with `scope models pull \(known.name)` (or scripts/fetch-model.sh \(known.name))")
            }
            throw CLIError("model file not found: \(path)")
        }
        return try GGUFFile(path: path)
    }

    /// `--threads` threads (with a warning on standard error when that is more than the CPUs this
    /// process may use: the workers spin while they wait, so they would take turns), or the shared pool.
    func pool() -> ThreadPool {
        guard let threads else { return .shared }
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        if threads > cpus {
            FileHandle.standardError.write(Data("warning: --threads \(threads) is more than the \(cpus) CPUs available; the threads will take turns (slower)\n".utf8))
        }
        return ThreadPool(threads: threads)
    }

    func load() throws -> (LlamaModel, Tokenizer) {
        let file = try openFile()
        let model = try LlamaModel(file: file, pool: pool())
        model.activations = activations
        let tokenizer = try Tokenizer(gguf: file)
        return (model, tokenizer)
    }

    /// A cache of `--kv-type` for one sequence, after the context rule (`ContextLimit`) has accepted
    /// `promptTokens` + `maxNewTokens` for `config`; a refusal is a validation error (exit 64).
    func cache(for model: LlamaModel, config: CompressionConfig, promptTokens: Int, maxNewTokens: Int,
               counters: ReferenceCounters? = nil) throws -> KVCache {
        try checkContext(model, config: config, promptTokens: promptTokens, maxNewTokens: maxNewTokens, elementType: kvType)
        return try KVCache(shape: model.cacheShape, config: config, maxNewTokens: maxNewTokens, counters: counters,
                           elementType: kvType)
    }
}

/// `ContextLimit.check` for the model, reported as a validation error (exit 64).
@discardableResult
func checkContext(_ model: LlamaModel, config: CompressionConfig, promptTokens: Int, maxNewTokens: Int,
                  elementType: KVElementType) throws -> ContextPlan {
    do {
        return try ContextLimit.check(promptTokens: promptTokens, maxNewTokens: maxNewTokens,
                                      contextLength: model.config.contextLength, config: config,
                                      shape: model.cacheShape, elementType: elementType)
    } catch let error as ContextLimitError {
        throw ValidationError(error.description)
    }
}

/// A user-facing error about inputs or the run (files, model, data): `Error: <message>`, exit 1.
/// Problems with the command line itself are `ValidationError`s (exit 64).
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Parses "1,2,3" into token ids.
func parseTokenList(_ text: String, option: String) throws -> [Int32] {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    var ids: [Int32] = []
    for (i, p) in parts.enumerated() {
        guard let v = Int32(p), v >= 0 else { throw ValidationError("\(option): item \(i + 1) ('\(p)') is not a token id") }
        ids.append(v)
    }
    return ids
}

/// Prints a JSON object on one line.
func printJSON(_ object: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    FileHandle.standardOutput.write(data)
    FileHandle.standardOutput.write("\n".data(using: .utf8)!)
}
