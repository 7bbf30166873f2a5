import Foundation
import Testing
@testable import Kernels
import ScopeTestSupport

/// `AttentionKernel.accumulateGroup` (two or three query rows sharing each widened key/value
/// vector) against `accumulate` run for each row alone — bit for bit, block after block — and the
/// result against two-pass float64 attention.
@Suite("Grouped streaming attention equals one row at a time, bit for bit")
struct GroupedAttentionTests {
    /// One row's running state.
    struct State: Equatable {
        var m = -Float.infinity, l: Float = 0
        var o: [Float]
        init(d: Int) { o = [Float](repeating: 0, count: d) }
    }

    /// Folds every block of `n` stored rows (f16 when `half`, else float32) into the states of the
    /// queries, grouped or one at a time. `queries[i]` sees keys at positions ≤ `positions[i]`.
    static func run(grouped: Bool, half: Bool, queries: [[Float]], positions: [Int32], keys: [Float], values: [Float],
                    keyPositions: [Int32], d: Int, prefetch: Bool) -> [State] {
        let n = keyPositions.count, b = AttentionKernel.blockSize, scale = 1 / Float(d).squareRoot()
        var states = queries.map { _ in State(d: d) }
        let rowBytes = half ? 2 * d : 4 * d
        let kBytes = half ? keys.map { Float16($0) }.withUnsafeBytes { Array($0) } : keys.withUnsafeBytes { Array($0) }
        let vBytes = half ? values.map { Float16($0) }.withUnsafeBytes { Array($0) } : values.withUnsafeBytes { Array($0) }
        var scratch = [Float](repeating: 0, count: 3 * b)
        kBytes.withUnsafeBytes { kb in vBytes.withUnsafeBytes { vb in keyPositions.withUnsafeBufferPointer { kp in
            scratch.withUnsafeMutableBufferPointer { sp in
                var start = 0
                while start < n {
                    let c = min(b, n - start)
                    let k = kb.baseAddress! + start * rowBytes, v = vb.baseAddress! + start * rowBytes
                    let next = prefetch && start + 2 * c <= n ? (keys: k + c * rowBytes, values: v + c * rowBytes) : nil
                    var i = 0
                    while i < queries.count {
                        let width = grouped ? min(3, queries.count - i) : 1
                        if width >= 2 {
                            withRows(i, width, queries, positions, &states, sp.baseAddress!) { rows in
                                AttentionKernel.accumulateGroup(rows, three: width == 3, halfRows: half, keys: k, values: v,
                                                                positions: kp.baseAddress! + start, count: c, headDim: d,
                                                                scale: scale, prefetch: next)
                            }
                        } else {
                            var m = states[i].m, l = states[i].l, out = states[i].o
                            out.withUnsafeMutableBufferPointer { o in
                                if half {
                                    AttentionKernel.accumulate(query: queries[i], position: positions[i], keys: k, values: v, layout: .f16,
                                                               positions: kp.baseAddress! + start, count: c, headDim: d, scale: scale,
                                                               maximum: &m, sum: &l, out: o.baseAddress!, scratch: sp.baseAddress!)
                                } else {
                                    AttentionKernel.accumulate(query: queries[i], position: positions[i],
                                                               keys: k.assumingMemoryBound(to: Float.self),
                                                               values: v.assumingMemoryBound(to: Float.self),
                                                               positions: kp.baseAddress! + start, count: c, headDim: d, scale: scale,
                                                               maximum: &m, sum: &l, out: o.baseAddress!, scratch: sp.baseAddress!)
                                }
                            }
                            states[i].m = m; states[i].l = l; states[i].o = out
                        }
                        i += width
                    }
                    start += c
                }
            }
        } } }
        return states
    }

