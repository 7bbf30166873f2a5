import GGUF
import Testing
@testable import Kernels
import ScopeTestSupport

/// Q4_1 matrices repacked for the eight-row q8 kernels (`Q4_1Packed`): the layout holds exactly the
/// file's bytes, and products and dequantized rows read from it equal those of the file's layout
/// bit for bit, and the documented per-row roundings computed independently here.
@Suite("Q4_1Packed: the repacked layout and its products")
struct Q4_1PackedTests {
    static let rows = 72      // one full 64-row decode task and a partial one of 8
    static let cols = 96

    /// Calls `body` with the Q4_1 matrix in `bytes` and the same matrix reading a packed copy (made
    /// here in every build: builds whose kernels do not read packed matrices must ignore it).
    static func withMatrices(_ bytes: UnsafeRawBufferPointer, _ body: (_ plain: WeightMatrix, _ packed: WeightMatrix) -> Void) {
        let w = WeightMatrix(name: "w", type: .q4_1, rows: rows, cols: cols, base: bytes.baseAddress!)
        let copy = UnsafeMutableRawPointer.allocate(byteCount: Q4_1Packed.byteCount(rows: rows, cols: cols), alignment: 64)
        defer { copy.deallocate() }
        Q4_1Packed.pack(w, into: copy)
        body(w, w.reading(packed: UnsafeRawPointer(copy)))
    }

