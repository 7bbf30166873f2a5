import Foundation
import JSONStrict
import KVCache
import SplitMix
import Testing
import Tokenizer
@testable import Generation

/// The JSON constraint over the default model's vocabulary: its mask against trying every token's
/// bytes one by one, and sequences generated under it through the batch scheduler.
@Suite(.serialized)
struct JSONConstraintTests {
    static let engine = DefaultEngine.load()

    @Test("the mask allows exactly the tokens whose bytes continue the text (any object and random schemas; its first-byte groups and plain-text shortcut included)",
          .enabled(if: engine != nil, "the default model is unavailable (scripts/fetch-model.sh)"))
    func maskEqualsTryingEveryToken() throws {
        let (_, tokenizer) = Self.engine!
        let pieces = TokenPieces(tokenizer)
        var rng = SplitMix64(seed: 4)
        var logits = [Float](repeating: 0, count: tokenizer.vocabularySize)
        var inString = 0
        for round in 0..<36 {
            // Any object (json_object) for a third of the cuts, a random schema's instance for the rest.
            let s = round % 3 == 0 ? nil : JSONSchemaTests.object(&rng, depth: 0)
            let schema = try s.map { try JSONSchema($0) } ?? .anyObject
            let text = Array((s.map { JSONSchemaTests.instance($0, &rng) } ?? JSONPrefixTests.object(&rng, depth: 0)).utf8)
            let cut = Int.random(in: 0..<text.count, using: &rng)
            var constraint = JSONConstraint(pieces: pieces, schema: schema)
            let fed = constraint.state.feed(text[..<cut])
            #expect(fed)
            if constraint.state.isInFreeString { inString += 1 }
            for i in logits.indices { logits[i] = Float(i % 7) }
            let allowed = logits.withUnsafeMutableBufferPointer { constraint.mask($0) }
            var expected = 0
            for id in 0..<Int32(tokenizer.vocabularySize) {
                let piece = tokenizer.piece(id)
                var next = constraint.state
                let ok = !piece.isEmpty && !tokenizer.isSpecial(id) && next.feed(piece)
                if ok { expected += 1 }
                if ok != logits[Int(id)].isFinite {
                    Issue.record("token \(id) \(String(decoding: piece, as: UTF8.self).debugDescription) after \(String(decoding: text[..<cut], as: UTF8.self).debugDescription): allowed \(ok), masked \(!logits[Int(id)].isFinite)")
                    break
                }
            }
            #expect(allowed == expected && allowed > 0)
        }
        #expect(inString > 0, "some cuts fall inside strings, where the shortcut applies")
    }

    @Test("greedy and sampled sequences under the constraint end as one JSON object (or, cut by max tokens, a prefix of one)",
          .enabled(if: engine != nil, "the default model is unavailable (scripts/fetch-model.sh)"))
    func constrainedSequencesAreJSONObjects() async throws {
        let (model, tokenizer) = Self.engine!
        let prompt = BatchedDecodingTests.prompt(tokenizer, "Describe a dog as a JSON object with its name, age and favourite toys.")
        let scheduler = try BatchScheduler(model: model, tokenizer: tokenizer, parallel: 4, kvBudgetBytes: nil)
        let samplings = [SamplingOptions.greedy] + (1...3).map { SamplingOptions(temperature: 1, seed: UInt64($0)) }
        let handles = try samplings.map {
            try scheduler.submit(SequenceRequest(prompt: prompt, maxTokens: 200, sampling: $0, responseFormat: .jsonObject))
        }
        // `scope generate --json-object` (Generator, one sequence) gives the greedy sequence's tokens.
        let cache = try KVCache(shape: model.cacheShape, config: .fullKV, maxNewTokens: 200)
        let alone = try Generator(model: model, tokenizer: tokenizer).generate(prompt: prompt, maxTokens: 200, cache: cache,
                                                                               responseFormat: .jsonObject)
        var completeCount = 0
        for (i, handle) in handles.enumerated() {
            let outcome = try await BatchedDecodingTests.collect(handle)
            if i == 0 {
                #expect(outcome.tokens == alone.tokens && alone.stoppedOnEndOfGeneration == (outcome.reason == .endOfGeneration))
            }
            let text = tokenizer.decode(outcome.tokens, skipSpecial: false)
            var prefix = JSONPrefix()
            let fed = prefix.feed(Array(text.utf8))
            #expect(fed, "sequence \(i): \(text)")
            switch outcome.reason {
            case .endOfGeneration:
                completeCount += 1
                let parsed = try? JSONParser.parse(Array(text.utf8))
                guard case .object? = parsed else {
                    Issue.record("sequence \(i) ended but is not a JSON object: \(text)")
                    continue
                }
            default:
                #expect(outcome.reason == .length && outcome.tokens.count == 200, "sequence \(i)")
            }
        }
        #expect(completeCount >= 1, "the greedy answer to this prompt closes its object within 200 tokens")
        await scheduler.shutdown(grace: .seconds(1))
    }

    @Test("sequences under a schema end as a valid instance of it (or, cut by max tokens, a prefix of one); greedy equals Generator alone",
          .enabled(if: engine != nil, "the default model is unavailable (scripts/fetch-model.sh)"))
    func schemaSequencesAreInstances() async throws {
        let (model, tokenizer) = Self.engine!
        let schemaText = #"""
            {"type": "object", "additionalProperties": false, "required": ["name", "age", "toys", "mood"],
             "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                            "toys": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
                            "mood": {"enum": ["happy", "sleepy", "hungry"]}, "owner": {"type": ["string", "null"]}}}
            """#
        let schemaJSON = try JSONParser.parse(Array(schemaText.utf8))
        let format = ResponseFormat.json(try JSONSchema(schemaJSON))
        let prompt = BatchedDecodingTests.prompt(tokenizer, "Describe a dog as a JSON object with its name, age, toys and mood.")
        let scheduler = try BatchScheduler(model: model, tokenizer: tokenizer, parallel: 3, kvBudgetBytes: nil)
        let samplings = [SamplingOptions.greedy] + (1...2).map { SamplingOptions(temperature: 1, seed: UInt64($0)) }
        let handles = try samplings.map {
            try scheduler.submit(SequenceRequest(prompt: prompt, maxTokens: 160, sampling: $0, responseFormat: format))
        }
        let cache = try KVCache(shape: model.cacheShape, config: .fullKV, maxNewTokens: 160)
        let alone = try Generator(model: model, tokenizer: tokenizer).generate(prompt: prompt, maxTokens: 160, cache: cache,
                                                                               responseFormat: format)
        var completeCount = 0
        for (i, handle) in handles.enumerated() {
            let outcome = try await BatchedDecodingTests.collect(handle)
            if i == 0 { #expect(outcome.tokens == alone.tokens) }
            let text = tokenizer.decode(outcome.tokens, skipSpecial: false)
            var prefix = JSONPrefix(schema: format.schema!)
            let fed = prefix.feed(Array(text.utf8))
            #expect(fed, "sequence \(i): \(text)")
            if outcome.reason == .endOfGeneration {
                completeCount += 1
                guard let parsed = try? JSONParser.parse(Array(text.utf8)) else {
                    Issue.record("sequence \(i) ended but is not JSON: \(text)")
                    continue
                }
                #expect(JSONSchemaTests.valid(parsed, schemaJSON), "sequence \(i): \(text)")
            } else {
                #expect(outcome.reason == .length && outcome.tokens.count == 160, "sequence \(i)")
            }
        }
        #expect(completeCount >= 1, "the greedy answer closes its object within 160 tokens")
        await scheduler.shutdown(grace: .seconds(1))
    }
}
