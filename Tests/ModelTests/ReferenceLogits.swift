import Foundation
import Generation
import KVCache
import Model

/// One prompt of a reference's `logits` fixtures (fp32 reference, `Fixtures/*.json`): the argmax at
/// every position, and at some positions the top logits and the log-sum-exp.
struct ReferenceLogitsCase: Decodable {
    struct Position: Decodable { let pos: Int; let top_ids: [Int]; let top_logits: [Float]; let logsumexp: Float }
    let text: String
    let ids: [Int32]
    let argmax_all: [Int]
    let positions: [Position]

    /// Runs the prompt through `model` (full cache): the fraction of positions whose argmax agrees with
    /// the reference's, and the worst |Δ| over the recorded top logits and log-sum-exps.
    func compare(with model: LlamaModel) throws -> (agreement: Double, worst: Float) {
        let cache = try KVCache(shape: model.cacheShape, config: CompressionConfig(), maxNewTokens: 0)
        let hidden = try model.forward(tokens: ids, startPosition: 0, cache: cache)
        let recorded = Dictionary(uniqueKeysWithValues: positions.map { ($0.pos, $0) })
        let vocab = model.config.vocabularySize
        var agree = 0
        var worst: Float = 0
        var batch: [Float] = []
        for pos in 0..<ids.count {
            if pos % 64 == 0 { batch = model.logits(hidden: hidden, rows: pos..<min(ids.count, pos + 64)) }
            let logits = Array(batch[(pos % 64) * vocab..<(pos % 64 + 1) * vocab])
            let argmax = logits.withUnsafeBufferPointer { Sampler.argmax($0) }
            if Int(argmax) == argmax_all[pos] { agree += 1 }
            if let r = recorded[pos] {
                for (id, value) in zip(r.top_ids, r.top_logits) { worst = max(worst, abs(logits[id] - value)) }
                worst = max(worst, abs(Self.logSumExp(logits) - r.logsumexp))
            }
        }
        return (Double(agree) / Double(ids.count), worst)
    }

    static func logSumExp(_ v: [Float]) -> Float {
        let m = v.max()!
        return m + Float(log(v.reduce(0.0) { $0 + exp(Double($1 - m)) }))
    }
}
