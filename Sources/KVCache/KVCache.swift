/// The KV cache of one sequence: per-layer storage (`LayerKV`) driven by a prefill method and a
/// decoding method (`CompressionConfig`).
///
/// Model protocol (float32):
/// * Prefill, per layer in order: append all `n` prompt rows; `prefillRequest(layer:)` says which
///   statistics to compute; compute attention over the full prompt (prefill outputs use full
///   attention), fill a `PrefillScores`, call `finishPrefill(layer:scores:)`.
/// * Decoding, per step and layer in order: append the new token's row; if
///   `wantsDecodeProbabilities(layer:)`, pass the current query's softmax probabilities over the
///   whole current cache of each query head (`[queryHeads][k_len]`) to
///   `finishDecodeStep(layer:probabilities:)`, else pass nil. A compression decided at step t
///   affects steps > t.
public final class KVCache {
    public let shape: CacheShape
    public let config: CompressionConfig
    public let maxNewTokens: Int
    /// The `δ` in effect.
    public let delta: Int
    public let layers: [LayerKV]
    /// Shared class-level counters (reference semantics only).
    public let referenceCounters: ReferenceCounters?

    let prefillPolicy: PrefillPolicy
    let decodingPolicy: DecodingPolicy
    private let accountant: ByteAccountant
    private var prefixRows: [Int]
    private var layerCounters: [ReferenceCounters.Counters]
    private var pending: [(kLen: Int, plan: DecodePlan, counters: ReferenceCounters.Counters)?]
    private var topK = TopKWorkspace()
    private var candidateScores: [Float] = []
    private var headScores: [Float] = []
    private var poolSums: [Double] = []
    private var keep: [Int] = []
    private var slots: [Int] = []
    private var evict: [Int] = []

    /// Seconds spent in scoring, selection and compaction (prefill and decoding).
    public private(set) var selectionSeconds: Double = 0

    /// - Parameters:
    ///   - counters: the run's shared reference counters. In reference semantics pass the same
    ///     object to every sequence of a run to reproduce the carry-over (Q7); nil gives this cache
    ///     its own fresh counters. Ignored in corrected semantics.
    ///   - elementType: storage of K and V rows (`.f32` default; `.f16` needs an even head dimension,
    ///     `.q8_0`/`.q4_0` a multiple of 32).
    public init(shape: CacheShape, config: CompressionConfig, maxNewTokens: Int, counters: ReferenceCounters? = nil,
                elementType: KVElementType = .f32) throws {
        try shape.validate()
        if let reason = elementType.unsupportedReason(headDim: shape.headDim) { throw KVCacheError.invalidConfig(reason) }
        try config.validate()
        if maxNewTokens < 0 { throw KVCacheError.invalidConfig("max new tokens must not be negative, got \(maxNewTokens)") }
        self.shape = shape
        self.config = config
        self.maxNewTokens = maxNewTokens
        let reference = config.semantics == .reference
        delta = config.resolvedDelta(maxNewTokens: maxNewTokens)
        referenceCounters = reference ? (counters ?? ReferenceCounters()) : nil
        prefillPolicy = PrefillPolicy(config: config)
        decodingPolicy = DecodingPolicy(method: config.decoding, dw: config.decodingWindow, dr: config.recent,
                                        delta: delta, layers: shape.layers, reference: reference)
        let acc = ByteAccountant(headDim: shape.headDim, elementType: elementType)
        accountant = acc
        let initial = 64
        layers = (0..<shape.layers).map { _ in
            LayerKV(kvHeads: shape.kvHeads, groupSize: shape.groupSize, perQueryHead: reference,
                    valuesPerRow: shape.headDim, initialCapacity: initial, accountant: acc, elementType: elementType)
        }
        prefixRows = Array(repeating: -1, count: shape.layers)
        layerCounters = Array(repeating: ReferenceCounters.Counters(), count: shape.layers)
        pending = Array(repeating: nil, count: shape.layers)
    }

