import Foundation
import Testing
import Kernels
import KVCache
@testable import Model

/// The prefill statistics of `PrefillAttention` (streamed rows, column sums folded in from the
/// stream's row maxima and sums; window rows recomputed exactly) against a naive float64 softmax
/// over the full causal score matrix, on random rows read back from the cache.
@Suite("Prefill statistics")
struct PrefillStatisticsTests {
    struct Case: CustomStringConvertible {
        var n: Int, headDim: Int, queryHeads: Int, kvHeads: Int, window: Int, chunk: Int
        var elementType: KVElementType = .f32
        var semantics: Semantics = .corrected
        var observed = false
        var description: String {
            "n=\(n) d=\(headDim) H=\(queryHeads)/\(kvHeads) w=\(window) chunk=\(chunk) \(elementType) \(semantics)\(observed ? " observed" : "")"
        }
    }

    static let cases: [Case] = [
        Case(n: 37, headDim: 8, queryHeads: 4, kvHeads: 2, window: 5, chunk: 16),                  // float rows, d not a multiple of 32
        Case(n: 130, headDim: 32, queryHeads: 6, kvHeads: 2, window: 9, chunk: 64, elementType: .f16),
        Case(n: 20, headDim: 16, queryHeads: 2, kvHeads: 2, window: 32, chunk: 7),                 // window larger than the prompt
        Case(n: 71, headDim: 64, queryHeads: 3, kvHeads: 1, window: 4, chunk: 256, elementType: .q8_0),
        Case(n: 45, headDim: 32, queryHeads: 4, kvHeads: 2, window: 6, chunk: 13, semantics: .reference),
        Case(n: 66, headDim: 32, queryHeads: 4, kvHeads: 2, window: 3, chunk: 32, elementType: .f16, observed: true),
    ]

    /// Watches every third position (those rows take the two-pass path); records nothing.
    final class EveryThirdPosition: AttentionObserver {
        func observes(layer: Int, queryPosition: Int32) -> Bool { queryPosition % 3 == 0 }
        func observe(layer: Int, head: Int, queryPosition: Int32,
                     probabilities: UnsafeBufferPointer<Float>, keyPositions: UnsafeBufferPointer<Int32>) {}
    }

    /// Naive float64 causal attention of every query head: probability rows `[H][n][n]` (0 where masked).
    static func naiveProbabilities(q: [Float], keys: [[Float]], layer: LayerKV, c: Case) -> [[Double]] {
        let n = c.n, d = c.headDim, H = c.queryHeads
        let scale = 1 / Double(d).squareRoot()
        var rows = [[Double]](repeating: [], count: H)
        for h in 0..<H {
            let k = keys[layer.storageHead(forQueryHead: h)]
            var p = [Double](repeating: 0, count: n * n)
            for t in 0..<n {
                let logits = (0...t).map { j in (0..<d).reduce(0.0) { $0 + Double(q[(t * H + h) * d + $1]) * Double(k[j * d + $1]) } * scale }
                let m = logits.max()!
                let e = logits.map { exp($0 - m) }
                let total = e.reduce(0, +)
                for j in 0...t { p[t * n + j] = e[j] / total }
            }
            rows[h] = p
        }
        return rows
    }

    /// Runs `PrefillAttention` chunk by chunk, as `LayerPass` does, and returns the statistics.
    static func run(_ c: Case, kind: PrefillScoreKind, layer: LayerKV, q: [Float], pool: ThreadPool) -> PrefillScores {
        let n = c.n, H = c.queryHeads, d = c.headDim
        let request = PrefillScoreRequest(kind: kind, window: c.window, promptLength: n)
        var scores = PrefillScores(request: request, queryHeads: H)
        let attention = PrefillAttention(pool: pool, headCount: H, headDim: d, layerIndex: 0,
                                         observer: c.observed ? EveryThirdPosition() : nil)
        let positions = (0..<n).map(Int32.init)
        var out = [Float](repeating: 0, count: n * H * d)
        q.withUnsafeBufferPointer { qb in
            out.withUnsafeMutableBufferPointer { ob in
                for start in stride(from: 0, to: n, by: c.chunk) {
                    let r = start..<min(n, start + c.chunk)
                    attention.run(layer: layer, q: qb.baseAddress! + start * H * d, queries: r, positions: positions,
                                  out: ob.baseAddress! + start * H * d, request: request, scores: &scores)
                }
            }
        }
        return scores
    }

    @Test("window probabilities and causal column sums equal a naive float64 softmax over the full matrix", arguments: cases)
    func statisticsMatchNaiveSoftmax(c: Case) throws {
        let n = c.n, H = c.queryHeads, d = c.headDim
        let shape = CacheShape(layers: 1, queryHeads: H, kvHeads: c.kvHeads, headDim: d)
        let cache = try KVCache(shape: shape, config: CompressionConfig(semantics: c.semantics), maxNewTokens: 0,
                                elementType: c.elementType)
        let layer = cache.layers[0]
        // Deterministic values in [-2, 2], different per array and case.
        let random = { (count: Int, seed: Int) in (0..<count).map { i in Float(2 * sin(Double(i) * 12.9898 + Double(seed * 7 + n) * 78.233)) } }
        let k = random(n * c.kvHeads * d, 1), v = random(n * c.kvHeads * d, 2), q = random(n * H * d, 3)
        for t in 0..<n {
            for g in 0..<c.kvHeads {
                layer.append(kvHead: g, key: k.withUnsafeBufferPointer { $0.baseAddress! } + (t * c.kvHeads + g) * d,
                             value: v.withUnsafeBufferPointer { $0.baseAddress! } + (t * c.kvHeads + g) * d, position: Int32(t))
            }
        }
        // The rows as stored (f16/q8_0 rounding included), the naive computation's keys.
        let stored: [[Float]] = (0..<layer.storageHeads).map { sh in
            var rows = [Float](repeating: 0, count: n * d)
            rows.withUnsafeMutableBufferPointer { layer.floatRows(sh, 0..<n, values: false, headDim: d, into: $0.baseAddress!) }
            return rows
        }
        let want = Self.naiveProbabilities(q: q, keys: stored, layer: layer, c: c)
        let pool = ThreadPool(threads: 2)

        let windowed = Self.run(c, kind: .windowProbabilities, layer: layer, q: q, pool: pool)
        for h in 0..<H {
            for r in 0..<c.window {
                let t = n - c.window + r
                for j in 0..<n {
                    let expected = t >= 0 ? want[h][t * n + j] : 0
                    let got = Double(windowed.windowProbabilities[windowed.windowRowOffset(head: h, row: r) + j])
                    #expect(abs(got - expected) <= 1e-5, "\(c) head \(h) window row \(r) key \(j): \(got) vs \(expected)")
                }
            }
        }

        let summed = Self.run(c, kind: .causalColumnSums, layer: layer, q: q, pool: pool)
        for h in 0..<H {
            for j in 0..<n {
                let expected = (j..<n).reduce(0.0) { $0 + want[h][$1 * n + j] }
                let got = Double(summed.columnSums[summed.columnSumOffset(head: h) + j])
                #expect(abs(got - expected) <= 1e-5 * max(1, expected), "\(c) head \(h) column \(j): \(got) vs \(expected)")
            }
            let total = (0..<n).reduce(0.0) { $0 + Double(summed.columnSums[summed.columnSumOffset(head: h) + $1]) }
            #expect(abs(total - Double(n)) <= 1e-4 * Double(n), "\(c) head \(h): column sums add up to \(total), not \(n)")
        }
    }
}
