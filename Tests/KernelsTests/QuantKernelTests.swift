import GGUF
import Testing
@testable import Kernels
import ScopeTestSupport

/// Random rows of `type` with finite values: `randomRows` (finite f16 scales, random quant bytes)
/// plus finite BF16 values, which random bytes would not guarantee.
func finiteRows(_ type: GGMLType, rows: Int, cols: Int, _ rng: inout SeededRandom) -> [UInt8] {
    guard type == .bf16 else { return randomRows(type, rows: rows, cols: cols, &rng) }
    var bytes = [UInt8](repeating: 0, count: rows * cols * 2)
    for i in 0..<(rows * cols) {
        let bits = UInt16(Float.random(in: -4..<4, using: &rng).bitPattern >> 16)
        bytes[2 * i] = UInt8(bits & 0xFF)
        bytes[2 * i + 1] = UInt8(bits >> 8)
    }
    return bytes
}

@Suite("Fused kernels for BF16, Q4_0, Q5_0, Q5_1 and the K-quants")
struct QuantKernelTests {
    /// The types that gained fused dot kernels and fast dequantizers.
    static let types: [GGMLType] = [.bf16, .q4_0, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]

    /// Row lengths: one block, several blocks, and (for K-quants) several super-blocks of 256.
    static func lengths(_ type: GGMLType) -> [Int] {
        switch type.blockSize {
        case 256: return [256, 768, 1536]
        case 32: return [32, 96, 576]
        default: return [1, 7, 16, 45, 576]   // BF16: vector tails
        }
    }

    @Test("every new type has a fused kernel and is accepted by WeightMatrix", arguments: types)
    func typeIsFused(type: GGMLType) {
        #expect(RowDot.hasFusedKernel(type))
        #expect(RowDot.isSupported(type))
    }

    @Test("fused dot equals the reference dequantizer followed by a float64 dot (relative 2e-6)", arguments: types)
    func fusedDotMatchesReference(type: GGMLType) throws {
        var rng = SeededRandom(seed: 1000 &+ UInt64(type.rawValue))
        for cols in Self.lengths(type) {
            let rows = 5
            let bytes = finiteRows(type, rows: rows, cols: cols, &rng)
            let x = randomFloats(cols, &rng)
            let rowBytes = rowByteCount(type, elements: cols)
            try bytes.withUnsafeBytes { raw in
                for r in 0..<rows {
                    let row = raw.baseAddress! + r * rowBytes
                    // No scratch: a fused kernel must not need it.
                    let fast = x.withUnsafeBufferPointer {
                        RowDot.dot(type, row, $0.baseAddress!, blockSums: nil, count: cols, scratch: nil)
                    }
                    let ref = try referenceDot(type, row, x)
                    #expect(ref.magnitude > 0, "degenerate test row")
                    #expect(abs(Double(fast) - ref.dot) <= 2e-6 * ref.magnitude,
                            "\(type.name) cols \(cols) row \(r): \(fast) vs \(ref.dot) (Σ|w·x| = \(ref.magnitude))")
                }
            }
        }
    }

    @Test("fast dequantizer is bit-identical to GGUF.Dequantize.row", arguments: types)
    func fastDequantizeIsBitExact(type: GGMLType) throws {
        var rng = SeededRandom(seed: 2000 &+ UInt64(type.rawValue))
        for cols in Self.lengths(type) {
            let rows = 3
            let bytes = finiteRows(type, rows: rows, cols: cols, &rng)
            let rowBytes = rowByteCount(type, elements: cols)
            try bytes.withUnsafeBytes { raw in
                for r in 0..<rows {
                    let row = raw.baseAddress! + r * rowBytes
                    var fast = [Float](repeating: .nan, count: cols), ref = [Float](repeating: 0, count: cols)
                    RowDot.dequantize(type, row, into: &fast, count: cols)
                    try Dequantize.row(type, from: row, into: &ref, count: cols)
                    let mismatches = (0..<cols).filter { fast[$0].bitPattern != ref[$0].bitPattern }
                    #expect(mismatches.isEmpty, "\(type.name) cols \(cols) row \(r): first mismatch at \(mismatches.first ?? -1)")
                }
            }
        }
    }

    @Test("decode and prefill products use the fast paths and equal the naive product", arguments: types)
    func matmulMatchesNaive(type: GGMLType) throws {
        var rng = SeededRandom(seed: 4000 &+ UInt64(type.rawValue))
        let rows = 21, cols = type.blockSize == 256 ? 512 : 160
        let bytes = finiteRows(type, rows: rows, cols: cols, &rng)
        var w = [Float](repeating: 0, count: rows * cols)
        try bytes.withUnsafeBytes { try Dequantize.row(type, from: $0.baseAddress!, into: &w, count: rows * cols) }
        let pool = ThreadPool(threads: 2)
        for n in [1, 5] {
            let x = randomFloats(n * cols, &rng)
            var y = [Float](repeating: .nan, count: n * rows)
            bytes.withUnsafeBytes { raw in
                let m = WeightMatrix(name: "w", type: type, rows: rows, cols: cols, base: raw.baseAddress!)
                x.withUnsafeBufferPointer { MatMul.matmul(m, $0.baseAddress!, n: n, &y, pool: pool) }
            }
            for t in 0..<n {
                for r in 0..<rows {
                    var s = 0.0, mag = 0.0
                    for c in 0..<cols {
                        let p = Double(w[r * cols + c]) * Double(x[t * cols + c])
                        s += p
                        mag += abs(p)
                    }
                    #expect(abs(Double(y[t * rows + r]) - s) <= 2e-6 * mag, "\(type.name) n \(n) token \(t) row \(r)")
                }
            }
        }
    }
}

@Suite("Weight type support")
struct WeightTypeSupportTests {
    @Test("types without a dequantizer (IQ*, TQ*, integers, activation formats) are rejected up front")
    func unsupportedTypesAreRejected() {
        for type in GGMLType.allCases {
            let expected = type.canDequantize && type != .q8_1 && type != .q8_K
            #expect(RowDot.isSupported(type) == expected, "\(type.name)")
            if expected { #expect(RowDot.hasFusedKernel(type), "\(type.name) has no fused kernel") }
        }
    }
}
