import GGUF
import Testing
@testable import Kernels
import ScopeTestSupport

/// Q4_1 and Q8_0 matrices repacked for the eight-row q8 kernels (`PackedMatrix`): the layout holds
/// exactly the file's bytes, and products and dequantized rows read from it equal those of the
/// file's layout bit for bit, and the documented per-row roundings computed independently here.
@Suite("PackedMatrix: the repacked layouts and their products")
struct PackedMatrixTests {
    static let rows = 72      // one full 64-row decode task and a partial one of 8
    static let cols = 96
    static let types: [GGMLType] = [.q4_1, .q8_0]

    /// Calls `body` with the matrix in `bytes` and the same matrix reading a packed copy (made here
    /// in every build: builds whose kernels do not read packed matrices must ignore it).
    static func withMatrices(_ type: GGMLType, _ bytes: UnsafeRawBufferPointer,
                             _ body: (_ plain: WeightMatrix, _ packed: WeightMatrix) -> Void) {
        let w = WeightMatrix(name: "w", type: type, rows: rows, cols: cols, base: bytes.baseAddress!)
        let copy = UnsafeMutableRawPointer.allocate(byteCount: PackedMatrix.byteCount(w), alignment: 64)
        defer { copy.deallocate() }
        PackedMatrix.pack(w, into: copy)
        body(w, w.reading(packed: UnsafeRawPointer(copy)))
    }

    /// The documented roundings of row `r` times one token's activations, from the bytes: the exact
    /// integer dot per block, then `acc = fma(dot, d·d_a, acc)` (and for Q4_1
    /// `minAcc = fma(m, s_a, minAcc)`, result `acc + minAcc`).
    static func closedForm(_ type: GGMLType, _ bytes: [UInt8], row r: Int, _ a: Q8Activations, token t: Int) -> Float {
        let nb = cols / 32, rowBytes = rowByteCount(type, elements: cols)
        func half(_ o: Int) -> Float { Float(Float16(bitPattern: UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8)) }
        var acc: Float = 0, minAcc: Float = 0
        for b in 0..<nb {
            let q = { (i: Int) in Int(a.qs[t * cols + 32 * b + i]) }
            let scale = a.scales[t * nb + b]
            var dot = 0
            if type == .q4_1 {
                let blk = r * rowBytes + b * 20
                for j in 0..<16 {
                    let byte = Int(bytes[blk + 4 + j])
                    dot += (byte & 0xF) * q(j) + (byte >> 4) * q(16 + j)
                }
                acc = acc.addingProduct(Float(dot), half(blk) * scale)
                minAcc = minAcc.addingProduct(half(blk + 2), a.sums[t * nb + b])
            } else {
                let blk = r * rowBytes + b * 34
                for j in 0..<32 { dot += Int(Int8(bitPattern: bytes[blk + 2 + j])) * q(j) }
                acc = acc.addingProduct(Float(dot), half(blk) * scale)
            }
        }
        return type == .q4_1 ? acc + minAcc : acc
    }