    @Test("unpackRow restores every row's bytes of the file's layout")
    func roundTrip() {
        var rng = SeededRandom(seed: 41)
        let bytes = randomRows(.q4_1, rows: Self.rows, cols: Self.cols, &rng)
        bytes.withUnsafeBytes { raw in
            let w = WeightMatrix(name: "w", type: .q4_1, rows: Self.rows, cols: Self.cols, base: raw.baseAddress!)
            let packed = UnsafeMutableRawPointer.allocate(byteCount: Q4_1Packed.byteCount(rows: Self.rows, cols: Self.cols),
                                                          alignment: 64)
            defer { packed.deallocate() }
            Q4_1Packed.pack(w, into: packed)
            var row = [UInt8](repeating: 0, count: w.rowBytes)
            for r in 0..<Self.rows {
                row.withUnsafeMutableBytes { Q4_1Packed.unpackRow(packed, nb: Self.cols / 32, row: r, into: $0.baseAddress!) }
                #expect(row == Array(bytes[(r * w.rowBytes)..<((r + 1) * w.rowBytes)]), "row \(r)")
            }
            // The packed block of group 1, block 2 holds row 9's d at byte 2 (row 9 is lane 1).
            let block = packed + (1 * (Self.cols / 32) + 2) * Q4_1Packed.blockBytes
            #expect(block.loadUnaligned(fromByteOffset: 2, as: UInt16.self)
                    == UnsafeRawPointer(w.row(9) + 2 * 20).loadUnaligned(as: UInt16.self))
        }
    }

    @Test("dequantizeRow of the packed matrix equals the file's rows")
    func dequantizeMatches() {
        var rng = SeededRandom(seed: 42)
        let bytes = randomRows(.q4_1, rows: Self.rows, cols: Self.cols, &rng)
        bytes.withUnsafeBytes { raw in
            Self.withMatrices(raw) { plain, packed in
            var a = [Float](repeating: 0, count: Self.cols), b = a
            for r in 0..<Self.rows {
                a.withUnsafeMutableBufferPointer { plain.dequantizeRow(r, into: $0.baseAddress!) }
                b.withUnsafeMutableBufferPointer { packed.dequantizeRow(r, into: $0.baseAddress!) }
                #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "row \(r)")
            }
            }
        }
    }

    @Test("q8 products: packed equals the file's layout and the per-row roundings, for 1…17 tokens")
    func productsMatch() {
        var rng = SeededRandom(seed: 43)
        let bytes = randomRows(.q4_1, rows: Self.rows, cols: Self.cols, &rng)
        let pool = ThreadPool(threads: 2)
        let nb = Self.cols / 32
        bytes.withUnsafeBytes { raw in
            Self.withMatrices(raw) { plain, packed in
            for n in [1, 2, 3, 4, 5, 8, 9, 17] {
                let x = randomFloats(n * Self.cols, &rng)
                var viaPacked = [Float](repeating: .nan, count: n * Self.rows), viaPlain = viaPacked
                x.withUnsafeBufferPointer { xp in
                    viaPacked.withUnsafeMutableBufferPointer {
                        MatMul.matvecRows([packed], xp.baseAddress!, n: n, [$0.baseAddress!], pool: pool, activations: .q8)
                    }
                    viaPlain.withUnsafeMutableBufferPointer {
                        MatMul.matvecRows([plain], xp.baseAddress!, n: n, [$0.baseAddress!], pool: pool, activations: .q8)
                    }
                }
                #expect(viaPacked.map(\.bitPattern) == viaPlain.map(\.bitPattern), "n=\(n)")
                // The documented roundings, from the bytes: exact integer dot per block, then
                // acc = fma(dot, d·d_a, acc), minAcc = fma(m, s_a, minAcc), result acc + minAcc.
                for t in 0..<n {
                    let a = Q8Activations(x.withUnsafeBufferPointer { $0.baseAddress! + t * Self.cols }, count: Self.cols)
                    for r in 0..<Self.rows {
                        var acc: Float = 0, minAcc: Float = 0
                        for b in 0..<nb {
                            let blk = r * plain.rowBytes + b * 20
                            func half(_ o: Int) -> Float { Float(Float16(bitPattern: UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8)) }
                            var dot = 0
                            for j in 0..<16 {
                                let byte = Int(bytes[blk + 4 + j])
                                dot += (byte & 0xF) * Int(a.qs[32 * b + j]) + (byte >> 4) * Int(a.qs[32 * b + 16 + j])
                            }
                            acc = acc.addingProduct(Float(dot), half(blk) * a.scales[b])
                            minAcc = minAcc.addingProduct(half(blk + 2), a.sums[b])
                        }
                        #expect((acc + minAcc).bitPattern == viaPacked[t * Self.rows + r].bitPattern, "n=\(n) token \(t) row \(r)")
                    }
                }
            }
            }
        }
    }

    @Test("every packed kernel of this build and CPU (AVX2, and VNNI where present) gives the same bits",
          .enabled(if: !Q4_1Packed.availableKernels.isEmpty, "this build has no packed kernel (generic SIMD kernels)"))
    func kernelsAgree() {
        var rng = SeededRandom(seed: 45)
        let bytes = randomRows(.q4_1, rows: Self.rows, cols: Self.cols, &rng)
        let nb = Self.cols / 32
        bytes.withUnsafeBytes { raw in
            Self.withMatrices(raw) { plain, packed in
                for n in [1, 2, 3, 8] {
                    let x = randomFloats(n * Self.cols, &rng)
                    let a = x.withUnsafeBufferPointer { Q8Activations($0.baseAddress!, count: n * Self.cols, rows: n) }
                    // Each kernel on the rows of the second group onwards (a range not starting at 0).
                    let results = Q4_1Packed.availableKernels.map { kernel in
                        var y = [Float](repeating: .nan, count: n * Self.rows)
                        y.withUnsafeMutableBufferPointer {
                            Q4_1Packed.product(packed.packed!, nb: nb, rows: 8..<Self.rows, Q8View(a), firstToken: 0, tokens: n,
                                               $0.baseAddress!, yStride: Self.rows, kernel: kernel)
                        }
                        return y
                    }
                    // Against the lone-row kernel of the file's layout.
                    for t in 0..<n {
                        for r in 8..<Self.rows {
                            let lone = RowDot.dotQ4_1Q8(plain.row(r), UnsafeRawPointer(a.qs + t * Self.cols), a.scales + t * nb,
                                                        a.sums + t * nb, nb)
                            for (k, y) in zip(Q4_1Packed.availableKernels, results) {
                                #expect(y[t * Self.rows + r].bitPattern == lone.bitPattern, "\(k) n=\(n) token \(t) row \(r)")
                            }
                        }
                        for (k, y) in zip(Q4_1Packed.availableKernels, results) {
                            #expect((0..<8).allSatisfy { y[t * Self.rows + $0].isNaN }, "\(k) wrote rows outside its range")
                        }
                    }
                }
            }
        }
    }

    @Test("a store packs exactly the matrices this build's kernels read packed")
    func storeEligibility() {
        var rng = SeededRandom(seed: 44)
        let store = PackedWeightStore()
        for (type, rows) in [(GGMLType.q4_1, 16), (.q4_1, 12), (.q8_0, 16)] {
            let bytes = randomRows(type, rows: rows, cols: 64, &rng)
            bytes.withUnsafeBytes { raw in
                let w = WeightMatrix(name: "w", type: type, rows: rows, cols: 64, base: raw.baseAddress!)
                let p = store.packed(w)
                #expect((p.packed != nil) == Q4_1Packed.isPackable(type, rows: rows, cols: 64), "\(type.name) \(rows) rows")
            }
        }
        let expected = Q4_1Packed.isPackable(.q4_1, rows: 16, cols: 64) ? Q4_1Packed.byteCount(rows: 16, cols: 64) : 0
        #expect(store.byteCount == expected)
    }
}
