import Foundation
import Plot
import Testing
@testable import Analysis

@Suite struct FigureTests {
    static func report() -> HeavyHitterReport {
        let steps = [0, 13].flatMap { l in
            [1, 50].map { s in
                HeavyHitterStep(layer: l, step: s, queryPosition: 99 + s, visibleKeys: 100 + s, k: 3,
                                keyIndices: [0, 40, 99 + s], fractionGenerated: s == 1 ? 0 : 1.0 / 3, snapKVOverlap: 0.5)
            }
        }
        return HeavyHitterReport(promptTokens: 100, generatedTokens: 60, topkFraction: 0.15, snapKVBudget: 15,
                                 snapKVWindow: 8, snapKVCompressed: true, generatedText: "", steps: steps, missingSteps: [])
    }

    @Test func heavyHitterFigureIsAValidPNG() throws {
        let png = try AnalysisFigures.heavyHitters(Self.report()).png()
        let image = try PNGDecoder.decode(png)
        #expect(image.width == 900)
        #expect(image.chunkTypes.first == "IHDR" && image.chunkTypes.last == "IEND")
        let fraction = try PNGDecoder.decode(try AnalysisFigures.generatedFraction(Self.report()).png())
        #expect(fraction.width == 700)
    }

    @Test func attentionMapFigureIsAValidPNG() throws {
        let n = 20
        var values = [Float](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0...i { values[i * n + j] = 1 / Float(i + 1) } }
        let m = AttentionMatrix(size: n, promptTokens: 15, values: values)
        let image = try PNGDecoder.decode(try AnalysisFigures.attentionMap(m, layer: 3, head: 1).png())
        #expect(image.width == 760 && image.height == 660)
    }

    @Test func emptyReportIsRejectedWithAMessage() {
        var r = Self.report()
        r.steps = []
        #expect(throws: AnalysisError.self) { try AnalysisFigures.heavyHitters(r) }
    }
}
