import Foundation
import Testing
import GGUF
import Generation
import Kernels
import KVCache
import Model
import ScopeTestSupport
import Tokenizer

/// Batched decoding (`LlamaModel.decodeStep`) and the continuous-batching scheduler against the
/// single-sequence path: in float32 every sequence of a batch must produce exactly what it produces
/// alone.
@Suite(.serialized)
struct BatchedDecodingTests {
    static let engine = DefaultEngine.load()

    static func prompt(_ tokenizer: Tokenizer, _ text: String) -> [Int32] {
        tokenizer.encode("<|im_start|>user\n\(text)<|im_end|>\n<|im_start|>assistant\n", addSpecial: false, parseSpecial: true)
    }

    /// Prompts of different lengths, each with a different compression method whose budgets are
    /// small enough to compress during this test.
    static func cases(_ tokenizer: Tokenizer) -> [(prompt: [Int32], config: CompressionConfig)] {
        let texts = [
            "List three facts about the moon.",
            String(repeating: "The lighthouse keeper wrote the weather in the log every night. ", count: 6),
            String(repeating: "Count the stars and name them one by one. ", count: 9),
            String(repeating: "A river runs to the sea and the sea returns as rain. ", count: 4),
            "Write a haiku about autumn leaves and explain it.",
        ]
        let configs = [
            CompressionConfig.fullKV,
            CompressionConfig(prefill: .snapKV, decoding: .none, prefillBudget: 32, window: 8),
            CompressionConfig(prefill: .h2o, decoding: .slide, prefillBudget: 24, decodingWindow: 16, recent: 4),
            CompressionConfig(prefill: .streamingLLM, decoding: .slm, prefillBudget: 40, decodingWindow: 12, recent: 4),
            CompressionConfig(semantics: .reference, prefill: .h2o, decoding: .h2o, prefillBudget: 28, decodingWindow: 12, recent: 4),
        ]
        return zip(texts, configs).map { (prompt(tokenizer, $0), $1) }
    }

    static func alone(_ model: LlamaModel, _ tokenizer: Tokenizer, _ prompt: [Int32], _ config: CompressionConfig,
                      maxTokens: Int, kvType: KVElementType = .f32) throws -> [Int32] {
        let cache = try KVCache(shape: model.cacheShape, config: config, maxNewTokens: maxTokens, elementType: kvType)
        return try Generator(model: model, tokenizer: tokenizer)
            .generate(prompt: prompt, maxTokens: maxTokens, cache: cache, ignoreEndOfGeneration: true).tokens
    }

    /// A model on four threads, for caches long enough that flash decoding splits a head into key
    /// chunks (at most ⌈2·threads / KV heads⌉ of them).
    static let fourThreads: LlamaModel? = DefaultModel.path().flatMap { try? LlamaModel(file: GGUFFile(path: $0), pool: ThreadPool(threads: 4)) }

    /// One cache per prompt, each prefilled with its prompt.
    static func prefilled(_ model: LlamaModel, _ prompts: [[Int32]], _ configs: [CompressionConfig],
                          maxNewTokens: Int, kvType: KVElementType) throws -> [KVCache] {
        try zip(prompts, configs).map { prompt, config in
            let cache = try KVCache(shape: model.cacheShape, config: config, maxNewTokens: maxNewTokens, elementType: kvType)
            _ = try model.forward(tokens: prompt, startPosition: 0, cache: cache)
            return cache
        }
    }

    static func collect(_ handle: SequenceHandle, onToken: (Int) -> Void = { _ in }) async throws -> SequenceOutcome {
        var count = 0
        for try await event in handle.events {
            switch event {
            case .prompt: break
            case .token: count += 1; onToken(count)
            case .finished(let outcome): return outcome
            }
        }
        throw GenerationError("stream of sequence \(handle.id) ended without .finished")
    }

