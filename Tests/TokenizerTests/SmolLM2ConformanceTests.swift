import ScopeTestSupport
import Testing
@testable import Tokenizer

/// The default model's tokenizer against the fp32 reference (../shared/conformance).
@Suite(.needsDefaultModel) struct SmolLM2ConformanceTests {
    @Test(.needsShared("conformance/smollm2_q4_1_reference.json")) func everyReferenceTextEncodesToTheReferenceIDs() throws {
        let tokenizer = try #require(RealModel.smolLM2)
        let reference = try #require(ConformanceReference.shared)
        #expect(reference.tokenizer.count >= 20)
        for c in reference.tokenizer {
            #expect(tokenizer.encode(c.text) == c.ids, "text: \(c.text.debugDescription)")
        }
    }

    @Test(.needsShared("conformance/smollm2_q4_1_reference.json")) func referenceIDsDecodeBackToTheText() throws {
        let tokenizer = try #require(RealModel.smolLM2)
        let reference = try #require(ConformanceReference.shared)
        for c in reference.tokenizer {
            #expect(tokenizer.decode(c.ids, skipSpecial: false) == c.text, "text: \(c.text.debugDescription)")
        }
    }

    @Test(.needsShared("conformance/smollm2_q4_1_reference.json")) func chatMLPromptWithDefaultSystemPromptEncodesToTheReferencePromptIDs() throws {
        let tokenizer = try #require(RealModel.smolLM2)
        let reference = try #require(ConformanceReference.shared)
        let template = try tokenizer.chatTemplate()
        #expect(template.format == .chatML(defaultSystemPrompt: "You are a helpful AI assistant named SmolLM, trained by Hugging Face"))
        #expect(!reference.greedy.isEmpty)
        for g in reference.greedy {
            let text = try template.render([.user(g.user)], addGenerationPrompt: true)
            #expect(tokenizer.encode(text, addSpecial: true) == g.promptIDs, "user: \(g.user)")
            #expect(try tokenizer.encodeChat([.user(g.user)]) == g.promptIDs)
        }
    }

    @Test(.needsShared("conformance/smollm2_q4_1_reference.json")) func greedyOutputIDsDecodeToTheReferenceText() throws {
        let tokenizer = try #require(RealModel.smolLM2)
        let reference = try #require(ConformanceReference.shared)
        for g in reference.greedy {
            #expect(tokenizer.decode(g.outputIDs, skipSpecial: false) == g.outputText)
            var stream = StreamingDecoder(tokenizer: tokenizer, skipSpecial: false)
            let streamed = g.outputIDs.map { stream.append($0) }.joined() + stream.flush()
            #expect(streamed == g.outputText)
        }
    }

    @Test func specialTokensAndEndOfGenerationSetFollowTheMetadata() throws {
        let tokenizer = try #require(RealModel.smolLM2)
        #expect(tokenizer.vocabularySize == 49152)
        #expect(tokenizer.bosID == 1)
        #expect(tokenizer.eosID == 2)
        #expect(tokenizer.addBOS == false)
        #expect(tokenizer.id(of: "<|im_end|>") == 2)
        #expect(tokenizer.eotID == 2)
        #expect(tokenizer.endOfGeneration.contains(2))
        #expect(tokenizer.endOfGeneration.contains(0))  // <|endoftext|>, detected by text like llama.cpp
        #expect(!tokenizer.endOfGeneration.contains(1))
        #expect(tokenizer.decode([1, 19556, 2]) == "Hello")
        #expect(tokenizer.piece(198) == [0x0A])
    }

    @Test func specialTokenTextIsPlainTextWithoutParseSpecial() throws {
        let tokenizer = try #require(RealModel.smolLM2)
        let ids = tokenizer.encode("<|im_start|>user", parseSpecial: false)
        #expect(!ids.contains(1))
        #expect(tokenizer.decode(ids) == "<|im_start|>user")
        #expect(tokenizer.encode("<|im_start|>user") == [1, 4093])
    }

    @Test func longTextEncodesAndRoundTrips() throws {
        let tokenizer = try #require(RealModel.smolLM2)
        let paragraph = "Janet’s ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for her friends every day with 4. "
        let text = String(repeating: paragraph, count: 400)  // ~12k tokens
        let clock = ContinuousClock()
        var ids: [Int32] = []
        let elapsed = clock.measure { ids = tokenizer.encode(text) }
        #expect(ids.count > 10_000)
        #expect(tokenizer.decode(ids) == text)
        print("encoding \(ids.count) tokens took \(elapsed)")  // speed is measured by benchmarks, not asserted
    }
}
