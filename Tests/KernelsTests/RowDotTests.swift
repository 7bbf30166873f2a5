import GGUF
import Testing
@testable import Kernels
import ScopeTestSupport

@Suite("RowDot: fast row kernels against the scalar reference")
struct RowDotTests {
    static let types: [GGMLType] = [.f32, .f16, .q8_0, .q4_1, .q4_0, .q5_0, .q5_1, .q4_K, .q6_K]

    @Test("dot(row, x) equals dequantize-then-dot for every type, over several blocks and rows", arguments: types)
    func dotMatchesReference(type: GGMLType) throws {
        var rng = SeededRandom(seed: 42 &+ UInt64(type.rawValue))
        let cols = type.blockSize >= 256 ? 512 : 160   // several blocks; 160 has a tail past 128
        let rows = 7
        let bytes = randomRows(type, rows: rows, cols: cols, &rng)
        let x = randomFloats(cols, &rng)
        var sums = [Float](repeating: 0, count: cols / 32)
        x.withUnsafeBufferPointer { RowDot.blockSums($0.baseAddress!, count: cols, into: &sums) }
        var scratch = [Float](repeating: 0, count: cols)
        let rowBytes = rowByteCount(type, elements: cols)
        try bytes.withUnsafeBytes { raw in
            for r in 0..<rows {
                let row = raw.baseAddress! + r * rowBytes
                let fast = x.withUnsafeBufferPointer { xp in
                    sums.withUnsafeBufferPointer { sp in
                        RowDot.dot(type, row, xp.baseAddress!, blockSums: sp.baseAddress!, count: cols, scratch: &scratch)
                    }
                }
                let ref = try referenceDot(type, row, x)
                #expect(abs(Double(fast) - ref.dot) <= 1e-5 * ref.magnitude + 1e-6, "row \(r): \(fast) vs \(ref.dot)")
            }
        }
    }

    @Test("dequantize(row) equals GGUF.Dequantize.row", arguments: types)
    func dequantizeMatchesReference(type: GGMLType) throws {
        var rng = SeededRandom(seed: 7 &+ UInt64(type.rawValue))
        let cols = type.blockSize >= 256 ? 512 : 96
        let bytes = randomRows(type, rows: 3, cols: cols, &rng)
        let rowBytes = rowByteCount(type, elements: cols)
        try bytes.withUnsafeBytes { raw in
            for r in 0..<3 {
                var fast = [Float](repeating: .nan, count: cols), ref = fast
                RowDot.dequantize(type, raw.baseAddress! + r * rowBytes, into: &fast, count: cols)
                try Dequantize.row(type, from: raw.baseAddress! + r * rowBytes, into: &ref, count: cols)
                for i in 0..<cols { #expect(abs(fast[i] - ref[i]) <= 1e-6 * max(1, abs(ref[i])), "element \(i)") }
            }
        }
    }

    @Test("dotF32 handles lengths that are not multiples of the vector width")
    func dotF32Tails() {
        var rng = SeededRandom(seed: 3)
        for n in [0, 1, 7, 8, 31, 33, 100] {
            let a = randomFloats(n, &rng), b = randomFloats(n, &rng)
            var ref = 0.0
            for i in 0..<n { ref += Double(a[i]) * Double(b[i]) }
            let fast = RowDot.dotF32(a, b, n)
            #expect(abs(Double(fast) - ref) <= 1e-5 * Double(max(1, n)), "n=\(n)")
        }
    }
}

@Suite("8-bit activations (opt-in)")
struct Q8ActivationTests {
    @Test("quantization follows llama.cpp's rule: d = max|x|/127, |x - q·d| ≤ d/2")
    func quantizationError() {
        var rng = SeededRandom(seed: 11)
        let x = randomFloats(96, &rng)
        let a = Q8Activations(x, count: 96)
        for b in 0..<3 {
            let amax = x[(32 * b)..<(32 * b + 32)].map(abs).max()!
            #expect(abs(a.scales[b] - amax / 127) <= 1e-7)
            var s = 0
            for j in 0..<32 {
                #expect(abs(x[32 * b + j] - a.value(32 * b + j)) <= a.scales[b] / 2 + 1e-7)
                s += Int(a.qs[32 * b + j])
            }
            #expect(abs(a.sums[b] - a.scales[b] * Float(s)) <= 1e-5)
        }
    }

    @Test("integer dot equals the float dot of the dequantized weights and activations", arguments: [GGMLType.q4_1, .q8_0])
    func integerDotMatchesReference(type: GGMLType) throws {
        var rng = SeededRandom(seed: 21 &+ UInt64(type.rawValue))
        let cols = 160, rows = 5
        let bytes = randomRows(type, rows: rows, cols: cols, &rng)
        let x = randomFloats(cols, &rng)
        let a = Q8Activations(x, count: cols)
        let xq = (0..<cols).map { a.value($0) }
        let rowBytes = rowByteCount(type, elements: cols)
        try bytes.withUnsafeBytes { raw in
            for r in 0..<rows {
                let ref = try referenceDot(type, raw.baseAddress! + r * rowBytes, xq)
                let fast = RowDot.dotQ8(type, raw.baseAddress! + r * rowBytes, a)
                #expect(abs(Double(fast) - ref.dot) <= 1e-5 * ref.magnitude + 1e-6, "row \(r)")
            }
        }
    }
}
