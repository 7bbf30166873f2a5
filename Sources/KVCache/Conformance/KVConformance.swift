import Foundation

/// The verdict on one vector file.
public struct ConformanceFileResult: Sendable {
    public var file: String
    /// Number of compared items (branches, counters, kept lists, lengths, budgets).
    public var checks = 0
    /// Every mismatch found (the first ones are reported).
    public var failures: [String] = []

    public var passed: Bool { failures.isEmpty }

    /// One line: `PASS file (N checks)` or `FAIL file: k of N checks differ; first: ...`.
    public var line: String {
        if passed { return "PASS \(file) (\(checks) checks)" }
        let shown = failures.prefix(3).joined(separator: "; ")
        return "FAIL \(file): \(failures.count) of \(checks) checks differ; first: \(shown)"
    }

    mutating func expect<T: Equatable>(_ got: T, _ want: T, _ what: @autoclosure () -> String) {
        checks += 1
        if got != want { failures.append("\(what()): got \(got), expected \(want)") }
    }
}

/// Replays a KV selection vectors folder (laid out like `shared/conformance/kv`) through the
/// cache's policy code in reference semantics.
public enum KVConformance {
    /// Checks `budgets.json`, every case of `prefill_cases.json` and every `trace_*.json`.
    /// Throws when a required file is missing or malformed; mismatches are reported per file.
    public static func run(directory: URL) throws -> [ConformanceFileResult] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            throw ConformanceError.missing(directory.path)
        }
        var results: [ConformanceFileResult] = []
        let budgets = directory.appendingPathComponent("budgets.json")
        if fm.fileExists(atPath: budgets.path) {
            results.append(try checkBudgets(try decodeVectorFile(BudgetsFile.self, at: budgets), file: "budgets.json"))
        }
        let prefill = directory.appendingPathComponent("prefill_cases.json")
        guard fm.fileExists(atPath: prefill.path) else { throw ConformanceError.missing(prefill.path) }
        results.append(try replayPrefillCases(try decodeVectorFile(PrefillCasesFile.self, at: prefill), file: "prefill_cases.json"))
        let traceNames = try fm.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasPrefix("trace_") && $0.hasSuffix(".json") && $0 != "trace_inputs.json" }
            .sorted()
        if !traceNames.isEmpty {
            let inputsURL = directory.appendingPathComponent("trace_inputs.json")
            guard fm.fileExists(atPath: inputsURL.path) else { throw ConformanceError.missing(inputsURL.path) }
            let inputs = try decodeVectorFile(TraceInputsFile.self, at: inputsURL)
            for name in traceNames {
                let url = directory.appendingPathComponent(name)
                results.append(try replayTrace(try decodeVectorFile(TraceFile.self, at: url), inputs: inputs, file: name))
            }
        }
        return results
    }

    // MARK: budgets

    static func checkBudgets(_ file: BudgetsFile, file name: String) throws -> ConformanceFileResult {
        var r = ConformanceFileResult(file: name)
        for (i, c) in file.pyramid_prefill.enumerated() {
            guard let method = PrefillMethodKind(name: c.method) else {
                throw ConformanceError.malformed(name, "pyramid_prefill[\(i)]: unknown method '\(c.method)'")
            }
            let config = CompressionConfig(semantics: .reference, prefill: method, prefillBudget: c.P, window: c.w, beta: c.beta)
            let policy = method.method.init(config: config)
            let at = "pyramid_prefill[\(i)] \(c.method) P=\(c.P) w=\(c.w) n=\(c.q_len)"
            let info = PyramidBudget.prefill(P: c.P, w: c.w, n: c.q_len, layers: c.L, layer: 0, beta: c.beta).info
            r.expect(info, PyramidBudget.Info(minNum: c.budget_info.min_num, maxNum: c.budget_info.max_num,
                                               steps: c.budget_info.steps, adjusted: c.budget_info.adjusted), "\(at) budget_info")
            var budgets: [Int] = [], lengths: [Int?] = []
            var branch = "", uniformK: Int? = nil, raises = false
            for l in 0..<c.L {
                let plan = policy.plan(n: c.q_len, layer: l, layers: c.L)
                budgets.append(plan.budget ?? -1)
                branch = plan.branch.rawValue
                if plan.branch == .uniform { uniformK = plan.k }
                let k = plan.k ?? 0
                let raise = plan.k != nil && k > c.q_len - c.w
                raises = raises || raise
                lengths.append(plan.k == nil ? c.q_len : (raise ? nil : k + c.w))
            }
            r.expect(branch, c.branch, "\(at) branch")
            r.expect(uniformK, c.uniform_k, "\(at) uniform_k")
            r.expect(raises, c.reference_raises, "\(at) reference_raises")
            r.expect(budgets, c.budgets_per_layer, "\(at) budgets_per_layer")
            r.expect(lengths, c.cache_len_per_layer, "\(at) cache_len_per_layer")
        }
        for (i, c) in file.pyramidinfer_decode.enumerated() {
            let at = "pyramidinfer_decode[\(i)] P=\(c.P) dws=\(c.dws) dr=\(c.dr)"
            let config = CompressionConfig(semantics: .reference, prefill: .pyramidInfer, decoding: .pyramidInfer, decodingWindow: c.dws, recent: c.dr)
            let policy = PyramidInferDecoding(DecodingContext(config: config, delta: 1, layers: c.L))
            var budgets: [Int] = []
            for l in 0..<c.L {
                var counters = ReferenceCounters.Counters()
                budgets.append(policy.plan(layer: l, kLen: 0, Pd: c.P, position: 0, counters: &counters).budget ?? -1)
            }
            r.expect(budgets, c.budgets_per_layer, "\(at) budgets_per_layer")
            var counters = ReferenceCounters.Counters()
            r.expect(policy.plan(layer: 0, kLen: c.threshold_compress - 1, Pd: c.P, position: 0, counters: &counters).branch, .belowThreshold, "\(at) below threshold_compress")
            let atThreshold = policy.plan(layer: 0, kLen: c.threshold_compress, Pd: c.P, position: 0, counters: &counters)
            r.expect(atThreshold.branch, c.threshold_compress < c.threshold_pyramid_branch ? .uniform : .pyramid, "\(at) at threshold_compress")
            if atThreshold.branch == .uniform {
                r.expect(atThreshold.k + atThreshold.recent, c.uniform_keep_total, "\(at) uniform_keep_total")
            }
            r.expect(policy.plan(layer: 0, kLen: c.threshold_pyramid_branch, Pd: c.P, position: 0, counters: &counters).branch, .pyramid, "\(at) at threshold_pyramid_branch")
        }
        for (i, c) in file.adaptive_schedule.enumerated() {
            let at = "adaptive_schedule[\(i)] T=\(c.max_new_tokens) dws=\(c.dws)"
            let config = CompressionConfig(semantics: .reference, prefill: .h2o, decoding: .adaptive, decodingWindow: c.dws, recent: c.dr)
            let delta = config.resolvedDelta(maxNewTokens: c.max_new_tokens)
            r.expect(delta, c.delta, "\(at) delta")
            let policy = AdaptiveDecoding(DecodingContext(config: config, delta: delta, layers: c.L))
            for (key, want) in c.adaptive_dws_at_counter.sorted(by: { $0.key < $1.key }) {
                guard let s = Int(key) else { throw ConformanceError.malformed(name, "adaptive_schedule[\(i)]: counter key '\(key)' is not an integer") }
                var counters = ReferenceCounters.Counters(S: s)
                r.expect(policy.plan(layer: 0, kLen: 0, Pd: 0, position: 0, counters: &counters).dws, want, "\(at) dws at S=\(s)")
            }
            var last = ReferenceCounters.Counters(S: (c.max_new_tokens - 2) * c.L)
            r.expect(policy.plan(layer: 0, kLen: 0, Pd: 0, position: 0, counters: &last).dws, c.dws_at_last_decoding_pass, "\(at) dws at last pass")
        }
        return r
    }

    // MARK: prefill cases

    static func shapeAndConfig(_ c: VectorConfig, method: String, metric: String, file: String) throws -> (CacheShape, CompressionConfig) {
        guard let prefill = PrefillMethodKind(name: method) else { throw ConformanceError.malformed(file, "unknown method '\(method)'") }
        guard let decoding = DecodingMethodKind(name: metric) else { throw ConformanceError.malformed(file, "unknown metric '\(metric)'") }
        var pooling = Pooling.max
        if let p = c.pooling {
            guard let parsed = Pooling(name: p) else { throw ConformanceError.malformed(file, "unknown pooling '\(p)'") }
            pooling = parsed
        }
        let shape = CacheShape(layers: c.L, queryHeads: c.num_kv_heads * c.group, kvHeads: c.num_kv_heads, headDim: c.head_dim)
        let config = CompressionConfig(semantics: .reference, prefill: prefill, decoding: decoding, prefillBudget: c.P, window: c.w,
                                       kernel: c.kernel ?? 7, pooling: pooling, beta: c.beta ?? 20,
                                       decodingWindow: c.dws ?? 512, recent: c.dr ?? 256, delta: c.delta)
        return (shape, config)
    }

    static func replayPrefillCases(_ file: PrefillCasesFile, file name: String) throws -> ConformanceFileResult {
        var r = ConformanceFileResult(file: name)
        for c in file.cases {
            guard let input = file.inputs[c.input] else { throw ConformanceError.malformed(name, "case \(c.id): no input '\(c.input)'") }
            let (shape, config) = try shapeAndConfig(c.config, method: c.method, metric: "none", file: name)
            let cache = try KVCache(shape: shape, config: config, maxNewTokens: 1, counters: ReferenceCounters())
            let model = ReplayModel(shape: shape)
            var raised: String? = nil
            for l in 0..<shape.layers {
                model.appendPrompt(cache, layer: l, keys: input.k[l])
                let scores = model.prefillScores(cache.prefillRequest(layer: l), q: input.q[l], k: input.k[l])
                let outcome: PrefillOutcome
                do {
                    outcome = try cache.finishPrefill(layer: l, scores: scores)
                } catch KVCacheError.referenceRaises(let message) {
                    raised = message
                    break
                }
                guard let layers = c.expected.layers, l < layers.count else { continue }
                compare(&r, outcome: outcome, cache: cache, layer: l, want: layers[l], at: "\(c.id) layer \(l)")
            }
            r.expect(raised != nil, c.expected.reference_raises != nil, "\(c.id) reference raises")
        }
        return r
    }

    static func compare(_ r: inout ConformanceFileResult, outcome: PrefillOutcome, cache: KVCache, layer l: Int,
                        want: PrefillLayerRecord, at: String) {
        r.expect(outcome.branch.rawValue, want.branch, "\(at) branch")
        r.expect(outcome.k, want.k, "\(at) k")
        r.expect(outcome.budget, want.budget, "\(at) budget")
        r.expect(outcome.cacheLength, want.cache_len, "\(at) cache_len")
        let kept = ReplayModel.kept(cache, layer: l)
        for h in 0..<max(kept.count, want.kept.count) {
            r.expect(h < kept.count ? kept[h] : [], h < want.kept.count ? want.kept[h] : [], "\(at) kept[\(h)]")
        }
        r.expect(ReplayModel.valueMismatches(cache, layer: l), [], "\(at) values gathered with keys")
        if let c = want.counters_after {
            r.expect(outcome.counters.map { VectorCounters(S: $0.S, J: $0.J, Jl: $0.Jl) }, c, "\(at) counters_after")
        }
        if let p = want.allkv_P { r.expect(cache.referenceCounters?.allkvPromptLength, p, "\(at) allkv_P") }
    }

    // MARK: traces

    static func replayTrace(_ trace: TraceFile, inputs: TraceInputsFile, file name: String) throws -> ConformanceFileResult {
        var r = ConformanceFileResult(file: name)
        guard trace.status == "ok", let examples = trace.examples else {
            r.failures.append("trace status is '\(trace.status)' (no examples to replay)")
            return r
        }
        if examples.count != trace.inputs.count {
            throw ConformanceError.malformed(name, "\(examples.count) examples for \(trace.inputs.count) inputs")
        }
        let (shape, config) = try shapeAndConfig(trace.config, method: trace.method, metric: trace.metric, file: name)
        let counters = ReferenceCounters()          // one "process": never reset between the examples
        let model = ReplayModel(shape: shape)
        for (e, setName) in trace.inputs.enumerated() {
            guard let input = inputs.input_sets[setName] else { throw ConformanceError.malformed(name, "no input set '\(setName)' in trace_inputs.json") }
            let want = examples[e]
            let n = input.prompt_len
            let cache = try KVCache(shape: shape, config: config, maxNewTokens: input.steps + 1, counters: counters)
            for l in 0..<shape.layers {
                model.appendPrompt(cache, layer: l, keys: input.prompt_k[l])
                let scores = model.prefillScores(cache.prefillRequest(layer: l), q: input.prompt_q[l], k: input.prompt_k[l])
                let outcome = try cache.finishPrefill(layer: l, scores: scores)
                compare(&r, outcome: outcome, cache: cache, layer: l, want: want.prefill[l], at: "example \(e) prefill layer \(l)")
            }
            for t in 0..<input.steps {
                for l in 0..<shape.layers {
                    let at = "example \(e) step \(t) layer \(l)"
                    for g in 0..<shape.kvHeads { model.append(cache, layer: l, kvHead: g, key: input.decode_k[l][t][g], position: n + t) }
                    var outcome: DecodeOutcome
                    if cache.wantsDecodeProbabilities(layer: l) {
                        let probs = model.decodeProbabilities(cache, layer: l, q: input.decode_q[l][t])
                        outcome = try probs.withUnsafeBufferPointer { try cache.finishDecodeStep(layer: l, probabilities: $0) }
                    } else {
                        outcome = try cache.finishDecodeStep(layer: l, probabilities: nil)
                    }
                    let w = want.steps[t][l]
                    r.expect(outcome.kLen, w.k_len, "\(at) k_len")
                    r.expect(outcome.branch.rawValue, w.branch, "\(at) branch")
                    if let dws = w.dws { r.expect(outcome.dws, dws, "\(at) dws") }
                    if let b = w.budget { r.expect(outcome.budget, b, "\(at) budget") }
                    if let c = w.counters {
                        let got = cache.counters(layer: l)
                        r.expect(VectorCounters(S: got.S, J: got.J, Jl: got.Jl), c, "\(at) counters")
                    }
                    r.expect(outcome.cacheLengthAfter, w.cache_len_after, "\(at) cache_len_after")
                    if let kept = w.kept {
                        let got = ReplayModel.kept(cache, layer: l)
                        for h in 0..<max(got.count, kept.count) {
                            r.expect(h < got.count ? got[h] : [], h < kept.count ? kept[h] : [], "\(at) kept[\(h)]")
                        }
                    }
                }
            }
            for l in 0..<shape.layers {
                r.expect(ReplayModel.kept(cache, layer: l), want.final_cache[l], "example \(e) final_cache layer \(l)")
                r.expect(ReplayModel.valueMismatches(cache, layer: l), [], "example \(e) layer \(l) values gathered with keys")
            }
        }
        return r
    }
}