    // MARK: accounting

    /// Bytes of K and V rows stored now (`rows × 2 × rowBytes` of the element type; positions not counted).
    public var bytesCurrent: Int { accountant.rows * accountant.rowBytes }
    /// Largest `bytesCurrent` so far, including the transient full-prompt layer at prefill and the
    /// appended row before each decoding compression.
    public var bytesPeak: Int { accountant.peakRows * accountant.rowBytes }
    /// Bytes allocated (capacity of K, V and positions, plus compaction scratch).
    public var bytesReserved: Int { layers.reduce(0) { $0 + $1.bytesReserved } }
    /// Rows per storage head (max over heads) of each layer.
    public var tokensPerLayer: [Int] { layers.map(\.maxCount) }
    /// Bytes of one stored row (one token in one storage head).
    public var rowBytes: Int { accountant.rowBytes }

    /// The counters a layer's decoding calls use (shared class counters in reference semantics).
    public func counters(layer: Int) -> ReferenceCounters.Counters {
        if let rc = referenceCounters, ReferenceCounters.hasCounters(config.prefill) { return rc[config.prefill] }
        return layerCounters[layer]
    }

    /// The decoding prefix `Pd` of a layer: the configured `P` (ALLKV: the last prompt length) in
    /// reference semantics; the rows kept at prefill in corrected semantics (-1 before prefill).
    public func decodingPrefix(layer: Int) -> Int {
        if let rc = referenceCounters {
            return config.prefill == .fullKV ? rc.allkvPromptLength : config.prefillBudget
        }
        return prefixRows[layer]
    }

    // MARK: prefill

    /// What the model must compute for this layer's prompt (call after appending the prompt rows).
    public func prefillRequest(layer: Int) -> PrefillScoreRequest {
        let n = layers[layer].maxCount
        let plan = prefillPolicy.plan(n: n, layer: layer, layers: shape.layers)
        return prefillPolicy.request(for: plan, n: n)
    }

    /// Runs the prefill method on this layer's prompt rows and compacts them.
    @discardableResult
    public func finishPrefill(layer l: Int, scores: PrefillScores?) throws -> PrefillOutcome {
        let start = monotonicSeconds()
        defer { selectionSeconds += monotonicSeconds() - start }
        let storage = layers[l]
        let n = try uniformCount(l)
        if prefixRows[l] >= 0 { throw KVCacheError.protocolViolation("finishPrefill called twice for layer \(l)") }
        if let rc = referenceCounters {
            switch config.prefill {
            case .fullKV:
                rc.allkvPromptLength = n
                rc[.fullKV].S = 0; rc[.fullKV].J = 0
            case .h2o:
                rc[.h2o].S = 0; rc[.h2o].J = 0
            default: break
            }
        }
        let plan = prefillPolicy.plan(n: n, layer: l, layers: shape.layers)
        if let k = plan.k {
            let w = prefillPolicy.w
            let m = n - w
            if k > m || k < 0 {
                let message = "\(config.prefill.referenceName) prefill, layer \(l): topk(\(k)) over \(m) candidates (n=\(n), w=\(w))"
                if referenceCounters != nil { throw KVCacheError.referenceRaises(message) }
                throw KVCacheError.invalidConfig(message)
            }
            let request = prefillPolicy.request(for: plan, n: n)
            try checkScores(scores, request: request, layer: l)
            let empty = PrefillScores(request: PrefillScoreRequest(kind: .none, window: w, promptLength: n), queryHeads: shape.queryHeads)
            let given = scores ?? empty
            grow(&candidateScores, m)
            grow(&headScores, m)
            grow(&poolSums, m)
            for s in 0..<storage.storageHeads {
                keep.removeAll(keepingCapacity: true)
                candidateScores.withUnsafeMutableBufferPointer { cs in
                    headScores.withUnsafeMutableBufferPointer { hs in
                        poolSums.withUnsafeMutableBufferPointer { ps in
                            reduceGroup(storageHead: s, count: m, into: cs.baseAddress!, scratch: hs.baseAddress!) { h, out in
                                prefillPolicy.candidateScores(head: h, scores: given, n: n, out: out, sums: ps.baseAddress!)
                            }
                            topK.select(scores: cs.baseAddress!, count: m, k: k, ranked: referenceCounters != nil, into: &keep)
                        }
                    }
                }
                for j in m..<n { keep.append(j) }
                storage.compact(s, keeping: keep)
            }
        }
        prefixRows[l] = storage.maxCount
        storage.setCapacity(decodeCapacity(layer: l))
        let c = referenceCounters != nil && ReferenceCounters.hasCounters(config.prefill) ? counters(layer: l) : nil
        return PrefillOutcome(branch: plan.branch, k: plan.k, budget: plan.budget, cacheLength: storage.maxCount, counters: c)
    }

