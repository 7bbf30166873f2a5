import ArgumentParser
import Foundation
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
                    let (topIDs, topValues) = topK(row, k: min(top, vocab))
                    let lse = logSumExp(row)
                    if json {
                        positions.append(["pos": start + r, "top_ids": topIDs, "top_logits": topValues.map { Double($0) }, "logsumexp": Double(lse)])
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

/// The `k` largest values (descending; lower id first on ties) and their ids.
func topK(_ row: UnsafeBufferPointer<Float>, k: Int) -> ([Int], [Float]) {
    var best: [(Int, Float)] = []
    best.reserveCapacity(k + 1)
    for (i, v) in row.enumerated() {
        if best.count == k, let last = best.last, v <= last.1 { continue }
        var j = best.count
        while j > 0 && best[j - 1].1 < v { j -= 1 }
        best.insert((i, v), at: j)
        if best.count > k { best.removeLast() }
    }
    return (best.map(\.0), best.map(\.1))
}

/// log Σ exp(row), computed stably in double precision.
func logSumExp(_ row: UnsafeBufferPointer<Float>) -> Float {
    let m = row.max() ?? 0
    var s = 0.0
    for v in row { s += exp(Double(v - m)) }
    return m + Float(log(s))
}
