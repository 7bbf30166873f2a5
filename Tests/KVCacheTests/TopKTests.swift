import Testing
@testable import KVCache
import ScopeTestSupport

@Suite("Top-k selection")
struct TopKTests {
    /// Naive reference: stable sort by descending score, ties by ascending index.
    func naive(_ s: [Float], _ k: Int) -> [Int] {
        Array(s.indices.sorted { s[$0] > s[$1] || (s[$0] == s[$1] && $0 < $1) }.prefix(k))
    }

    @Test("ranked selection equals a stable descending sort, ties to the lower index")
    func rankedMatchesStableSort() {
        var rng = SeededRandom(seed: 11)
        var ws = TopKWorkspace()
        for _ in 0..<500 {
            let m = Int.random(in: 1...80, using: &rng)
            let levels = Int.random(in: 1...6, using: &rng)   // few distinct values: many exact ties
            let s = (0..<m).map { _ in Float(Int.random(in: 0..<levels, using: &rng)) / Float(levels) }
            let k = Int.random(in: 0...m, using: &rng)
            var out: [Int] = []
            s.withUnsafeBufferPointer { ws.select(scores: $0.baseAddress!, count: m, k: k, ranked: true, into: &out) }
            #expect(out == naive(s, k))
        }
    }

    @Test("unranked selection keeps the same set in ascending index order, with the offset added")
    func unrankedIsAscendingSameSet() {
        var rng = SeededRandom(seed: 12)
        var ws = TopKWorkspace()
        for _ in 0..<500 {
            let m = Int.random(in: 1...80, using: &rng)
            let s = (0..<m).map { _ in Float(Int.random(in: 0..<5, using: &rng)) }
            let k = Int.random(in: 0...m, using: &rng)
            var out: [Int] = []
            s.withUnsafeBufferPointer { ws.select(scores: $0.baseAddress!, count: m, k: k, ranked: false, offset: 7, into: &out) }
            #expect(out == naive(s, k).sorted().map { $0 + 7 })
        }
    }

    @Test("equal scores go to the lower index: top-3 of [1,3,3,3,2,3,0,3] is [1, 2, 3]")
    func torchExample() {
        let s: [Float] = [1, 3, 3, 3, 2, 3, 0, 3]
        var ws = TopKWorkspace()
        var out: [Int] = []
        s.withUnsafeBufferPointer { ws.select(scores: $0.baseAddress!, count: s.count, k: 3, ranked: true, into: &out) }
        #expect(out == [1, 2, 3])
    }
}