    // MARK: decoding

    /// Whether this decoding call will rank cache rows (so the model must pass probabilities).
    /// Call after appending the new row; the decision is kept for `finishDecodeStep`.
    public func wantsDecodeProbabilities(layer l: Int) -> Bool {
        guard let kLen = try? uniformCount(l), prefixRows[l] >= 0 else { return false }
        let decided = decide(layer: l, kLen: kLen)
        pending[l] = decided
        return decided.plan.needsScores
    }

    /// Runs the decoding method on this layer after the new token's row was appended.
    /// `probabilities`: `[queryHeads][k_len]` softmax rows of the current query, or nil when
    /// `wantsDecodeProbabilities` said false.
    @discardableResult
    public func finishDecodeStep(layer l: Int, probabilities: UnsafeBufferPointer<Float>?) throws -> DecodeOutcome {
        let start = monotonicSeconds()
        defer { selectionSeconds += monotonicSeconds() - start }
        let storage = layers[l]
        let kLen = try uniformCount(l)
        if prefixRows[l] < 0 { throw KVCacheError.protocolViolation("finishDecodeStep before finishPrefill on layer \(l)") }
        let decided: (kLen: Int, plan: DecodePlan, counters: ReferenceCounters.Counters)
        if let p = pending[l], p.kLen == kLen { decided = p } else { decided = decide(layer: l, kLen: kLen) }
        pending[l] = nil
        commit(counters: decided.counters, layer: l)
        let plan = decided.plan
        var outcome = DecodeOutcome(kLen: kLen, branch: plan.branch, dws: plan.dws, budget: plan.budget,
                                    counters: usesCounters ? decided.counters : nil, cacheLengthAfter: kLen)
        guard plan.compresses else { return outcome }
        if plan.needsScores {
            guard let probabilities else {
                throw KVCacheError.protocolViolation("layer \(l): decoding method \(config.decoding.rawValue) needs the current query's probabilities (wantsDecodeProbabilities was true)")
            }
            if probabilities.count < shape.queryHeads * kLen {
                throw KVCacheError.protocolViolation("layer \(l): probabilities hold \(probabilities.count) values, expected queryHeads × k_len = \(shape.queryHeads) × \(kLen)")
            }
        }
        if referenceCounters == nil {
            evictCorrected(storage, plan: plan, kLen: kLen, probabilities: probabilities)
            outcome.cacheLengthAfter = storage.maxCount
            return outcome
        }
        let m = plan.candidates.count
        grow(&candidateScores, m)
        grow(&headScores, m)
        for s in 0..<storage.storageHeads {
            keep.removeAll(keepingCapacity: true)
            if plan.k > 0 {
                if plan.needsScores, let probabilities {
                    candidateScores.withUnsafeMutableBufferPointer { cs in
                        headScores.withUnsafeMutableBufferPointer { hs in
                            reduceGroup(storageHead: s, count: m, into: cs.baseAddress!, scratch: hs.baseAddress!) { h, out in
                                let row = probabilities.baseAddress! + h * kLen
                                let lo = plan.candidates.lowerBound
                                for i in 0..<m { out[i] = row[storage.physicalRow(s, slot: lo + i)] }
                            }
                            topK.select(scores: cs.baseAddress!, count: m, k: plan.k, ranked: referenceCounters != nil,
                                        offset: plan.candidates.lowerBound, into: &keep)
                        }
                    }
                } else {
                    for j in plan.candidates.prefix(plan.k) { keep.append(j) }
                }
            }
            for j in (kLen - plan.recent)..<kLen { keep.append(j) }
            keep.withUnsafeBufferPointer { storage.compact(s, keepingPrefix: plan.prefix, then: $0) }
        }
        outcome.cacheLengthAfter = storage.maxCount
        if storage.maxCount > storage.capacity { storage.reserve(storage.maxCount) }
        return outcome
    }

