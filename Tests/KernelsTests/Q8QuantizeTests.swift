import Testing
@testable import Kernels
import ScopeTestSupport

/// `Q8Activations` against the quantization rule written out here per value (`d = max|x|/127`,
/// `q = x·(1/d)` rounded half away from zero, `s = d·Σq`): bit-identical codes, scales and sums,
/// including exact ties, the values just below them and all-zero blocks; and the block-major copy
/// of the sums for several rows.
@Suite("Q8Activations: quantization bit-identical to the per-value rule")
struct Q8QuantizeTests {
    /// The rule, one value at a time.
    static func reference(_ x: [Float]) -> (qs: [Int8], scales: [Float], sums: [Float]) {
        var qs: [Int8] = [], scales: [Float] = [], sums: [Float] = []
        for b in 0..<(x.count / 32) {
            let block = x[(32 * b)..<(32 * b + 32)]
            let amax = block.map { abs($0) }.max()!
            let d = amax / 127
            let id: Float = d != 0 ? 1 / d : 0
            let q = block.map { Int8(($0 * id).rounded(.toNearestOrAwayFromZero)) }
            qs += q
            scales.append(d)
            sums.append(d * Float(q.reduce(0) { $0 + Int($1) }))
        }
        return (qs, scales, sums)
    }

    /// Random blocks, and blocks whose scale is exactly 1 (max |x| = 127) holding ties k + 0.5,
    /// their neighbours one ulp either side, and ±0.
    static func inputs() -> [Float] {
        var rng = SeededRandom(seed: 5)
        var x = randomFloats(32 * 6, &rng).map { $0 * 3 }
        for sign in [Float(1), -1] {
            var block: [Float] = [127 * sign]
            for k in 0..<10 {
                let tie = sign * (Float(k) + 0.5)
                block += [tie, tie.nextUp, tie.nextDown]
            }
            block.append(0)
            x += block
        }
        x += [Float](repeating: 0, count: 32)
        return x
    }

    @Test("codes, scales and sums equal the rule, quantized as one row or as several")
    func matchesRule() {
        let x = Self.inputs()
        let ref = Self.reference(x)
        let nb = x.count / 32
        for rows in [1, nb] {
            let a = Q8Activations(x, count: x.count, rows: rows)
            #expect((0..<x.count).map { a.qs[$0] } == ref.qs)
            #expect((0..<nb).map { a.scales[$0].bitPattern } == ref.scales.map(\.bitPattern))
            #expect((0..<nb).map { a.sums[$0].bitPattern } == ref.sums.map(\.bitPattern))
            #expect(a.rowCount == rows)
        }
    }
}
