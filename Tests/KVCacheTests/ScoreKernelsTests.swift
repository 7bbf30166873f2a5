import Foundation
import Testing
@testable import KVCache
import ScopeTestSupport

@Suite("Score kernels")
struct ScoreKernelsTests {
    /// Float64 column sums over all rows, masking only keys that row `i` may not see.
    func naiveColumnSums(_ q: [Float], _ k: [Float], n: Int, d: Int, visible: (Int) -> Int) -> [Double] {
        var sums = [Double](repeating: 0, count: n)
        let scale = 1 / Double(d).squareRoot()
        for i in 0..<n {
            let v = visible(i)
            var logits = (0..<v).map { j in (0..<d).reduce(0.0) { $0 + Double(q[i * d + $1]) * Double(k[j * d + $1]) } * scale }
            let m = logits.max()!
            logits = logits.map { exp($0 - m) }
            let total = logits.reduce(0, +)
            for j in 0..<v { sums[j] += logits[j] / total }
        }
        return sums
    }

    @Test("non-causal and causal column sums match a float64 computation; window rows are causal distributions")
    func kernelsMatchFloat64() {
        var rng = SeededRandom(seed: 21)
        for (n, d, w) in [(1, 4, 1), (17, 8, 4), (40, 12, 8), (64, 64, 8)] {
            let q = (0..<(n * d)).map { _ in Float.random(in: -2...2, using: &rng) }
            let k = (0..<(n * d)).map { _ in Float.random(in: -2...2, using: &rng) }
            let scale = 1 / Float(d).squareRoot()
            var out = [Float](repeating: 0, count: n)
            ScoreKernels.nonCausalColumnSums(queries: q, queryStride: d, keys: k, keyStride: d, count: n, headDim: d,
                                             window: w, scale: scale, into: &out)
            let want = naiveColumnSums(q, k, n: n, d: d) { i in i < n - w ? n : i + 1 }
            for j in 0..<n { #expect(abs(Double(out[j]) - want[j]) <= 1e-5 * max(1, want[j]), "n=\(n) column \(j)") }
            #expect(abs(out.reduce(0, +) - Float(n)) < 1e-3)
            ScoreKernels.causalColumnSums(queries: q, queryStride: d, keys: k, keyStride: d, count: n, headDim: d, scale: scale, into: &out)
            let causal = naiveColumnSums(q, k, n: n, d: d) { $0 + 1 }
            for j in 0..<n { #expect(abs(Double(out[j]) - causal[j]) <= 1e-5 * max(1, causal[j])) }
            let ww = min(w, n)
            var rows = [Float](repeating: -1, count: ww * n)
            ScoreKernels.windowProbabilities(queries: q, queryStride: d, keys: k, keyStride: d, count: n, headDim: d,
                                             window: ww, scale: scale, into: &rows)
            for r in 0..<ww {
                let row = rows[(r * n)..<((r + 1) * n)]
                #expect(abs(row.reduce(0, +) - 1) < 1e-5)
                let i = n - ww + r
                #expect(row.dropFirst(i + 1).allSatisfy { $0 == 0 })
            }
        }
    }
}
