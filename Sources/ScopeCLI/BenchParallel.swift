import Foundation
import Generation
import KVCache
import Model

/// `scope bench --parallel 1,2,4,8`: batched decoding of B sequences at once.
///
/// For each B: B prompts of the same length and different content are prefilled one by one, then
/// `genTokens − 1` batched decoding steps (`LlamaModel.decodeStep`, greedy) advance all B together,
/// the path `BatchScheduler` runs. Only the decoding steps are timed (like llama-batched-bench's
/// S_TG): aggregate rate = B · (genTokens − 1) / seconds.
struct ParallelBench {
    let model: LlamaModel
    let base: [Int32]
    let promptTokens: Int
    let genTokens: Int
    let config: CompressionConfig
    let elementType: KVElementType

    /// Parses `--parallel` ("1,2,4,8").
    static func counts(_ text: String) throws -> [Int] {
        try text.split(separator: ",").map { s in
            guard let v = Int(s.trimmingCharacters(in: .whitespaces)), v >= 1, v <= 256 else {
                throw CLIError("--parallel: '\(s)' is not a sequence count in 1...256")
            }
            return v
        }
    }

    /// Prompt `i`: `promptTokens` tokens of the base text starting at a different offset, so that
    /// prompts of one batch differ in content.
    func prompt(_ i: Int) -> [Int32] {
        let offset = (i * 97) % base.count
        var tokens: [Int32] = []
        while tokens.count < promptTokens + offset { tokens += base }
        return Array(tokens[offset..<(offset + promptTokens)])
    }

    /// One measurement at B sequences: the `parallel` JSON entry.
    func measure(sequences B: Int) throws -> [String: Any] {
        let caches = try (0..<B).map { _ in
            try KVCache(shape: model.cacheShape, config: config, maxNewTokens: genTokens, elementType: elementType)
        }
        let vocab = model.config.vocabularySize, dim = model.config.embeddingLength
        var logits = [Float](repeating: 0, count: B * vocab)
        var next = [Int32](repeating: 0, count: B)
        for b in 0..<B {
            let p = prompt(b)
            let hidden = try model.forward(tokens: p, startPosition: 0, cache: caches[b])
            logits.withUnsafeMutableBufferPointer { o in
                hidden.withUnsafeBufferPointer { model.logits(hidden: $0.baseAddress! + (p.count - 1) * dim, into: o.baseAddress!) }
                next[b] = Sampler.argmax(UnsafeBufferPointer(rebasing: o[0..<vocab]))
            }
        }
        let steps = genTokens - 1
        let start = DispatchTime.now().uptimeNanoseconds
        for step in 0..<steps {
            let rows = (0..<B).map { DecodeRow(cache: caches[$0], token: next[$0], position: promptTokens + step) }
            let hidden = try model.decodeStep(rows)
            logits.withUnsafeMutableBufferPointer { o in
                hidden.withUnsafeBufferPointer { model.logits(hiddenRows: $0.baseAddress!, count: B, into: o.baseAddress!) }
                for b in 0..<B { next[b] = Sampler.argmax(UnsafeBufferPointer(rebasing: o[(b * vocab)..<((b + 1) * vocab)])) }
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let aggregate = seconds > 0 ? Double(B * steps) / seconds : 0
        return ["sequences": B, "aggregate_decode_tokens_per_second": aggregate,
                "per_sequence_decode_tokens_per_second": aggregate / Double(B), "decode_seconds": seconds,
                "decode_steps": steps, "kv_bytes_peak": caches.reduce(0) { $0 + $1.bytesPeak }, "peak_rss_bytes": peakRSSBytes()]
    }

    /// Runs every count in order and prints a line per count unless `quiet`.
    func run(_ counts: [Int], quiet: Bool) throws -> [[String: Any]] {
        try counts.map { B in
            let r = try measure(sequences: B)
            if !quiet {
                print(String(format: "parallel %3d: aggregate decode %7.1f tok/s | per sequence %6.1f tok/s | KV peak %.1f MiB",
                             B, r["aggregate_decode_tokens_per_second"] as! Double,
                             r["per_sequence_decode_tokens_per_second"] as! Double, Double(r["kv_bytes_peak"] as! Int) / 1_048_576))
            }
            return r
        }
    }
}
