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

    /// Reference semantics: per-query-head storage, top-k cache order, shared class counters,
    /// slot-range prefixes. Decided once here; everything below reads this flag or `groups`.
    let reference: Bool
    let prefillMethod: any PrefillMethod
    let decodingMethod: any DecodingMethod
    let groups: GroupReducer
    private let accountant: ByteAccountant
    private var prefixRows: [Int]
    private var layerCounters: [ReferenceCounters.Counters]
    private var pending: [(kLen: Int, plan: DecodePlan, counters: ReferenceCounters.Counters)?]
    private var queryRings: [QueryRing]
    private var topK = TopKWorkspace()
    private var candidateScores: [Float] = []
    private var headScores: [Float] = []
    private var poolSums: [Double] = []
    private var keep: [Int] = []
    private var slots: [Int] = []
    private var rows: [Int] = []
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
        if config.semantics == .reference && !shape.layerWindows.isEmpty {
            throw KVCacheError.invalidConfig("reference semantics are not defined for a model with sliding-window layers (Gemma 3): the reference code has no such layers; use corrected semantics")
        }
        if maxNewTokens < 0 { throw KVCacheError.invalidConfig("max new tokens must not be negative, got \(maxNewTokens)") }
        self.shape = shape
        self.config = config
        self.maxNewTokens = maxNewTokens
        let reference = config.semantics == .reference
        self.reference = reference
        delta = config.resolvedDelta(maxNewTokens: maxNewTokens)
        referenceCounters = reference ? (counters ?? ReferenceCounters()) : nil
        prefillMethod = config.prefill.method.init(config: config)
        decodingMethod = config.decoding.method.init(DecodingContext(config: config, delta: delta, layers: shape.layers))
        groups = GroupReducer(perQueryHead: reference, groupSize: shape.groupSize, mode: config.groupReduce)
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
        let ring = QueryRing(capacity: decodingMethod.queryWindow, width: shape.queryHeads * shape.headDim)
        queryRings = Array(repeating: ring, count: shape.layers)
    }

    // MARK: recent queries

    /// How many recent queries per layer the decoding method reads (0: do not call `recordQuery`).
    public var queryWindow: Int { decodingMethod.queryWindow }

    /// Records one post-RoPE query (`queryHeads × headDim` floats) of `layer` at `position`: every
    /// decoding step's, and the last `queryWindow` prompt queries, before that layer's `finish…` call.
    public func recordQuery(layer: Int, _ q: UnsafePointer<Float>, position: Int32) {
        queryRings[layer].append(q, position: position)
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
        if reference, let rc = referenceCounters, ReferenceCounters.hasCounters(config.prefill) { return rc[config.prefill] }
        return layerCounters[layer]
    }

    /// The decoding prefix `Pd` of a layer: the configured `P` (ALLKV: the last prompt length) in
    /// reference semantics; the rows kept at prefill in corrected semantics (-1 before prefill).
    public func decodingPrefix(layer: Int) -> Int {
        guard reference, let rc = referenceCounters else { return prefixRows[layer] }
        return config.prefill.method.referenceClass?.prefixIsPromptLength == true ? rc.allkvPromptLength : config.prefillBudget
    }

    // MARK: prefill

    /// What the model must compute for this layer's prompt (call after appending the prompt rows).
    public func prefillRequest(layer: Int) -> PrefillScoreRequest {
        let n = layers[layer].maxCount
        if isWindowed(layer: layer) { return PrefillScoreRequest(kind: .none, window: 0, promptLength: n) }
        let plan = prefillMethod.plan(n: n, layer: layer, layers: shape.layers)
        return prefillMethod.request(for: plan, n: n)
    }

    /// Runs the prefill method on this layer's prompt rows and compacts them.
    @discardableResult
    public func finishPrefill(layer l: Int, scores: PrefillScores?) throws -> PrefillOutcome {
        let start = monotonicSeconds()
        defer { selectionSeconds += monotonicSeconds() - start }
        let storage = layers[l]
        let n = try uniformCount(l)
        if prefixRows[l] >= 0 { throw KVCacheError.protocolViolation("finishPrefill called twice for layer \(l)") }
        if let window = shape.window(layer: l) {
            slideWindow(layer: l)
            prefixRows[l] = storage.maxCount
            storage.setCapacity(window + 1)
            return PrefillOutcome(branch: .none, k: nil, budget: nil, cacheLength: storage.maxCount, counters: nil)
        }
        if reference, let rc = referenceCounters, let cls = config.prefill.method.referenceClass, cls.resetsCounters {
            if cls.prefixIsPromptLength { rc.allkvPromptLength = n }
            rc[config.prefill].S = 0; rc[config.prefill].J = 0
        }
        let plan = prefillMethod.plan(n: n, layer: l, layers: shape.layers)
        if let k = plan.k {
            let w = prefillMethod.window
            let m = n - w
            if k > m || k < 0 {
                let message = "\(config.prefill.referenceName) prefill, layer \(l): topk(\(k)) over \(m) candidates (n=\(n), w=\(w))"
                throw reference ? KVCacheError.referenceRaises(message) : KVCacheError.invalidConfig(message)
            }
            let request = prefillMethod.request(for: plan, n: n)
            try checkScores(scores, request: request, layer: l)
            let given = scores ?? PrefillScores(request: PrefillScoreRequest(kind: .none, window: w, promptLength: n), queryHeads: shape.queryHeads)
            grow(&candidateScores, m)
            grow(&headScores, m)
            grow(&poolSums, m)
            for s in 0..<storage.storageHeads {
                keep.removeAll(keepingCapacity: true)
                try candidateScores.withUnsafeMutableBufferPointer { cs in
                    try headScores.withUnsafeMutableBufferPointer { hs in
                        try poolSums.withUnsafeMutableBufferPointer { ps in
                            let input = PrefillScoring(scores: given, promptLength: n, candidates: m, layer: storage, groups: groups,
                                                       scratch: hs.baseAddress!, sums: ps.baseAddress!)
                            try prefillMethod.scores(input, storageHead: s, into: cs.baseAddress!)
                            topK.select(scores: cs.baseAddress!, count: m, k: k, ranked: reference, into: &keep)
                        }
                    }
                }
                for j in m..<n { keep.append(j) }
                storage.compact(s, keeping: keep)
            }
        }
        prefixRows[l] = storage.maxCount
        storage.setCapacity(decodeCapacity(layer: l))
        let c = reference && ReferenceCounters.hasCounters(config.prefill) ? counters(layer: l) : nil
        return PrefillOutcome(branch: plan.branch, k: plan.k, budget: plan.budget, cacheLength: storage.maxCount, counters: c)
    }

    // MARK: decoding

    /// Whether this decoding call will rank cache rows (so the model must pass probabilities).
    /// Call after appending the new row; the decision is kept for `finishDecodeStep`.
    public func wantsDecodeProbabilities(layer l: Int) -> Bool {
        guard let kLen = try? uniformCount(l), prefixRows[l] >= 0, !isWindowed(layer: l) else { return false }
        let decided = decide(layer: l, kLen: kLen)
        pending[l] = decided
        return decided.plan.needsScores && decodingMethod.usesCurrentProbabilities
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
        if isWindowed(layer: l) {
            slideWindow(layer: l)
            return DecodeOutcome(kLen: kLen, branch: .none, dws: nil, budget: nil, counters: nil, cacheLengthAfter: storage.maxCount,
                                 recent: storage.maxCount)
        }
        let decided: (kLen: Int, plan: DecodePlan, counters: ReferenceCounters.Counters)
        if let p = pending[l], p.kLen == kLen { decided = p } else { decided = decide(layer: l, kLen: kLen) }
        pending[l] = nil
        commit(counters: decided.counters, layer: l)
        let plan = decided.plan
        var outcome = DecodeOutcome(kLen: kLen, branch: plan.branch, dws: plan.dws, budget: plan.budget,
                                    counters: usesCounters ? decided.counters : nil, cacheLengthAfter: kLen, recent: plan.recent)
        guard plan.compresses else { return outcome }
        if plan.needsScores && decodingMethod.usesCurrentProbabilities {
            guard let probabilities else {
                throw KVCacheError.protocolViolation("layer \(l): decoding method \(config.decoding.rawValue) needs the current query's probabilities (wantsDecodeProbabilities was true)")
            }
            if probabilities.count < shape.queryHeads * kLen {
                throw KVCacheError.protocolViolation("layer \(l): probabilities hold \(probabilities.count) values, expected queryHeads × k_len = \(shape.queryHeads) × \(kLen)")
            }
        }
        for s in 0..<storage.storageHeads {
            try select(storage, layer: l, storageHead: s, plan: plan, kLen: kLen, probabilities: probabilities)
        }
        outcome.cacheLengthAfter = storage.maxCount
        if storage.maxCount > storage.capacity { storage.reserve(storage.maxCount) }
        return outcome
    }

    // MARK: fork

    /// An independent copy of this cache's state for a sequence that continues from the same point
    /// with at most `maxNewTokens` more tokens: the same rows (physical and logical order,
    /// positions), kept-prefix lengths, counters, recent queries, peak and selection time. What
    /// depends on `maxNewTokens` (`δ`, the decoding capacity) follows the new value, as if this
    /// cache had been created with it: the prefill does not read it. Call between steps (not
    /// between a layer's `wantsDecodeProbabilities` and `finishDecodeStep`). In reference semantics
    /// the copy gets its own copy of the shared counters.
    ///
    /// A fork taken right after the prefill is the cache the same prompt's prefill would give
    /// (`KVCacheForkTests`): a batch scheduler prefills a repeated prompt once.
    public func forked(maxNewTokens: Int) throws -> KVCache {
        let copy = try KVCache(shape: shape, config: config, maxNewTokens: maxNewTokens, counters: referenceCounters?.copy(),
                               elementType: layers[0].elementType)
        copy.prefixRows = prefixRows
        copy.layerCounters = layerCounters
        for l in 0..<shape.layers {
            let rows = layers[l].maxCount
            let capacity = prefixRows[l] < 0 ? rows : shape.window(layer: l).map { $0 + 1 } ?? copy.decodeCapacity(layer: l, rows: rows)
            copy.layers[l].copyRows(from: layers[l], capacity: capacity)
        }
        copy.queryRings = queryRings
        copy.accountant.raisePeak(toRows: accountant.peakRows)
        copy.selectionSeconds = selectionSeconds
        return copy
    }

    /// A new cache with compression `config` holding only this cache's rows of positions
    /// `0..<rows`, its prompt not finished: a longer prompt that starts with the same `rows` tokens
    /// appends the rest of its rows and finishes the prefill on it (`LayerPass` from position
    /// `rows`). Only where the prefill keeps every prompt row in place: FullKV for both caches (the
    /// decoding methods may differ), the same semantics (row layout), no sliding-window layer, and
    /// this cache taken before decoding (throws otherwise). The copy has its own fresh counters and
    /// no recorded queries, as a new cache.
    public func forkedPrefix(rows: Int, config: CompressionConfig, maxNewTokens: Int) throws -> KVCache {
        guard self.config.prefill == .fullKV, config.prefill == .fullKV, config.semantics == self.config.semantics,
              shape.layerWindows.isEmpty, rows > 0 else {
            throw KVCacheError.invalidConfig("a prompt prefix can be shared only between FullKV caches of one semantics without sliding-window layers (\(self.config.prefill) → \(config.prefill), \(rows) rows)")
        }
        let copy = try KVCache(shape: shape, config: config, maxNewTokens: maxNewTokens, elementType: layers[0].elementType)
        for l in 0..<shape.layers where !copy.layers[l].copyLeadingRows(from: layers[l], count: rows, capacity: rows) {
            throw KVCacheError.protocolViolation("layer \(l) does not hold positions 0..<\(rows) in order: no prompt prefix to share")
        }
        return copy
    }

    /// Whether the prompt has been run (`finishPrefill` called); rows appended before are prompt rows.
    public var isPrefilled: Bool { prefixRows[0] >= 0 }

    // MARK: helpers

    /// One storage head's decoding selection: lists the candidate rows, ranks them with the
    /// method's scores when it keeps fewer than all (or the reference re-ranks a full set), and
    /// applies the kept set. Reference: candidates are the plan's slot range and the kept slots are
    /// written in top-k order after the prefix. Corrected: the same kept set found by position
    /// (recent rows = positions newer than `newest − recent`; decoding positions are consecutive),
    /// evicted in O(evicted) by moving tail rows into the holes.
    private func select(_ storage: LayerKV, layer l: Int, storageHead s: Int, plan: DecodePlan, kLen: Int,
                        probabilities: UnsafeBufferPointer<Float>?) throws {
        slots.removeAll(keepingCapacity: true)
        rows.removeAll(keepingCapacity: true)
        if reference {
            for j in plan.candidates { slots.append(j); rows.append(storage.physicalRow(s, slot: j)) }
        } else {
            let pos = storage.positions(s)
            let cutoff = plan.recentByRank ? rankCutoff(pos, count: kLen, recent: plan.recent) : Int(pos[kLen - 1]) - plan.recent
            let regionStart = plan.candidates.isEmpty ? plan.prefix : plan.candidates.lowerBound
            for j in regionStart..<kLen where Int(pos[j]) <= cutoff { slots.append(j); rows.append(j) }
        }
        let m = slots.count
        let k = reference ? plan.k : Swift.max(0, Swift.min(plan.keepTotal.map { $0 - (kLen - m) } ?? plan.k, m))
        keep.removeAll(keepingCapacity: true)
        if k > 0 && (k < m || reference) {
            if plan.needsScores {
                grow(&candidateScores, m)
                grow(&headScores, m)
                let ring = queryRings[l]
                try candidateScores.withUnsafeMutableBufferPointer { cs in
                    try headScores.withUnsafeMutableBufferPointer { hs in
                        try rows.withUnsafeBufferPointer { r in
                            let input = DecodeScoring(probabilities: probabilities, queries: ring, shape: shape, kLen: kLen, layer: storage,
                                                      groups: groups, scratch: hs.baseAddress!)
                            try decodingMethod.scores(input, storageHead: s, rows: r, into: cs.baseAddress!)
                        }
                        topK.select(scores: cs.baseAddress!, count: m, k: k, ranked: reference, into: &keep)
                    }
                }
            } else {
                for i in 0..<k { keep.append(i) }
            }
        } else if k > 0 {
            for i in 0..<m { keep.append(i) }
        }
        if reference {
            for i in keep.indices { keep[i] = slots[keep[i]] }
            for j in (kLen - plan.recent)..<kLen { keep.append(j) }
            keep.withUnsafeBufferPointer { storage.compact(s, keepingPrefix: plan.prefix, then: $0) }
        } else {
            evict.removeAll(keepingCapacity: true)
            var next = 0
            for i in 0..<m {
                if next < keep.count && keep[next] == i { next += 1 } else { evict.append(slots[i]) }
            }
            storage.remove(s, rows: evict)
        }
    }

    private var usesCounters: Bool { type(of: decodingMethod).usesCounters }

    /// The largest position that is not among the `recent` newest of `count` rows.
    private func rankCutoff(_ pos: UnsafePointer<Int32>, count: Int, recent: Int) -> Int {
        if recent <= 0 { return Int.max }
        if recent >= count { return Int.min }
        var sorted = (0..<count).map { Int(pos[$0]) }
        sorted.sort(by: >)
        return sorted[recent]
    }

    private func decide(layer l: Int, kLen: Int) -> (kLen: Int, plan: DecodePlan, counters: ReferenceCounters.Counters) {
        var c = counters(layer: l)
        let position = kLen > 0 ? Int(layers[l].positions(0)[kLen - 1]) : 0   // the row just appended is the last physical row
        var plan = decodingMethod.plan(layer: l, kLen: kLen, Pd: decodingPrefix(layer: l), position: position, counters: &c)
        plan.ranksCandidates = reference
        return (kLen, plan, c)
    }

    private func commit(counters c: ReferenceCounters.Counters, layer l: Int) {
        if reference, let rc = referenceCounters, ReferenceCounters.hasCounters(config.prefill) {
            rc[config.prefill] = c
        } else {
            layerCounters[l] = c
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
    private func decodeCapacity(layer l: Int, rows rows0: Int? = nil) -> Int {
        let rows0 = rows0 ?? layers[l].maxCount
        let unbounded = rows0 + maxNewTokens + 1
        let bound = decodingMethod.capacityBound(rowsAfterPrefill: rows0, Pd: decodingPrefix(layer: l), maxNewTokens: maxNewTokens,
                                                 stepsDone: counters(layer: l).S) ?? unbounded
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
    /// Newest rows (reference: last slots; corrected: newest positions) the call always kept.
    public var recent: Int
}