    // MARK: helpers

    /// Corrected semantics: the same kept set as the slot rules, found by position instead of slot
    /// (recent rows = positions newer than `newest − recent`; decoding positions are consecutive),
    /// then evicted in O(evicted) by moving tail rows into the holes.
    private func evictCorrected(_ storage: LayerKV, plan: DecodePlan, kLen: Int, probabilities: UnsafeBufferPointer<Float>?) {
        let regionStart = plan.candidates.isEmpty ? plan.prefix : plan.candidates.lowerBound
        for s in 0..<storage.storageHeads {
            let pos = storage.positions(s)
            let cutoff = Int(pos[kLen - 1]) - plan.recent
            slots.removeAll(keepingCapacity: true)
            for j in regionStart..<kLen where Int(pos[j]) <= cutoff { slots.append(j) }
            let m = slots.count
            evict.removeAll(keepingCapacity: true)
            if plan.k == 0 {
                evict.append(contentsOf: slots)
            } else if plan.k < m, let probabilities {
                grow(&candidateScores, m)
                grow(&headScores, m)
                keep.removeAll(keepingCapacity: true)
                candidateScores.withUnsafeMutableBufferPointer { cs in
                    headScores.withUnsafeMutableBufferPointer { hs in
                        slots.withUnsafeBufferPointer { sl in
                            reduceGroup(storageHead: s, count: m, into: cs.baseAddress!, scratch: hs.baseAddress!) { h, out in
                                let row = probabilities.baseAddress! + h * kLen
                                for i in 0..<m { out[i] = row[sl[i]] }
                            }
                        }
                        topK.select(scores: cs.baseAddress!, count: m, k: plan.k, ranked: false, into: &keep)
                    }
                }
                var next = 0
                for i in 0..<m {
                    if next < keep.count && keep[next] == i { next += 1 } else { evict.append(slots[i]) }
                }
            }
            storage.remove(s, rows: evict)
        }
    }

    private var usesCounters: Bool { config.decoding.usesCounters }

    private func decide(layer l: Int, kLen: Int) -> (kLen: Int, plan: DecodePlan, counters: ReferenceCounters.Counters) {
        var c = counters(layer: l)
        let plan = decodingPolicy.plan(layer: l, kLen: kLen, Pd: decodingPrefix(layer: l), counters: &c)
        return (kLen, plan, c)
    }

    private func commit(counters c: ReferenceCounters.Counters, layer l: Int) {
        if let rc = referenceCounters, ReferenceCounters.hasCounters(config.prefill) {
            rc[config.prefill] = c
        } else {
            layerCounters[l] = c
        }
    }

