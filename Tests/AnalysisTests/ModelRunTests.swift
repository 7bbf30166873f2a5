import Foundation
import GGUF
import KVCache
import Model
import Plot
import ScopeTestSupport
import Testing
import Tokenizer
@testable import Analysis

@Suite(.serialized, .needsDefaultModel) struct ModelRunTests {
    static func load() throws -> (LlamaModel, Tokenizer) {
        let path = try #require(DefaultModel.path())
        let file = try GGUFFile(path: path)
        return (try LlamaModel(file: file), try Tokenizer(gguf: file))
    }

    @Test func heavyHitterNumbersOnAShortRunAreConsistent() throws {
        let (model, tokenizer) = try Self.load()
        let prompt = tokenizer.encode("Question: Tom has 3 apples and buys 4 more. How many apples does he have?\nAnswer:", addSpecial: true)
        let n = prompt.count
        let snap = CompressionConfig(prefill: .snapKV, prefillBudget: 12, window: 4)
        let options = HeavyHitterOptions(layers: [0, 15], steps: [1, 5, 10], topkFraction: 0.15, maxTokens: 11,
                                         ignoreEndOfGeneration: true, snapKV: snap)
        let report = try HeavyHitterAnalysis.run(model: model, tokenizer: tokenizer, prompt: prompt, options: options)
        #expect(report.missingSteps.isEmpty)
        #expect(report.steps.count == 6)
        #expect(report.snapKVCompressed == (n > 12))
        for s in report.steps {
            #expect(s.queryPosition == n + s.step - 1)
            #expect(s.visibleKeys == s.queryPosition + 1)
            #expect(s.k == max(1, Int((0.15 * Double(s.visibleKeys - 1)).rounded())))
            #expect(s.keyIndices.count == s.k)
            #expect(s.keyIndices.allSatisfy { $0 >= 0 && $0 < s.visibleKeys })
            #expect(s.fractionGenerated >= 0 && s.fractionGenerated <= 1)
            #expect(Double(s.keyIndices.filter { $0 >= n }.count) / Double(s.k) == s.fractionGenerated)
            if let o = s.snapKVOverlap { #expect(o >= 0 && o <= 1) }
        }
        let png = try AnalysisFigures.heavyHitters(report).png()
        #expect(try PNGDecoder.decode(png).width == 900)
    }

    @Test func attentionMapRowsAreCausalDistributions() throws {
        let (model, tokenizer) = try Self.load()
        let prompt = tokenizer.encode("The cat sat on the mat and looked at the door.", addSpecial: true)
        let m = try AttentionMapAnalysis.run(model: model, tokenizer: tokenizer, prompt: prompt, maxTokens: 3, layer: 2, head: 1)
        #expect(m.size == prompt.count + 2)
        for i in 0..<m.size {
            let row = m.values[(i * m.size)..<((i + 1) * m.size)]
            let sum = row.reduce(0, +)
            #expect(abs(sum - 1) < 1e-3, "row \(i) sums to \(sum)")
            #expect(row.dropFirst(i + 1).allSatisfy { $0 == 0 })
        }
    }
}