    @Test("decodeStep: each row's hidden state is bit-identical to decoding that sequence alone (f32 and q8 activations, every KV element type)",
          .enabled(if: engine != nil, "the default model is unavailable (scripts/fetch-model.sh)"))
    func decodeStepRowsEqualAlone() throws {
        let (model, tokenizer) = Self.engine!
        let cases = Self.cases(tokenizer)
        defer { model.activations = .f32 }
        for q8 in [false, true] {
            for kvType in KVElementType.allCases {
                model.activations = q8 ? .q8 : .f32
                let activations = model.activations
                func prefilled() throws -> [KVCache] {
                    try Self.prefilled(model, cases.map(\.prompt), cases.map(\.config), maxNewTokens: 64, kvType: kvType)
                }
                let batched = try prefilled(), single = try prefilled()
                // Three steps, so that compressing methods evict between them.
                for step in 0..<3 {
                    let tokens = cases.indices.map { Int32(100 + 37 * $0 + step) }
                    let rows = cases.indices.map { DecodeRow(cache: batched[$0], token: tokens[$0], position: cases[$0].prompt.count + step) }
                    let hidden = try model.decodeStep(rows)
                    let dim = model.config.embeddingLength
                    for i in cases.indices {
                        let h = try model.forward(tokens: [tokens[i]], startPosition: cases[i].prompt.count + step, cache: single[i])
                        #expect(Array(hidden[(i * dim)..<((i + 1) * dim)]) == h, "\(activations) \(kvType) step \(step) row \(i)")
                        #expect(batched[i].tokensPerLayer == single[i].tokensPerLayer)
                    }
                }
            }
        }
    }

    @Test("decodeStep over caches split into key chunks (a task streams all chunks of a head and merges them): each row bit-identical to decoding alone",
          .enabled(if: engine != nil, "the default model is unavailable (scripts/fetch-model.sh)"))
    func decodeStepLongCachesEqualAlone() throws {
        // Four threads: flash decoding splits a head of ≥ 512 rows into 2 chunks and one of ≥ 768
        // rows into 3 (at most ⌈2·threads / KV heads⌉); alone, one task per chunk, in a batch one
        // task per head. Prompts of about 560 and 800 tokens and a short one.
        let model = try #require(Self.fourThreads, "the default model loads on a 4-thread pool")
        let tokenizer = Self.engine!.1
        let texts = [String(repeating: "The lighthouse keeper wrote the weather in the log every night. ", count: 45),
                     String(repeating: "Count the stars and name them one by one, then count them again. ", count: 57),
                     "List three facts about the moon."]
        let prompts = texts.map { Self.prompt(tokenizer, $0) }
        #expect(prompts[0].count >= 512 && prompts[0].count < 768 && prompts[1].count >= 768, "prompt lengths \(prompts.map(\.count))")
        let configs = [CompressionConfig.fullKV, .fullKV, CompressionConfig(prefill: .snapKV, decoding: .none, prefillBudget: 16, window: 4)]
        for (activations, kvType) in [(ActivationPrecision.f32, KVElementType.f32), (.f32, .f16), (.q8, .f16), (.q8, .q8_0)] {
            model.activations = activations
            func prefilled() throws -> [KVCache] {
                try Self.prefilled(model, prompts, configs, maxNewTokens: 8, kvType: kvType)
            }
            let batched = try prefilled(), single = try prefilled()
            for step in 0..<2 {
                let tokens = prompts.indices.map { Int32(200 + 41 * $0 + step) }
                let hidden = try model.decodeStep(prompts.indices.map {
                    DecodeRow(cache: batched[$0], token: tokens[$0], position: prompts[$0].count + step)
                })
                let dim = model.config.embeddingLength
                for i in prompts.indices {
                    let h = try model.forward(tokens: [tokens[i]], startPosition: prompts[i].count + step, cache: single[i])
                    let differing = zip(hidden[(i * dim)..<((i + 1) * dim)], h).filter { $0 != $1 }.count
                    #expect(differing == 0, "\(activations) \(kvType) step \(step) row \(i): \(differing) of \(dim) values differ")
                }
            }
        }
    }

