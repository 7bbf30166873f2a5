import Foundation
import Generation
import Kernels
import KVCache
import Model
import Tokenizer

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
    /// Flipped every step when given (`--interleave`): the entry then compares the two sides.
    var interleave: TimingSwitch? = nil

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
        let initially = interleave?.isOn
        defer { if let interleave, let initially { interleave.set(initially) } }
        var stepSeconds = InterleavedSteps()
        let start = DispatchTime.now().uptimeNanoseconds, cpuStart = processCPUSeconds()
        for step in 0..<steps {
            let on = InterleavedSteps.isOn(step: step)
            interleave?.set(on)
            let stepStart = interleave == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            let rows = (0..<B).map { DecodeRow(cache: caches[$0], token: next[$0], position: promptTokens + step) }
            let hidden = try model.decodeStep(rows)
            logits.withUnsafeMutableBufferPointer { o in
                hidden.withUnsafeBufferPointer { model.logits(hiddenRows: $0.baseAddress!, count: B, into: o.baseAddress!) }
                for b in 0..<B { next[b] = Sampler.argmax(UnsafeBufferPointer(rebasing: o[(b * vocab)..<((b + 1) * vocab)])) }
            }
            if interleave != nil { stepSeconds.record(on: on, seconds: Double(DispatchTime.now().uptimeNanoseconds - stepStart) / 1e9) }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let cpuSeconds = processCPUSeconds() - cpuStart
        let aggregate = seconds > 0 ? Double(B * steps) / seconds : 0
        var entry: [String: Any] = ["sequences": B, "aggregate_decode_tokens_per_second": aggregate,
                "per_sequence_decode_tokens_per_second": aggregate / Double(B), "decode_seconds": seconds, "decode_cpu_seconds": cpuSeconds,
                "decode_steps": steps, "kv_bytes_peak": caches.reduce(0) { $0 + $1.bytesPeak }, "peak_rss_bytes": peakRSSBytes()]
        if let interleave { entry["interleave"] = stepSeconds.summary(switch: interleave.name) }
        return entry
    }

    /// Runs every count in order and prints a line per count unless `quiet`.
    func run(_ counts: [Int], quiet: Bool) throws -> [[String: Any]] {
        try counts.map { B in
            let r = try measure(sequences: B)
            if !quiet {
                print(String(format: "parallel %3d: aggregate decode %7.1f tok/s | per sequence %6.1f tok/s | %.1f tok per CPU second | KV peak %.1f MiB",
                             B, r["aggregate_decode_tokens_per_second"] as! Double,
                             r["per_sequence_decode_tokens_per_second"] as! Double,
                             Double(B * (genTokens - 1)) / max(1e-9, r["decode_cpu_seconds"] as! Double),
                             Double(r["kv_bytes_peak"] as! Int) / 1_048_576))
                if let s = r["interleave"] as? [String: Any] {
                    print(String(format: "              %@: median step %.3f ms on, %.3f ms off (off/on %.3f); on faster in %d of %d step pairs",
                                 s["switch"] as! String, s["median_step_ms_on"] as! Double, s["median_step_ms_off"] as! Double,
                                 s["off_over_on"] as! Double, s["pairs_on_faster"] as! Int, s["pairs"] as! Int))
                }
            }
            return r
        }
    }
}

/// CPU seconds used by this process so far (all threads): with the machine shared, tokens per CPU
/// second compare kernels where wall-clock rates cannot.
func processCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// `scope bench --parallel N --kv-budget-mb M [--requests R]`: R requests (default N) of the same
/// prompt length through `BatchScheduler` (continuous batching, admission by worst-case KV bytes,
/// chunked prefill); reports wall time, aggregate generated tokens per second, the most sequences
/// that ran at once and the KV bytes held (the scheduler's bound and each sequence's own peak).
struct SchedulerBench {
    let bench: ParallelBench
    let tokenizer: Tokenizer
    let budgetBytes: Int?
    let requests: Int?

    init(bench: ParallelBench, tokenizer: Tokenizer, budgetBytes: Int?, requests: Int?) {
        self.bench = bench
        self.tokenizer = tokenizer
        self.budgetBytes = budgetBytes
        self.requests = requests
    }