    @Test("unpackRow restores every row's bytes of the file's layout", arguments: types)
    func roundTrip(type: GGMLType) {
        var rng = SeededRandom(seed: 41 &+ UInt64(type.rawValue))
        let bytes = randomRows(type, rows: Self.rows, cols: Self.cols, &rng)
        bytes.withUnsafeBytes { raw in
            Self.withMatrices(type, raw) { plain, packed in
                var row = [UInt8](repeating: 0, count: plain.rowBytes)
                for r in 0..<Self.rows {
                    row.withUnsafeMutableBytes { PackedMatrix.unpackRow(plain.data, packed.packed!, row: r, into: $0.baseAddress!) }
                    #expect(row == Array(bytes[(r * plain.rowBytes)..<((r + 1) * plain.rowBytes)]), "row \(r)")
                }
                // Group 1, block 2 holds row 9's d at byte 2 (row 9 is lane 1).
                let blockBytes = type == .q4_1 ? Q4_1Packed.blockBytes : Q8_0Packed.blockBytes
                let block = packed.packed! + (1 * (Self.cols / 32) + 2) * blockBytes
                #expect(block.loadUnaligned(fromByteOffset: 2, as: UInt16.self)
                        == (plain.row(9) + 2 * (plain.rowBytes / (Self.cols / 32))).loadUnaligned(as: UInt16.self))
            }
        }
    }

    @Test("dequantizeRow of the packed matrix equals the file's rows", arguments: types)
    func dequantizeMatches(type: GGMLType) {
        var rng = SeededRandom(seed: 42 &+ UInt64(type.rawValue))
        let bytes = randomRows(type, rows: Self.rows, cols: Self.cols, &rng)
        bytes.withUnsafeBytes { raw in
            Self.withMatrices(type, raw) { plain, packed in
                var a = [Float](repeating: 0, count: Self.cols), b = a
                for r in 0..<Self.rows {
                    a.withUnsafeMutableBufferPointer { plain.dequantizeRow(r, into: $0.baseAddress!) }
                    b.withUnsafeMutableBufferPointer { packed.dequantizeRow(r, into: $0.baseAddress!) }
                    #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "row \(r)")
                }
            }
        }
    }

    @Test("q8 products: packed equals the file's layout and the per-row roundings, for 1…17 tokens", arguments: types)
    func productsMatch(type: GGMLType) {
        var rng = SeededRandom(seed: 43 &+ UInt64(type.rawValue))
        let bytes = randomRows(type, rows: Self.rows, cols: Self.cols, &rng)
        let pool = ThreadPool(threads: 2)
        bytes.withUnsafeBytes { raw in
            Self.withMatrices(type, raw) { plain, packed in
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
                    let a = x.withUnsafeBufferPointer { Q8Activations($0.baseAddress!, count: n * Self.cols, rows: n) }
                    for t in 0..<n {
                        for r in 0..<Self.rows {
                            #expect(Self.closedForm(type, bytes, row: r, a, token: t).bitPattern == viaPacked[t * Self.rows + r].bitPattern,
                                    "n=\(n) token \(t) row \(r)")
                        }
                    }
                }
            }
        }
    }

    @Test("every packed kernel of this build and CPU (AVX2, and VNNI where present) gives the documented bits",
          .enabled(if: !PackedMatrix.availableKernels.isEmpty, "this build has no packed kernel (generic SIMD kernels)"),
          arguments: types)
    func kernelsAgree(type: GGMLType) {
        var rng = SeededRandom(seed: 45 &+ UInt64(type.rawValue))
        let bytes = randomRows(type, rows: Self.rows, cols: Self.cols, &rng)
        let nb = Self.cols / 32
        bytes.withUnsafeBytes { raw in
            Self.withMatrices(type, raw) { _, packed in
                for n in [1, 2, 3, 5, 7, 8] {
                    let x = randomFloats(n * Self.cols, &rng)
                    let a = x.withUnsafeBufferPointer { Q8Activations($0.baseAddress!, count: n * Self.cols, rows: n) }
                    for kernel in PackedMatrix.availableKernels {
                        // Rows of the second group onwards: a range that does not start at 0.
                        var y = [Float](repeating: .nan, count: n * Self.rows)
                        y.withUnsafeMutableBufferPointer {
                            if type == .q4_1 {
                                Q4_1Packed.product(packed.packed!, nb: nb, rows: 8..<Self.rows, Q8View(a), firstToken: 0, tokens: n,
                                                   $0.baseAddress!, yStride: Self.rows, kernel: kernel)
                            } else {
                                Q8_0Packed.product(packed.packed!, nb: nb, rows: 8..<Self.rows, Q8View(a), firstToken: 0, tokens: n,
                                                   $0.baseAddress!, yStride: Self.rows, kernel: kernel)
                            }
                        }
                        for t in 0..<n {
                            #expect((0..<8).allSatisfy { y[t * Self.rows + $0].isNaN }, "\(kernel) wrote rows outside its range")
                            for r in 8..<Self.rows {
                                #expect(y[t * Self.rows + r].bitPattern == Self.closedForm(type, bytes, row: r, a, token: t).bitPattern,
                                        "\(kernel) n=\(n) token \(t) row \(r)")
                            }
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
        var expected = 0
        for (type, rows) in [(GGMLType.q4_1, 16), (.q4_1, 12), (.q8_0, 16), (.q8_0, 20), (.f16, 16)] {
            let bytes = randomRows(type, rows: rows, cols: 64, &rng)
            bytes.withUnsafeBytes { raw in
                let w = WeightMatrix(name: "w", type: type, rows: rows, cols: 64, base: raw.baseAddress!)
                let p = store.packed(w)
                let packable = PackedMatrix.isPackable(type, rows: rows, cols: 64)
                #expect((p.packed != nil) == packable, "\(type.name) \(rows) rows")
                if packable { expected += w.rows * w.rowBytes }
            }
        }
        #expect(store.byteCount == expected)
    }
}