    @Test("flipping a timing switch changes no result: batched steps over chunked caches with each switch off equal the default",
          .enabled(if: engine != nil, "the default model is unavailable (scripts/fetch-model.sh)"))
    func timingSwitchesChangeNoResult() throws {
        let model = try #require(Self.fourThreads, "the default model loads on a 4-thread pool")
        let tokenizer = Self.engine!.1
        // About 560 tokens: two key chunks per head on four threads.
        let prompts = [String(repeating: "The lighthouse keeper wrote the weather in the log every night. ", count: 45),
                       String(repeating: "A river runs to the sea and the sea returns as rain. ", count: 50)].map { Self.prompt(tokenizer, $0) }
        model.activations = .q8
        func steps(off: TimingSwitch?) throws -> [[Float]] {
            off?.set(false)
            defer { off?.set(true) }
            let caches = try Self.prefilled(model, prompts, prompts.map { _ in .fullKV }, maxNewTokens: 4, kvType: .f16)
            return try (0..<2).map { step in
                try model.decodeStep(prompts.indices.map {
                    DecodeRow(cache: caches[$0], token: Int32(300 + 7 * $0 + step), position: prompts[$0].count + step)
                })
            }
        }
        #expect(TimingSwitch.all.allSatisfy { $0.isOn }, "switches start on (no SCOPE_* variable turns one off in tests)")
        let reference = try steps(off: nil)
        for s in TimingSwitch.all {
            #expect(try steps(off: s) == reference, "\(s.name) off")
        }
    }

