import Foundation
import Testing
@testable import Kernels
import ScopeTestSupport

@Suite("AttentionKernel and VectorMath against scalar references")
struct AttentionKernelTests {
    @Test("streaming over key blocks (and merging key chunks) equals two-pass attention",
          arguments: [(64, 200), (128, 70), (40, 33)])
    func streamingEqualsTwoPass(d: Int, n: Int) {
        var rng = SeededRandom(seed: UInt64(d * 1000 + n))
        let q = randomFloats(d, &rng).map { $0 * 3 }, k = randomFloats(n * d, &rng), v = randomFloats(n * d, &rng)
        let pos = (0..<n).map { Int32($0 * 2) }          // every other position; the query masks the tail
        let qpos = Int32(n)                               // sees about half of the keys
        let scale = 1 / Float(d).squareRoot()
        let expected = referenceAttention(q, qpos, k, v, pos, d: d, scale: scale).o
        // One chunk: all blocks folded into one state.
        let chunks = [0..<n, 0..<(n / 3), (n / 3)..<n]
        for split in [1, 2] {
            let parts = split == 1 ? [chunks[0]] : [chunks[1], chunks[2]]
            var m = [Float](repeating: -.infinity, count: parts.count), l = [Float](repeating: 0, count: parts.count)
            var o = [Float](repeating: 0, count: parts.count * d)
            var scratch = [Float](repeating: 0, count: AttentionKernel.blockSize)
            for (p, range) in parts.enumerated() {
                var start = range.lowerBound
                while start < range.upperBound {
                    let c = min(AttentionKernel.blockSize, range.upperBound - start)
                    o.withUnsafeMutableBufferPointer { ob in
                        AttentionKernel.accumulate(query: q, position: qpos, keys: Array(k[(start * d)...]), values: Array(v[(start * d)...]),
                                                   positions: Array(pos[start...]), count: c, headDim: d, scale: scale,
                                                   maximum: &m[p], sum: &l[p], out: ob.baseAddress! + p * d, scratch: &scratch)
                    }
                    start += c
                }
            }
            var out = [Float](repeating: .nan, count: d)
            AttentionKernel.merge(maxima: m, sums: l, outs: o, parts: parts.count, headDim: d, into: &out)
            for c in 0..<d { #expect(abs(Double(out[c]) - expected[c]) <= 1e-5, "split \(split) dim \(c)") }
        }
    }

    @Test("fused f16 streaming equals two-pass attention on the f16-rounded keys and values",
          arguments: [(64, 200), (128, 70), (32, 9)])
    func fusedHalfStreamingEqualsTwoPass(d: Int, n: Int) {
        var rng = SeededRandom(seed: UInt64(d * 7 + n))
        let q = randomFloats(d, &rng).map { $0 * 3 }
        let kh = randomFloats(n * d, &rng).map { Float16($0) }, vh = randomFloats(n * d, &rng).map { Float16($0) }
        let pos = (0..<n).map { Int32($0 * 2) }
        let qpos = Int32(n)
        let scale = 1 / Float(d).squareRoot()
        let expected = referenceAttention(q, qpos, kh.map(Float.init), vh.map(Float.init), pos, d: d, scale: scale).o
        var m = -Float.infinity, l: Float = 0
        var o = [Float](repeating: 0, count: d)
        var scratch = [Float](repeating: 0, count: AttentionKernel.blockSize)
        kh.withUnsafeBytes { kb in
            vh.withUnsafeBytes { vb in
                var start = 0
                while start < n {
                    let c = min(AttentionKernel.blockSize, n - start)
                    AttentionKernel.accumulate(query: q, position: qpos, keys: kb.baseAddress! + 2 * start * d,
                                               values: vb.baseAddress! + 2 * start * d, layout: .f16, positions: Array(pos[start...]),
                                               count: c, headDim: d, scale: scale, maximum: &m, sum: &l, out: &o,
                                               scratch: &scratch)
                    start += c
                }
            }
        }
        var out = [Float](repeating: .nan, count: d)
        AttentionKernel.merge(maxima: [m], sums: [l], outs: o, parts: 1, headDim: d, into: &out)
        for c in 0..<d { #expect(abs(Double(out[c]) - expected[c]) <= 1e-5, "dim \(c)") }
    }

    @Test("exp matches expf to 2e-7 relative over [-87, 88] and gives 0 for -inf")
    func vectorExp() {
        var x: Float = -87
        var worst: Float = 0
        while x < 88 {
            let v = SIMD8<Float>(x, x + 0.01, x + 0.02, x + 0.03, x + 0.04, x + 0.05, x + 0.06, x + 0.07)
            let e = VectorMath.exp(v)
            for i in 0..<8 { worst = max(worst, abs(e[i] - expf(v[i])) / expf(v[i])) }
            x += 0.173
        }
        #expect(worst < 2e-7)
        let z = VectorMath.exp(SIMD8<Float>(repeating: -.infinity))
        #expect(z == SIMD8<Float>(repeating: 0))
    }

    @Test("maskAndScale equals the one-key-at-a-time rule: scale·s, or −∞ past the position; the largest result")
    func maskAndScaleMatchesScalarRule() {
        var rng = SeededRandom(seed: 17)
        for count in [0, 1, 7, 8, 9, 16, 23, 64] {
            for position in [Int32(-1), 5, 40, 1_000] {
                let s = randomFloats(count, &rng)
                let positions = (0..<count).map { _ in Int32(rng.next() % 64) }
                let scale: Float = 0.125
                let expected = zip(s, positions).map { $1 <= position ? $0 * scale : -Float.infinity }
                var got = s
                let m = got.withUnsafeMutableBufferPointer { g in
                    positions.withUnsafeBufferPointer { p in
                        AttentionKernel.maskAndScale(g.baseAddress!, positions: p.baseAddress!, position: position,
                                                     count: count, scale: scale)
                    }
                }
                #expect(got == expected, "count \(count), position \(position)")
                #expect(m == (expected.max() ?? -.infinity), "count \(count), position \(position)")
            }
        }
    }

    @Test("halfToFloat equals Float(Float16) for every length")
    func halfConversion() {
        var rng = SeededRandom(seed: 5)
        for n in [0, 3, 8, 21] {
            let f = randomFloats(n, &rng)
            let h = f.map { Float16($0).bitPattern }
            var out = [Float](repeating: .nan, count: n)
            h.withUnsafeBytes { VectorMath.halfToFloat($0.baseAddress!, &out, count: n) }
            #expect(out == f.map { Float(Float16($0)) })
        }
    }

    @Test("swiglu equals silu(g)·u")
    func swiglu() {
        var rng = SeededRandom(seed: 8)
        let g0 = randomFloats(37, &rng).map { $0 * 20 }, u = randomFloats(37, &rng)
        var g = g0
        Ops.swiglu(&g, u, n: 37)
        for i in 0..<37 {
            let ref = Double(g0[i]) / (1 + Foundation.exp(-Double(g0[i]))) * Double(u[i])
            #expect(abs(Double(g[i]) - ref) <= 1e-6 * max(1, abs(ref)))
        }
    }
}