    func measure(parallel: Int) throws -> [String: Any] {
        let scheduler = try BatchScheduler(model: bench.model, tokenizer: tokenizer, parallel: parallel, kvBudgetBytes: budgetBytes,
                                           kvType: bench.elementType)
        let count = requests ?? parallel
        let request = { (i: Int) in
            SequenceRequest(prompt: bench.prompt(i), maxTokens: bench.genTokens, compression: bench.config, ignoreEndOfGeneration: true)
        }
        let worst = scheduler.worstCaseKVBytes(request(0))
        let start = DispatchTime.now().uptimeNanoseconds
        let handles = try (0..<count).map { try scheduler.submit(request($0)) }
        let (outcomes, maxRunning) = try waitForAll(handles, scheduler: scheduler)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let m = scheduler.metrics
        let generated = outcomes.reduce(0) { $0 + $1.tokens.count }
        let semaphore = DispatchSemaphore(value: 0)
        Task { await scheduler.shutdown(grace: .zero); semaphore.signal() }
        semaphore.wait()
        return ["parallel": parallel, "requests": count, "kv_budget_bytes": budgetBytes as Any,
                "worst_case_kv_bytes_per_request": worst, "max_running": maxRunning, "wall_seconds": seconds,
                "generated_tokens": generated, "aggregate_tokens_per_second": Double(generated) / seconds,
                "mean_decode_batch": m.decodeSteps > 0 ? Double(m.decodeRows) / Double(m.decodeSteps) : 0,
                "kv_bytes_peak_bound": m.kvBytesPeak, "kv_bytes_peak_max_sequence": outcomes.map(\.stats.kvBytesPeak).max() ?? 0,
                "peak_rss_bytes": peakRSSBytes()]
    }

    /// Blocks until every handle finished; returns the outcomes (in handle order) and the largest
    /// number of running sequences seen at any token.
    private func waitForAll(_ handles: [SequenceHandle], scheduler: BatchScheduler) throws -> ([SequenceOutcome], Int) {
        final class Box: @unchecked Sendable {
            let lock = NSLock()
            var outcomes: [Int: SequenceOutcome] = [:]
            var error: Error?
            var maxRunning = 0
        }
        let box = Box()
        let semaphore = DispatchSemaphore(value: 0)
        for (i, h) in handles.enumerated() {
            Task {
                do {
                    for try await event in h.events {
                        let running = scheduler.metrics.running
                        box.lock.withLock {
                            box.maxRunning = max(box.maxRunning, running)
                            if case .finished(let o) = event { box.outcomes[i] = o }
                        }
                    }
                } catch {
                    box.lock.withLock { box.error = error }
                }
                semaphore.signal()
            }
        }
        for _ in handles { semaphore.wait() }
        if let error = box.error { throw error }
        return (handles.indices.compactMap { box.outcomes[$0] }, box.maxRunning)
    }

    func run(_ counts: [Int], quiet: Bool) throws -> [[String: Any]] {
        try counts.map { n in
            let r = try measure(parallel: n)
            if !quiet {
                print(String(format: "parallel %3d, %d requests: wall %.1f s | %.1f tok/s aggregate | at most %d at once | KV bound %.1f MiB (budget %@)",
                             n, r["requests"] as! Int, r["wall_seconds"] as! Double, r["aggregate_tokens_per_second"] as! Double,
                             r["max_running"] as! Int, Double(r["kv_bytes_peak_bound"] as! Int) / 1_048_576,
                             budgetBytes.map { String(format: "%.1f MiB", Double($0) / 1_048_576) } ?? "none"))
            }
            return r
        }
    }
}

/// Step times of a run that flips a timing switch every step (`--interleave`). Steps come in
/// pairs, one on and one off, whose order alternates (off–on, on–off, …) so that neither side
/// always gets the pair's longer cache.
struct InterleavedSteps {
    private(set) var on: [Double] = [], off: [Double] = []

    /// Whether the switch is on for `step`.
    static func isOn(step: Int) -> Bool { (step % 2 == 1) != ((step / 2) % 2 == 1) }

    mutating func record(on isOn: Bool, seconds: Double) {
        if isOn { on.append(seconds) } else { off.append(seconds) }
    }

    /// Medians of each side (milliseconds), their ratio, and in how many complete pairs the step
    /// with the switch on was the faster one.
    func summary(switch name: String) -> [String: Any] {
        func median(_ v: [Double]) -> Double {
            let s = v.sorted()
            return s.isEmpty ? 0 : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        let pairs = min(on.count, off.count)
        let onFaster = (0..<pairs).filter { on[$0] < off[$0] }.count
        let mOn = median(on) * 1000, mOff = median(off) * 1000
        return ["switch": name, "median_step_ms_on": mOn, "median_step_ms_off": mOff, "off_over_on": mOn > 0 ? mOff / mOn : 0,
                "pairs": pairs, "pairs_on_faster": onFaster]
    }
}