    /// Scores of storage head `s`: its own query head's (reference), or the group's reduced (corrected).
    private func reduceGroup(storageHead s: Int, count m: Int, into out: UnsafeMutablePointer<Float>,
                             scratch: UnsafeMutablePointer<Float>, _ scoresOf: (Int, UnsafeMutablePointer<Float>) -> Void) {
        if referenceCounters != nil || shape.groupSize == 1 {
            scoresOf(s, out)   // reference: storage head s is query head s; R = 1: the only query head
            return
        }
        let r = shape.groupSize
        scoresOf(s * r, out)
        for h in (s * r + 1)..<(s * r + r) {
            scoresOf(h, scratch)
            switch config.groupReduce {
            case .mean: for j in 0..<m { out[j] += scratch[j] }
            case .max: for j in 0..<m where scratch[j] > out[j] { out[j] = scratch[j] }
            }
        }
        if config.groupReduce == .mean {
            let inv = 1 / Float(r)
            for j in 0..<m { out[j] *= inv }
        }
    }

    private func uniformCount(_ l: Int) throws -> Int {
        let storage = layers[l]
        let n = storage.count(0)
        for s in 1..<storage.storageHeads where storage.count(s) != n {
            throw KVCacheError.protocolViolation("layer \(l): storage heads hold different row counts (\(n) vs \(storage.count(s))); append to every KV head")
        }
        return n
    }

    private func checkScores(_ scores: PrefillScores?, request: PrefillScoreRequest, layer l: Int) throws {
        let h = shape.queryHeads, n = request.promptLength, w = request.window
        switch request.kind {
        case .none: return
        case .windowProbabilities:
            guard let scores, scores.promptLength == n, scores.window == w, scores.windowProbabilities.count == h * w * n else {
                throw KVCacheError.protocolViolation("layer \(l): prefill needs windowProbabilities of \(h) × \(w) × \(n) values")
            }
        case .causalColumnSums, .nonCausalColumnSums:
            guard let scores, scores.promptLength == n, scores.columnSums.count == h * n else {
                throw KVCacheError.protocolViolation("layer \(l): prefill needs columnSums of \(h) × \(n) values")
            }
        }
    }

    private func grow<T: Numeric>(_ buffer: inout [T], _ count: Int) {
        if buffer.count < count { buffer = Array(repeating: 0, count: Swift.max(count, buffer.count * 2)) }
    }

    /// Rows a layer may need during decoding (capacity is set to this after prefill; growth past it stays amortised).
    private func decodeCapacity(layer l: Int) -> Int {
        let rows0 = layers[l].maxCount
        let unbounded = rows0 + maxNewTokens + 1
        let Pd = decodingPrefix(layer: l)
        let dw = config.decodingWindow, dr = config.recent
        let bound: Int
        switch config.decoding {
        case .none: bound = unbounded
        case .slide, .h2o, .slm, .pyramidInfer: bound = Swift.max(rows0, Pd + dw) + 1
        case .adaptive, .discontinuous:
            let perDws = referenceCounters != nil ? delta * shape.layers : delta
            let s0 = counters(layer: l).S
            let calls = referenceCounters != nil ? maxNewTokens * shape.layers : maxNewTokens
            let dwsMax = dr + (s0 + calls) / perDws
            let slack = config.decoding == .discontinuous ? delta + 1 : 0
            bound = Swift.max(rows0, Pd + dwsMax + slack) + 1
        }
        return Swift.min(unbounded, bound)
    }
}

/// What a prefill call did on one layer.
public struct PrefillOutcome: Sendable, Equatable {
    public var branch: CompressionBranch
    public var k: Int?
    public var budget: Int?
    public var cacheLength: Int
    /// Shared class counters after the call (reference semantics, classes that have them).
    public var counters: ReferenceCounters.Counters?
}

/// What a decoding call did on one layer.
public struct DecodeOutcome: Sendable, Equatable {
    public var kLen: Int
    public var branch: CompressionBranch
    public var dws: Int?
    public var budget: Int?
    /// Counters after the call (adaptive/discontinuous).
    public var counters: ReferenceCounters.Counters?
    public var cacheLengthAfter: Int
}
