import ArgumentParser
import Foundation
import Generation
import Kernels
import KVCache
import Model

/// `scope logits`: one forward pass over given token ids; top-k logits and log-sum-exp per position.
struct LogitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Run one forward pass over token ids and print the top logits at every position.")

    @OptionGroup(title: "Model") var modelOptions: ModelOptions

    @Option(name: .long, help: "Comma-separated token ids.")
    var tokens: String

    @Option(name: .long, parsing: .unconditional, help: "How many top logits to print per position.")
    var top: Int = 10

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        guard top >= 1 else { throw ValidationError("--top must be ≥ 1") }
        let ids = try parseTokenList(tokens, option: "--tokens")
        guard !ids.isEmpty else { throw ValidationError("--tokens is empty") }
        let file = try modelOptions.openFile()
        let model = try LlamaModel(file: file, pool: modelOptions.pool())
        model.activations = modelOptions.activations
        let cache = try modelOptions.cache(for: model, config: .fullKV, promptTokens: ids.count, maxNewTokens: 0)
        let hidden = try model.forward(tokens: ids, startPosition: 0, cache: cache)
        let vocab = model.config.vocabularySize, dim = model.config.embeddingLength
        var positions: [[String: Any]] = []
        let batch = 64
        let logits = UnsafeMutablePointer<Float>.allocate(capacity: batch * vocab)
        defer { logits.deallocate() }
        try hidden.withUnsafeBufferPointer { h in
            var start = 0
            while start < ids.count {
                let n = min(batch, ids.count - start)
                MatMul.matmul(model.weights.output, h.baseAddress! + start * dim, n: n, logits, pool: model.pool)
                for r in 0..<n {
                    let row = UnsafeBufferPointer(start: logits + r * vocab, count: vocab)
                    let topIDs = TokenLogprobs.largest(row, min(top, vocab)), topValues = topIDs.map { row[Int($0)] }
                    let lse = TokenLogprobs.logSumExp(row)
                    if json {
                        positions.append(["pos": start + r, "top_ids": topIDs.map { Int($0) }, "top_logits": topValues.map { Double($0) }, "logsumexp": lse])
                    } else {
                        let pairs = zip(topIDs, topValues).map { "\($0):\(String(format: "%.4f", $1))" }.joined(separator: " ")
                        print("pos \(start + r): lse \(String(format: "%.4f", lse))  \(pairs)")
                    }
                }
                start += n
            }
            if json { try printJSON(["positions": positions]) }
        }
    }
}

