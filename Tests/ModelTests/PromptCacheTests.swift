import Testing
import Generation
import KVCache
import Model
import ScopeTestSupport
import SplitMix
import Tokenizer

/// The scheduler's prompt cache against prefills: a prompt seen again starts from the state kept
/// after its first prefill, and every sequence still produces exactly the tokens it produces alone.
@Suite(.serialized)
struct PromptCacheTests {
    static let engine = BatchedDecodingTests.engine

    /// The mixed cases of `BatchedDecodingTests` plus a decoding method that scores with the
    /// prompt's recent queries (MorphKV keeps them in the cache's query ring).
    static func cases(_ tokenizer: Tokenizer) -> [(prompt: [Int32], config: CompressionConfig)] {
        BatchedDecodingTests.cases(tokenizer) + [
            (BatchedDecodingTests.prompt(tokenizer, String(repeating: "Name the planets in order from the sun. ", count: 5)),
             CompressionConfig(prefill: .snapKV, decoding: DecodingMethodKind(rawValue: "morphkv")!, prefillBudget: 40, window: 8,
                               parameters: ["query-window": "6", "capacity": "44"])),
        ]
    }

    /// Every stored K and V bit pattern and position of a cache, per layer and storage head.
    static func rows(_ cache: KVCache) -> [[UInt32]] {
        cache.layers.flatMap { layer in
            (0..<layer.storageHeads).map { s in
                let n = layer.count(s) * layer.headDim
                return UnsafeBufferPointer(start: layer.keys(s), count: n).map(\.bitPattern)
                    + UnsafeBufferPointer(start: layer.values(s), count: n).map(\.bitPattern)
                    + UnsafeBufferPointer(start: layer.positions(s), count: layer.count(s)).map { UInt32(bitPattern: $0) }
            }
        }
    }

