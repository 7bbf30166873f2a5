import Foundation
import Testing
@testable import Kernels
import ScopeTestSupport

/// `AttentionKernel.accumulateGroup` (two or three query rows sharing each widened key/value
/// vector or block) against `accumulate` run for each row alone — bit for bit, block after block — and the
/// result against two-pass float64 attention.
@Suite("Grouped streaming attention equals one row at a time, bit for bit")
struct GroupedAttentionTests {
    /// One row's running state.
    struct State: Equatable {
        var m = -Float.infinity, l: Float = 0
        var o: [Float]
        init(d: Int) { o = [Float](repeating: 0, count: d) }
    }

    /// How the test stores its key/value rows.
    enum Format: CaseIterable, CustomStringConvertible {
        case f32, f16, q8_0, q4_0
        var description: String { "\(self)" }

        /// The kernels' layout for rows of `d` values (nil: float32 rows).
        func layout(_ d: Int) -> KVRowLayout? {
            switch self {
            case .f32: nil
            case .f16: .f16
            case .q8_0: .q8_0(rowStride: Self.stride(d, 34))
            case .q4_0: .q4_0(rowStride: Self.stride(d, 18))
            }
        }

        /// Block rows padded to whole 4-byte slots, plus one more slot (rows need not be packed).
        static func stride(_ d: Int, _ blockBytes: Int) -> Int { (d / 32 * blockBytes + 3) / 4 * 4 + 4 }

        /// The bytes of `n` rows of `d` values, and the values as stored (what the kernels read).
        func store(_ x: [Float], d: Int) -> (bytes: [UInt8], stored: [Float]) {
            switch self {
            case .f32: return (x.withUnsafeBytes { Array($0) }, x)
            case .f16: return (x.map { Float16($0) }.withUnsafeBytes { Array($0) }, x.map { Float(Float16($0)) })
            case .q8_0, .q4_0:
                let n = x.count / d, stride = layout(d)!.rowStride(headDim: d), blockBytes = self == .q8_0 ? 34 : 18
                var bytes = [UInt8](repeating: 0xEE, count: n * stride), stored = [Float](repeating: 0, count: x.count)
                for r in 0..<n {
                    for b in 0..<(d / 32) {
                        let v = Array(x[(r * d + 32 * b)..<(r * d + 32 * b + 32)]), at = r * stride + b * blockBytes
                        let amax = v.map(abs).max()!
                        let scale = Float16(self == .q8_0 ? amax / 127 : amax / 8), s = Float(scale)
                        withUnsafeBytes(of: scale.bitPattern.littleEndian) { bytes[at] = $0[0]; bytes[at + 1] = $0[1] }
                        let codes = v.map { s == 0 ? 0 : Int(($0 / s).rounded()) }
                        for i in 0..<(blockBytes - 2) { bytes[at + 2 + i] = 0 }
                        for i in 0..<32 {
                            if self == .q8_0 {
                                let c = max(-127, min(127, codes[i]))
                                bytes[at + 2 + i] = UInt8(bitPattern: Int8(c))
                                stored[r * d + 32 * b + i] = s * Float(c)
                            } else {
                                let c = max(-8, min(7, codes[i]))
                                let shift = i < 16 ? 0 : 4, byte = at + 2 + i % 16
                                bytes[byte] |= UInt8(c + 8) << shift
                                stored[r * d + 32 * b + i] = s * Float(c)
                            }
                        }
                    }
                }
                return (bytes, stored)
            }
        }
    }

    /// Folds every block of `n` stored rows (in `format`) into the states of the queries, grouped
    /// or one at a time. `queries[i]` sees keys at positions ≤ `positions[i]`.
    static func run(grouped: Bool, format: Format, queries: [[Float]], positions: [Int32], keys kBytes: [UInt8], values vBytes: [UInt8],
                    keyPositions: [Int32], d: Int, prefetch: Bool) -> [State] {
        let n = keyPositions.count, b = AttentionKernel.blockSize, scale = 1 / Float(d).squareRoot()
        var states = queries.map { _ in State(d: d) }
        let layout = format.layout(d), rowBytes = layout?.rowStride(headDim: d) ?? 4 * d
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
                                AttentionKernel.accumulateGroup(rows, three: width == 3, layout: layout, keys: k, values: v,
                                                                positions: kp.baseAddress! + start, count: c, headDim: d,
                                                                scale: scale, prefetch: next)
                            }
                        } else {
                            var m = states[i].m, l = states[i].l, out = states[i].o
                            out.withUnsafeMutableBufferPointer { o in
                                if let layout {
                                    AttentionKernel.accumulate(query: queries[i], position: positions[i], keys: k, values: v, layout: layout,
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

    @Test("float32, f16, q8_0 and q4_0 rows, rows at different positions (some blocks wholly masked for some rows)", arguments: cases)
    func groupedEqualsAlone(d: Int, n: Int, rows: Int) {
        var rng = SeededRandom(seed: UInt64(d * 977 + n * 13 + rows))
        let keys = randomFloats(n * d, &rng), values = randomFloats(n * d, &rng)
        let keyPositions = (0..<n).map { Int32(2 * $0) }
        let queries = (0..<rows).map { _ in randomFloats(d, &rng).map { $0 * 3 } }
        // The first row sees only the first block's keys; the others sit further along, one past every key.
        let positions = (0..<rows).map { $0 == 0 ? Int32(20) : $0 == 1 ? Int32(2 * n) : Int32(rng.next() % UInt64(2 * n)) }
        for format in Format.allCases {
            let (k, storedKeys) = format.store(keys, d: d), (v, storedValues) = format.store(values, d: d)
            for prefetch in [false, true] {
                let alone = Self.run(grouped: false, format: format, queries: queries, positions: positions, keys: k, values: v,
                                     keyPositions: keyPositions, d: d, prefetch: prefetch)
                let grouped = Self.run(grouped: true, format: format, queries: queries, positions: positions, keys: k, values: v,
                                       keyPositions: keyPositions, d: d, prefetch: prefetch)
                for r in 0..<rows {
                    #expect(grouped[r].m.bitPattern == alone[r].m.bitPattern && grouped[r].l.bitPattern == alone[r].l.bitPattern,
                            "d=\(d) n=\(n) row \(r) \(format): m, l")
                    #expect(grouped[r].o.map(\.bitPattern) == alone[r].o.map(\.bitPattern), "d=\(d) n=\(n) row \(r) \(format): o")
                }
                // And the normalised output against two-pass float64 attention over the rows as stored.
                for r in 0..<rows {
                    let expected = referenceAttention(queries[r], positions[r], storedKeys, storedValues, keyPositions, d: d,
                                                      scale: 1 / Float(d).squareRoot()).o
                    for c in 0..<d {
                        #expect(abs(Double(grouped[r].o[c] / grouped[r].l) - expected[c]) <= 1e-5, "d=\(d) row \(r) dim \(c) \(format)")
                    }
                }
            }
        }
    }
}
