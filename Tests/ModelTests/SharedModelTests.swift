import Dispatch
import Foundation
import Testing
import GGUF
import Generation
import KVCache
import Model
import ScopeTestSupport
import Tokenizer

/// `LlamaModel` is `Sendable`: several threads may decode their own sequences on one model at once
/// (the server's test harness and a scheduler share one model; so may any caller). Nothing a pass
/// writes may live in the model itself.
@Suite(.serialized, .needsDefaultModel)
struct SharedModelTests {
    static let engine = DefaultEngine.load()

    @Test("two threads decoding with H2O (decode-time probabilities) on one model each get their output alone")
    func concurrentDecodingWithProbabilities() throws {
        let (model, tokenizer) = try #require(Self.engine)
        // H2O ranks rows by the current query's probabilities at every step once the cache is over
        // its budget, so a probability row overwritten by the other thread changes the evictions.
        let config = CompressionConfig(semantics: .corrected, prefill: .h2o, decoding: .h2o,
                                       prefillBudget: 24, decodingWindow: 8, recent: 4)
        let prompts = ["Name the planets of the solar system in order.",
                       "Write a short poem about a lighthouse keeper and the sea at night, with rhymes."].map {
            tokenizer.encode("<|im_start|>user\n\($0)<|im_end|>\n<|im_start|>assistant\n", addSpecial: false, parseSpecial: true)
        }
        let maxTokens = 32
        @Sendable func generate(_ prompt: [Int32]) throws -> [Int32] {
            let cache = try KVCache(shape: model.cacheShape, config: config, maxNewTokens: maxTokens)
            return try Generator(model: model, tokenizer: tokenizer)
                .generate(prompt: prompt, maxTokens: maxTokens, cache: cache, ignoreEndOfGeneration: true).tokens
        }
        let alone = try prompts.map(generate)
        #expect(alone[0] != alone[1])
        for round in 0..<2 {
            let results = Results(count: prompts.count)
            DispatchQueue.concurrentPerform(iterations: prompts.count) { i in
                results.set(i, Result { try generate(prompts[i]) })
            }
            for i in prompts.indices {
                #expect(try results.get(i) == alone[i], "round \(round), sequence \(i)")
            }
        }
    }
}

/// One result slot per concurrent iteration, under a lock.
private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<[Int32], any Error>?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<[Int32], any Error>) { lock.withLock { slots[i] = r } }
    func get(_ i: Int) throws -> [Int32] { try #require(lock.withLock { slots[i] }).get() }
}
