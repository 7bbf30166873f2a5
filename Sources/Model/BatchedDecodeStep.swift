import Kernels
import KVCache

/// One sequence's part of a batched decoding step: its cache (already prefilled), the token to feed
/// and that token's position.
public struct DecodeRow {
    public let cache: KVCache
    public let token: Int32
    public let position: Int

    public init(cache: KVCache, token: Int32, position: Int) {
        self.cache = cache
        self.token = token
        self.position = position
    }
}

extension LlamaModel {
    /// One decoding step of several sequences at once: every weight matrix is streamed once for all
    /// rows (`RowProduct.perRow`, q8 activations when `activations == .q8`), attention runs per
    /// sequence over its own cache, and each cache's decoding method runs on its own probabilities.
    ///
    /// Returns the final normalised hidden states, `[rows.count, dim]`. Row b is bit-identical to
    /// `forward(tokens: [rows[b].token], startPosition: rows[b].position, cache: rows[b].cache)`.
    /// Each cache must appear once and must have been prefilled.
    public func decodeStep(_ rows: [DecodeRow]) throws -> [Float] {
        let B = rows.count
        guard B > 0 else { return [] }
        try checkVocabulary(rows.map(\.token))
        for (b, r) in rows.enumerated() {
            guard r.cache.layers[0].maxCount > 0 else { throw ModelError("decodeStep: row \(b)'s cache is empty (prefill it first)") }
            for other in rows[..<b] where other.cache === r.cache {
                throw ModelError("decodeStep: row \(b)'s cache appears twice in one step")
            }
        }
        let c = config, dim = c.embeddingLength, qDim = c.headCount * c.headDim, half = rope.dimensions / 2
        let x = Buffer(B * dim)
        let ropeCos = ropes.map { _ in Buffer(B * half) }, ropeSin = ropes.map { _ in Buffer(B * half) }
        let s = BlockScratch(rows: B, config: c)
        defer { for b in [x] + ropeCos + ropeSin { b.free() }; s.free() }
        for (b, r) in rows.enumerated() {
            embed(r.token, into: x.p + b * dim)
            for (t, rope) in ropes.enumerated() {
                rope.angles(position: r.position, cos: ropeCos[t].p + b * half, sin: ropeSin[t].p + b * half)
            }
        }
        for (l, w) in weights.blocks.enumerated() {
            let t = ropeTable[l]
            for r in rows { r.cache.layers[l].prefetchNextAppend() }
            queriesKeysValues(w, x: x.p, rows: B, cos: ropeCos[t].p, sin: ropeSin[t].p, scratch: s)
            for (b, r) in rows.enumerated() { appendRow(b, of: s, to: r.cache.layers[l], position: Int32(r.position)) }
            for (b, r) in rows.enumerated() where r.cache.queryWindow > 0 {
                r.cache.recordQuery(layer: l, s.q.p + b * qDim, position: Int32(r.position))   // a method's query ring
            }
            // Probability rows of the sequences whose decoding method ranks rows at this step (or
            // that the observer watches): those attend one by one; the others in one flash-decoding job.
            var probabilities: [UnsafeMutablePointer<Float>?] = []
            defer { for p in probabilities { p?.deallocate() } }
            var flash: [FlashDecodeQuery] = []
            for (b, r) in rows.enumerated() {
                let layer = r.cache.layers[l], q = s.q.p + b * qDim, out = s.att.p + b * qDim
                if r.cache.wantsDecodeProbabilities(layer: l) {
                    let p = UnsafeMutablePointer<Float>.allocate(capacity: c.headCount * layer.maxCount)
                    probabilities.append(p)
                    decodeAttention(layer: layer, layerIndex: l, q: q, position: Int32(r.position), out: out, probabilities: p)
                } else {
                    probabilities.append(nil)
                    if observer?.observes(layer: l, queryPosition: Int32(r.position)) == true {
                        decodeAttention(layer: layer, layerIndex: l, q: q, position: Int32(r.position), out: out, probabilities: nil)
                    } else {
                        flash.append(FlashDecodeQuery(layer: layer, q: q, position: Int32(r.position), out: out))
                    }
                }
            }
            if !flash.isEmpty { flashDecode(flash) }
            finishBlock(w, x: x.p, rows: B, scratch: s, .perRow)
            for (b, r) in rows.enumerated() {
                let count = c.headCount * r.cache.layers[l].maxCount
                try r.cache.finishDecodeStep(layer: l, probabilities: probabilities[b].map { UnsafeBufferPointer(start: $0, count: count) })
            }
        }
        return normalizedHidden(x.p, rows: B)
    }

    /// Logits of `count` hidden rows (`[count, vocabularySize]`), each exactly as `logits(hidden:into:)`
    /// computes it alone; the output matrix is streamed once for all rows.
    public func logits(hiddenRows hidden: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>) {
        MatMul.matvecRows([weights.output], hidden, n: count, [out], pool: pool, activations: activations)
    }
}
