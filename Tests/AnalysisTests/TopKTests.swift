import Testing
@testable import Analysis

@Suite struct TopKTests {
    @Test func sizeIsRoundedFractionOfVisibleKeysAsInThePaper() {
        // methods.md §6.1: rows 790, 1089, 1289 (791, 1090, 1290 visible keys) give k = 119, 163, 193 at 15%.
        #expect(AnalysisTopK.size(fraction: 0.15, visibleKeys: 791) == 119)
        #expect(AnalysisTopK.size(fraction: 0.15, visibleKeys: 1090) == 163)
        #expect(AnalysisTopK.size(fraction: 0.15, visibleKeys: 1290) == 193)
        #expect(AnalysisTopK.size(fraction: 0.15, visibleKeys: 1) == 1)
        #expect(AnalysisTopK.size(fraction: 0.5, visibleKeys: 0) == 0)
    }

    @Test func indicesAreTheLargestValuesInAscendingOrderWithTiesToLowerIndex() {
        let row: [Double] = [0.1, 0.5, 0.2, 0.5, 0.05, 0.3]
        #expect(AnalysisTopK.indices(of: row, k: 3) == [1, 3, 5])
        #expect(AnalysisTopK.indices(of: row, k: 1) == [1])
        #expect(AnalysisTopK.indices(of: row, k: 0) == [])
    }

    @Test func summaryCountsGeneratedKeysAndSnapKVOverlap() {
        // 11 visible keys (row 10), prompt of 6: top-4 = keys 2, 7, 8, 9 → 3 of 4 generated.
        let row: [Double] = [0, 0, 0.2, 0, 0, 0, 0, 0.3, 0.25, 0.25, 0]
        let s = HeavyHitterAnalysis.summarize(layer: 0, step: 4, queryPosition: 10, row: row, promptLength: 6,
                                              fraction: 0.4, snapKV: [[2, 3], [0, 1]])
        #expect(s.k == 4)
        #expect(s.keyIndices == [2, 7, 8, 9])
        #expect(s.fractionGenerated == 0.75)
        #expect(s.snapKVOverlap == 0.5)  // head 0 keeps key 2, head 1 does not
    }
}