    /// Gives `body` the group rows `i ..< i + width` (the third repeats the second when `width` is 2)
    /// over copies of their states, then writes the states back.
    static func withRows(_ i: Int, _ width: Int, _ queries: [[Float]], _ positions: [Int32], _ states: inout [State],
                         _ scores: UnsafeMutablePointer<Float>,
                         _ body: ((AttentionKernel.GroupRow, AttentionKernel.GroupRow, AttentionKernel.GroupRow)) -> Void) {
        let d = states[i].o.count, b = AttentionKernel.blockSize
        let m = UnsafeMutablePointer<Float>.allocate(capacity: 3), l = UnsafeMutablePointer<Float>.allocate(capacity: 3)
        let o = UnsafeMutablePointer<Float>.allocate(capacity: 3 * d)
        let q = UnsafeMutablePointer<Float>.allocate(capacity: 3 * d)
        defer { m.deallocate(); l.deallocate(); o.deallocate(); q.deallocate() }
        for r in 0..<width {
            m[r] = states[i + r].m; l[r] = states[i + r].l
            (o + r * d).initialize(from: states[i + r].o, count: d)
            (q + r * d).initialize(from: queries[i + r], count: d)
        }
        func row(_ r: Int) -> AttentionKernel.GroupRow {
            let s = min(r, width - 1)
            return AttentionKernel.GroupRow(query: q + s * d, position: positions[i + s], maximum: m + s, sum: l + s,
                                            out: o + s * d, scores: scores + r * b)
        }
        body((row(0), row(1), row(2)))
        for r in 0..<width {
            states[i + r].m = m[r]; states[i + r].l = l[r]
            states[i + r].o = Array(UnsafeBufferPointer(start: o + r * d, count: d))
        }
    }

    /// (head dimension, keys, query rows): whole and partial blocks, a lone last key, groups of
    /// three with a pair or a single row left over.
    static let cases: [(Int, Int, Int)] = [(64, 200, 3), (64, 65, 5), (128, 70, 7), (32, 9, 2), (64, 129, 4), (96, 64, 6)]

    @Test("f16 and float32 rows, rows at different positions (some blocks wholly masked for some rows)", arguments: cases)
    func groupedEqualsAlone(d: Int, n: Int, rows: Int) {
        var rng = SeededRandom(seed: UInt64(d * 977 + n * 13 + rows))
        let keys = randomFloats(n * d, &rng), values = randomFloats(n * d, &rng)
        let keyPositions = (0..<n).map { Int32(2 * $0) }
        let queries = (0..<rows).map { _ in randomFloats(d, &rng).map { $0 * 3 } }
        // The first row sees only the first block's keys; the others sit further along, one past every key.
        let positions = (0..<rows).map { $0 == 0 ? Int32(20) : $0 == 1 ? Int32(2 * n) : Int32(rng.next() % UInt64(2 * n)) }
        for half in [true, false] {
            for prefetch in [false, true] {
                let alone = Self.run(grouped: false, half: half, queries: queries, positions: positions, keys: keys, values: values,
                                     keyPositions: keyPositions, d: d, prefetch: prefetch)
                let grouped = Self.run(grouped: true, half: half, queries: queries, positions: positions, keys: keys, values: values,
                                       keyPositions: keyPositions, d: d, prefetch: prefetch)
                for r in 0..<rows {
                    #expect(grouped[r].m.bitPattern == alone[r].m.bitPattern && grouped[r].l.bitPattern == alone[r].l.bitPattern,
                            "d=\(d) n=\(n) row \(r) half \(half): m, l")
                    #expect(grouped[r].o.map(\.bitPattern) == alone[r].o.map(\.bitPattern), "d=\(d) n=\(n) row \(r) half \(half): o")
                }
                // And the normalised output against two-pass float64 attention over the rows as stored.
                let k = half ? keys.map { Float(Float16($0)) } : keys, v = half ? values.map { Float(Float16($0)) } : values
                for r in 0..<rows {
                    let expected = referenceAttention(queries[r], positions[r], k, v, keyPositions, d: d, scale: 1 / Float(d).squareRoot()).o
                    for c in 0..<d {
                        #expect(abs(Double(grouped[r].o[c] / grouped[r].l) - expected[c]) <= 1e-5, "d=\(d) row \(r) dim \(c)")
                    }
                }
            }
        }
    }
}