    @Test("a prompt seen again (later, or several times at once) skips its prefill and gives exactly the tokens of its own prefill, every method",
          .enabled(if: engine != nil, "the default model is unavailable (scripts/fetch-model.sh)"))
    func repeatedPromptsEqualAlone() async throws {
        let (model, tokenizer) = Self.engine!
        let cases = Self.cases(tokenizer)
        let scheduler = try BatchScheduler(model: model, tokenizer: tokenizer, parallel: 8, kvBudgetBytes: nil, prefillChunk: 64,
                                           promptCacheBytes: 256 << 20)
        func run(_ i: Int, maxTokens: Int) throws -> SequenceHandle {
            try scheduler.submit(SequenceRequest(prompt: cases[i].prompt, maxTokens: maxTokens, compression: cases[i].config,
                                                 ignoreEndOfGeneration: true))
        }
        // Round 1: each prompt once (prefilled). Round 2: each again with another max-tokens (another δ).
        for (round, maxTokens) in [(1, 24), (2, 40)] {
            let handles = try cases.indices.map { try run($0, maxTokens: maxTokens) }
            for (i, h) in handles.enumerated() {
                let outcome = try await BatchedDecodingTests.collect(h)
                let name = "round \(round), case \(i) (\(cases[i].config.prefill)+\(cases[i].config.decoding))"
                #expect(outcome.cachedPromptTokens == (round == 1 ? 0 : cases[i].prompt.count), "\(name)")
                #expect(outcome.tokens == (try BatchedDecodingTests.alone(model, tokenizer, cases[i].prompt, cases[i].config,
                                                                          maxTokens: maxTokens)), "\(name)")
            }
        }
        // Three sequences of a new prompt submitted together: one prefill, two from the cache.
        let prompt = BatchedDecodingTests.prompt(tokenizer, "Describe a quiet harbour at dawn in three sentences.")
        let config = CompressionConfig(prefill: .h2o, decoding: .slide, prefillBudget: 20, decodingWindow: 14, recent: 4)
        let expected = try BatchedDecodingTests.alone(model, tokenizer, prompt, config, maxTokens: 32)
        let together = try (0..<3).map { _ in
            try scheduler.submit(SequenceRequest(prompt: prompt, maxTokens: 32, compression: config, ignoreEndOfGeneration: true))
        }
        var cached: [Int] = []
        for h in together {
            let outcome = try await BatchedDecodingTests.collect(h)
            #expect(outcome.tokens == expected)
            cached.append(outcome.cachedPromptTokens)
        }
        #expect(cached == [0, prompt.count, prompt.count])
        let m = scheduler.metrics
        #expect(m.promptCacheHits == cases.count + 2)
        #expect(m.promptCacheHitTokens == cases.reduce(0) { $0 + $1.prompt.count } + 2 * prompt.count)
        #expect(m.promptCacheEntries == cases.count + 1)
        #expect(m.promptCacheBytes > 0 && m.promptCacheBytes <= m.promptCacheLimitBytes)
        #expect(m.kvBytesInUse == 0, "the cache's entries are not counted as live sequences' bytes")
        await scheduler.shutdown(grace: .seconds(1))
    }

    @Test("the prompt cache keeps within its limit by dropping the least recently used prompt; another compression is another entry; prompt log-probabilities run the prompt",
          .enabled(if: engine != nil, "the default model is unavailable (scripts/fetch-model.sh)"))
    func limitAndKeys() async throws {
        let (model, tokenizer) = Self.engine!
        let a = BatchedDecodingTests.prompt(tokenizer, "Name three rivers of Europe.")
        // No common first token: b shares no prefix with a.
        let b = tokenizer.encode("Three mountains of Asia are", addSpecial: false, parseSpecial: false)
        #expect(a[0] != b[0])
        func cached(_ s: BatchScheduler, _ prompt: [Int32], _ config: CompressionConfig = .fullKV, promptLogprobs: Int? = nil) async throws -> Int {
            let h = try s.submit(SequenceRequest(prompt: prompt, maxTokens: 4, compression: config, ignoreEndOfGeneration: true,
                                                 promptLogprobs: promptLogprobs))
            var sawPrompt = false
            for try await event in h.events {
                switch event {
                case .prompt(let logprobs): sawPrompt = logprobs.count == prompt.count - 1
                case .token: break
                case .finished(let outcome):
                    if promptLogprobs != nil { #expect(sawPrompt, "the prompt's log-probabilities are missing") }
                    return outcome.cachedPromptTokens
                }
            }
            throw GenerationError("no outcome")
        }
        // The size of one entry, then a cache that holds one of these prompts but not two.
        let probe = try BatchScheduler(model: model, tokenizer: tokenizer, parallel: 1, kvBudgetBytes: nil, promptCacheBytes: 1 << 30)
        _ = try await cached(probe, a)
        let entry = probe.metrics.promptCacheBytes
        await probe.shutdown(grace: .seconds(1))
        let s = try BatchScheduler(model: model, tokenizer: tokenizer, parallel: 1, kvBudgetBytes: nil, promptCacheBytes: entry * 3 / 2)
        #expect(try await cached(s, a) == 0)
        #expect(try await cached(s, a) == a.count)
        #expect(try await cached(s, b) == 0)   // evicts a
        #expect(s.metrics.promptCacheEntries == 1 && s.metrics.promptCacheBytes <= entry * 3 / 2)
        #expect(try await cached(s, b) == b.count)
        #expect(try await cached(s, a) == 0)
        let snap = CompressionConfig(prefill: .snapKV, decoding: .none, prefillBudget: 8, window: 4)
        #expect(try await cached(s, a, snap) == 0, "another compression of the same prompt is another state")
        #expect(try await cached(s, a, snap) == a.count)
        #expect(try await cached(s, a, snap, promptLogprobs: 0) == 0)
        let tiny = try BatchScheduler(model: model, tokenizer: tokenizer, parallel: 1, kvBudgetBytes: nil, promptCacheBytes: entry / 2)
        #expect(try await cached(tiny, a) == 0)
        #expect(try await cached(tiny, a) == 0, "an entry larger than the limit is not kept")
        #expect(tiny.metrics.promptCacheBytes == 0)
        await s.shutdown(grace: .seconds(1))
        await tiny.shutdown(grace: .seconds(1))
    }

    @Test("with a KV budget the prompt cache lives inside it: it is kept only in the room the reservations leave, and a request admitted into that room empties it",
          .enabled(if: engine != nil, "the default model is unavailable (scripts/fetch-model.sh)"))
    func cacheLivesInsideTheBudget() async throws {
        let (model, tokenizer) = Self.engine!
        let a = BatchedDecodingTests.prompt(tokenizer, "Name three rivers of Europe.")
        let b = tokenizer.encode("Three mountains of Asia are", addSpecial: false, parseSpecial: false)
        let small = SequenceRequest(prompt: a, maxTokens: 4, ignoreEndOfGeneration: true)
        // The size of a's entry, then a request b whose worst case fills a budget that holds a and its entry.
        let probe = try BatchScheduler(model: model, tokenizer: tokenizer, parallel: 1, kvBudgetBytes: nil, promptCacheBytes: 1 << 30)
        _ = try await BatchedDecodingTests.collect(try probe.submit(small))
        let entry = probe.metrics.promptCacheBytes
        #expect(entry > 0)
        var big = SequenceRequest(prompt: b, maxTokens: 8, ignoreEndOfGeneration: true)
        while probe.worstCaseKVBytes(big) < probe.worstCaseKVBytes(small) + entry { big.maxTokens += 8 }
        let budget = probe.worstCaseKVBytes(big)
        await probe.shutdown(grace: .seconds(1))

        let s = try BatchScheduler(model: model, tokenizer: tokenizer, parallel: 2, kvBudgetBytes: budget, promptCacheBytes: 1 << 30)
        _ = try await BatchedDecodingTests.collect(try s.submit(small))
        #expect(s.metrics.promptCacheEntries == 1 && s.metrics.promptCacheBytes == entry, "a's state fits beside nothing running")
        let h = try s.submit(big)
        var tokens = 0
        for try await event in h.events {
            if case .token = event {
                tokens += 1
                let m = s.metrics
                #expect(m.kvBytesReserved + m.promptCacheBytes <= budget, "reserved \(m.kvBytesReserved) + cache \(m.promptCacheBytes) > \(budget)")
            }
        }
        #expect(tokens == big.maxTokens, "b was admitted at once into the cache's room and ran")
        #expect(s.metrics.promptCacheEntries == 0 && s.metrics.promptCacheBytes == 0,
                "a's entry made room for b, and b's own state had no room to be kept")
        let again = try await BatchedDecodingTests.collect(try s.submit(small))
        #expect(again.cachedPromptTokens == 0, "a was dropped")
        await s.shutdown(grace: .seconds(1))
    }

    @Test("a prompt that starts like a kept FullKV prompt runs only its rest and gives exactly the tokens of its own prefill",
          .enabled(if: engine != nil, "the default model is unavailable (scripts/fetch-model.sh)"))
    func sharedPrefixEqualsAlone() async throws {
        let (model, tokenizer) = Self.engine!
        let a = BatchedDecodingTests.prompt(tokenizer, String(repeating: "The lighthouse keeper wrote the weather in the log every night. ", count: 50))
        #expect(a.count > 600)
        let rest = BatchedDecodingTests.prompt(tokenizer, "Now summarise the log in one sentence.")
        let b = Array(a[0..<600]) + rest         // shares 600 tokens with a
        let c = Array(a[0..<300]) + rest
        let d = Array(a[0..<200]) + rest
        let morph = CompressionConfig(decoding: DecodingMethodKind(rawValue: "morphkv")!, parameters: ["query-window": "6", "capacity": "40"])
        func rule(_ prompt: [Int32], shared: Int) -> Int { LayerPass.reusableRows(sharing: shared, promptLength: prompt.count) }
        let cases: [(kv: KVElementType, first: CompressionConfig, prompt: [Int32], config: CompressionConfig, shared: Int)] = [
            (.f32, .fullKV, b, .fullKV, rule(b, shared: 600)),
            (.f32, .fullKV, c, CompressionConfig(decoding: .slide, decodingWindow: 24, recent: 4), rule(c, shared: 300)),
            (.f32, .fullKV, d, .fullKV, rule(d, shared: 200)),
            (.f32, .fullKV, b, CompressionConfig(prefill: .snapKV, decoding: .none, prefillBudget: 64, window: 8), 0),
            (.f32, .fullKV, Array(a[0..<515]), morph, rule(Array(a[0..<515]), shared: 515 - 6)),   // the 6 recent queries run
            (.f32, CompressionConfig(semantics: .reference), b, CompressionConfig(semantics: .reference), rule(b, shared: 600)),
            (.f32, .fullKV, b, CompressionConfig(semantics: .reference), 0),
            (.f16, .fullKV, b, .fullKV, rule(b, shared: 600)),
            (.q8_0, .fullKV, c, .fullKV, rule(c, shared: 300)),
        ]
        #expect(cases.filter { $0.shared > 0 }.count == 7 && cases[0].shared >= 598)
        for (i, t) in cases.enumerated() {
            let scheduler = try BatchScheduler(model: model, tokenizer: tokenizer, parallel: 2, kvBudgetBytes: nil, kvType: t.kv,
                                               promptCacheBytes: 256 << 20)
            let first = try scheduler.submit(SequenceRequest(prompt: a, maxTokens: 2, compression: t.first))
            _ = try await BatchedDecodingTests.collect(first)
            let h = try scheduler.submit(SequenceRequest(prompt: t.prompt, maxTokens: 40, compression: t.config, ignoreEndOfGeneration: true))
            let outcome = try await BatchedDecodingTests.collect(h)
            #expect(outcome.cachedPromptTokens == t.shared, "case \(i)")
            #expect(outcome.tokens == (try BatchedDecodingTests.alone(model, tokenizer, t.prompt, t.config, maxTokens: 40, kvType: t.kv)),
                    "case \(i): \(t.kv), \(t.config.prefill)+\(t.config.decoding), \(t.shared) shared rows")
            await scheduler.shutdown(grace: .seconds(1))
        }
    }

    @Test("reusableRows is the largest even count, at most the shared tokens and short of the prompt, after which the rest ends in a one-token chunk exactly when the prompt does")
    func reusableRowsRule() {
        var rng = SplitMix64(seed: 41)
        let chunk = LlamaModel.chunkSize
        for trial in 0..<20_000 {
            let n = trial < 2_000 ? trial % 1_100 + 1 : Int.random(in: 1...5_000, using: &rng)
            let common = Int.random(in: 0...n, using: &rng)
            let brute = stride(from: min(common, n - 1), through: 0, by: -1).first { k in
                k % 2 == 0 && ((n - k) % chunk == 1) == (n % chunk == 1)
            } ?? 0
            #expect(LayerPass.reusableRows(sharing: common, promptLength: n) == brute, "n=\(n) common=\(common)")
        }
    }

    @Test("the rows reusableRows allows, taken from a kept prompt, then the rest of another prompt: every cache row and the last hidden state bit-identical to that prompt's own prefill",
          .enabled(if: engine != nil, "the default model is unavailable (scripts/fetch-model.sh)"))
    func sharedPrefixRowsAreBitIdentical() throws {
        let (model, tokenizer) = Self.engine!
        let a = BatchedDecodingTests.prompt(tokenizer, String(repeating: "Count the stars and name them one by one. ", count: 90))
        var rng = SplitMix64(seed: 7)
        // (element type, semantics, prompt length n, shared tokens): the one-token-chunk lengths (257, 513, 769) and random ones.
        var cases: [(KVElementType, Semantics, Int, [Int])] = [(.f32, .corrected, 769, [600, 513]), (.f32, .corrected, 513, [512, 301]),
                                                              (.f32, .corrected, 257, [256, 255]), (.f16, .corrected, 700, [521, 300]),
                                                              (.q8_0, .corrected, 650, [599]), (.f32, .reference, 600, [599, 257])]
        for _ in 0..<3 {
            let n = Int.random(in: 300...900, using: &rng)
            cases.append((.f32, .corrected, n, (0..<3).map { _ in Int.random(in: 1..<n, using: &rng) }))
        }
        var checked = 0
        for (kv, semantics, n, shares) in cases {
            let b = Array(a[0..<n])
            let own = try KVCache(shape: model.cacheShape, config: .init(semantics: semantics), maxNewTokens: 8, elementType: kv)
            let ownHidden = try model.forward(tokens: b, startPosition: 0, cache: own)
            for common in shares {
                let rows = LayerPass.reusableRows(sharing: common, promptLength: n)
                guard rows > 0 else { continue }
                // `own` holds the rows of every prompt that starts with b's first `rows` tokens.
                let shared = try own.forkedPrefix(rows: rows, config: own.config, maxNewTokens: 8)
                #expect(!shared.isPrefilled && shared.layers[0].maxCount == rows)
                let hidden = try model.forward(tokens: Array(b[rows...]), startPosition: rows, cache: shared)
                let name = "\(kv), \(semantics), n=\(n), \(common) shared tokens, \(rows) rows"
                #expect(Self.rows(shared) == Self.rows(own), "\(name): the cache rows differ")
                let dim = model.config.embeddingLength
                #expect(Array(hidden.suffix(dim)) == Array(ownHidden.suffix(dim)), "\(name): the last hidden state differs")
                checked += 1
            }
        }
        #expect(checked >= 15)
        let snap = CompressionConfig(prefill: .snapKV, prefillBudget: 64, window: 8)
        let compressed = try KVCache(shape: model.cacheShape, config: snap, maxNewTokens: 1)
        _ = try model.forward(tokens: a, startPosition: 0, cache: compressed)
        #expect(throws: KVCacheError.self) { try compressed.forkedPrefix(rows: 256, config: .fullKV, maxNewTokens: 1) }
    }
}