    @Test("scheduler, greedy, float32: every sequence of a mixed batch (FullKV, SnapKV+none, H2O+slide, StreamingLLM+slm, reference H2O+h2o, one joining mid-generation) produces exactly its tokens alone",
          .enabled(if: engine != nil, "the default model is unavailable (scripts/fetch-model.sh)"))
    func schedulerEqualsAlone() async throws {
        let (model, tokenizer) = Self.engine!
        let cases = Self.cases(tokenizer)
        // The first sequence (FullKV) is stopped only after all the others have finished, so the late
        // one joins and runs while it runs, however the test's tasks are scheduled (4,000 tokens would
        // take minutes; it ends with `.cancelled`, which proves it was still running).
        let maxTokens = [4000, 48, 36, 44, 30]
        let expected = try cases.indices.dropFirst().map {
            try Self.alone(model, tokenizer, cases[$0].prompt, cases[$0].config, maxTokens: maxTokens[$0])
        }
        let scheduler = try BatchScheduler(model: model, tokenizer: tokenizer, parallel: 8, kvBudgetBytes: nil, prefillChunk: 64)
        func request(_ i: Int) -> SequenceRequest {
            SequenceRequest(prompt: cases[i].prompt, maxTokens: maxTokens[i], compression: cases[i].config, ignoreEndOfGeneration: true)
        }
        let first = try (0..<4).map { try scheduler.submit(request($0)) }
        // The last sequence is submitted after 8 decoding steps.
        while scheduler.metrics.decodeSteps < 8 { try await Task.sleep(for: .milliseconds(2)) }
        let running = scheduler.metrics.running
        let late = try scheduler.submit(request(4))
        var outcomes: [SequenceOutcome] = []
        for h in first.dropFirst() { outcomes.append(try await Self.collect(h)) }
        outcomes.append(try await Self.collect(late))
        first[0].cancel()
        let long = try await Self.collect(first[0])
        #expect(running >= 1, "the late sequence must join while others run")
        #expect(long.reason == .cancelled, "the first sequence must still run when the others have finished")
        #expect(long.tokens.count >= 30 && long.tokens.count < maxTokens[0])
        #expect(long.tokens == (try Self.alone(model, tokenizer, cases[0].prompt, cases[0].config, maxTokens: long.tokens.count)),
                "sequence 0 (FullKV), the first \(long.tokens.count) tokens")
        for (k, i) in cases.indices.dropFirst().enumerated() {
            #expect(outcomes[k].reason == .length)
            #expect(outcomes[k].tokens == expected[k], "sequence \(i) (\(cases[i].config.prefill)+\(cases[i].config.decoding))")
        }
        let m = scheduler.metrics
        #expect(m.decodeRows > m.decodeSteps, "steps must have decoded several sequences at once")
        await scheduler.shutdown(grace: .seconds(1))
    }

    @Test("scheduler: admission by worst-case KV bytes; the measured peak never exceeds the budget and equals the closed form per sequence",
          .enabled(if: engine != nil, "the default model is unavailable (scripts/fetch-model.sh)"))
    func budgetAdmission() async throws {
        let (model, tokenizer) = Self.engine!
        let cases = Self.cases(tokenizer)
        let full = SequenceRequest(prompt: cases[1].prompt, maxTokens: 24, ignoreEndOfGeneration: true)
        let probe = try BatchScheduler(model: model, tokenizer: tokenizer, parallel: 1, kvBudgetBytes: nil, kvType: .f16)
        let worst = probe.worstCaseKVBytes(full)
        await probe.shutdown(grace: .zero)
        // Room for two full caches at once, not three.
        let budget = 2 * worst + worst / 2
        let scheduler = try BatchScheduler(model: model, tokenizer: tokenizer, parallel: 16, kvBudgetBytes: budget, kvType: .f16)
        #expect(throws: SchedulerError.exceedsBudget(worstCaseBytes: scheduler.worstCaseKVBytes(
            SequenceRequest(prompt: full.prompt, maxTokens: 2000)), budget: budget)) {
            _ = try scheduler.submit(SequenceRequest(prompt: full.prompt, maxTokens: 2000))
        }
        let handles = try (0..<5).map { _ in try scheduler.submit(full) }
        var peakRunning = 0
        for h in handles {
            let outcome = try await Self.collect(h) { _ in peakRunning = max(peakRunning, scheduler.metrics.running) }
            #expect(outcome.reason == .length)
            #expect(outcome.stats.kvBytesPeak == worst)
        }
        #expect(peakRunning <= 2)
        let m = scheduler.metrics
        #expect(m.kvBytesPeak <= budget && m.kvBytesPeak > worst, "peak \(m.kvBytesPeak), budget \(budget)")
        // Every sequence ended by length: nothing reserved, and no cache bytes left in use (the last
        // step's figure leaves out the sequences it finished).
        #expect(m.kvBytesReserved == 0 && m.running == 0 && m.queued == 0 && m.kvBytesInUse == 0)
        await scheduler.shutdown(grace: .seconds(1))
    }

    @Test("scheduler: cancel a running and a queued sequence, invalid requests, queue limit, shutdown",
          .enabled(if: engine != nil, "the default model is unavailable (scripts/fetch-model.sh)"))
    func cancellationAndErrors() async throws {
        let (model, tokenizer) = Self.engine!
        let prompt = Self.prompt(tokenizer, "Tell me a long story about a dragon.")
        let scheduler = try BatchScheduler(model: model, tokenizer: tokenizer, parallel: 1, kvBudgetBytes: nil, maxQueue: 1)
        let long = SequenceRequest(prompt: prompt, maxTokens: 500, ignoreEndOfGeneration: true)
        let running = try scheduler.submit(long)
        var events = running.events.makeAsyncIterator()
        var first: [Int32] = []
        while first.count < 3, case .token(let id, _, _)? = try await events.next() { first.append(id) }
        #expect(first.count == 3)
        // One sequence runs (parallel 1), so the next waits and the one after exceeds the queue limit.
        let queued = try scheduler.submit(long)
        #expect(throws: SchedulerError.queueFull(limit: 1)) { _ = try scheduler.submit(long) }
        queued.cancel()
        let queuedOutcome = try await Self.collect(queued)
        #expect(queuedOutcome.reason == .cancelled && queuedOutcome.tokens.isEmpty)
        running.cancel()
        var outcome: SequenceOutcome? = nil
        while let event = try await events.next() { if case .finished(let o) = event { outcome = o } }
        #expect(outcome?.reason == .cancelled)
        #expect((outcome?.tokens.count ?? 0) >= 3 && (outcome?.tokens.count ?? 500) < 500)
        #expect(Array(outcome?.tokens.prefix(3) ?? []) == first)

        let context = model.config.contextLength
        #expect(throws: SchedulerError.self) { _ = try scheduler.submit(SequenceRequest(prompt: [], maxTokens: 4)) }
        #expect(throws: SchedulerError.self) { _ = try scheduler.submit(SequenceRequest(prompt: prompt, maxTokens: 0)) }
        #expect(throws: SchedulerError.self) { _ = try scheduler.submit(SequenceRequest(prompt: prompt, maxTokens: context)) }
        #expect(throws: SchedulerError.self) { _ = try scheduler.submit(SequenceRequest(prompt: [-1], maxTokens: 4)) }
        #expect(throws: SchedulerError.self) {
            _ = try scheduler.submit(SequenceRequest(prompt: prompt, maxTokens: 4, sampling: SamplingOptions(temperature: -1)))
        }
        await scheduler.shutdown(grace: .seconds(1))
        #expect(throws: SchedulerError.shuttingDown) { _ = try scheduler.submit(long) }
    }
}
