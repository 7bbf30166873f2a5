import ArgumentParser
import Foundation
import GGUF
import Model
import Tokenizer
import Kernels

/// `--model PATH` (default: the cached SmolLM2 fetched by `scope models pull`) and `--threads N`.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "GGUF model file (default: the cached SmolLM2-135M-Instruct Q4_1).")
    var model: String?

    @Option(name: .long, help: "Worker threads (default: physical cores).")
    var threads: Int?

    @Option(name: .long, help: "Decode activation precision: f32 (exact, default) or q8 (8-bit, faster, like llama.cpp).")
    var activations: String = "f32"

    static var defaultModelPath: String { DefaultModelPath.path }

    var resolvedPath: String { model ?? Self.defaultModelPath }

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be ≥ 1, got \(threads)") }
        if ActivationPrecision(rawValue: activations) == nil {
            throw ValidationError("--activations: '\(activations)' is not one of f32, q8")
        }
    }

    /// Opens the model file, with a hint to run `scope models pull` when the default is missing.
    func openFile() throws -> GGUFFile {
        let path = resolvedPath
        guard FileManager.default.fileExists(atPath: path) else {
            if model == nil {
                throw CLIError("the default model is not at \(path); fetch it with `scope models pull` (or scripts/fetch-model.sh)")
            }
            throw CLIError("model file not found: \(path)")
        }
        return try GGUFFile(path: path)
    }

    func pool() -> ThreadPool {
        if let threads { return ThreadPool(threads: threads) }
        return .shared
    }

    func load() throws -> (LlamaModel, Tokenizer) {
        let file = try openFile()
        let model = try LlamaModel(file: file, pool: pool())
        model.activations = ActivationPrecision(rawValue: activations) ?? .f32
        let tokenizer = try Tokenizer(gguf: file)
        return (model, tokenizer)
    }
}

/// A user-facing error: printed as `error: <message>` with a non-zero exit.
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
