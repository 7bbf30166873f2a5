import GGUF
import Testing
@testable import Kernels
import ScopeTestSupport

@Suite("MatMul: matrix-vector and matrix-matrix products against a naive product")
struct MatMulTests {
    /// Naive `Y = X·Wᵀ` in float64 from the reference dequantizer.
    func naive(_ type: GGMLType, _ bytes: [UInt8], rows: Int, cols: Int, _ x: [Float], n: Int) throws -> [Double] {
        var w = [Float](repeating: 0, count: rows * cols)
        try bytes.withUnsafeBytes { try Dequantize.row(type, from: $0.baseAddress!, into: &w, count: rows * cols) }
        var y = [Double](repeating: 0, count: n * rows)
        for t in 0..<n {
            for r in 0..<rows {
                var s = 0.0
                for c in 0..<cols { s += Double(w[r * cols + c]) * Double(x[t * cols + c]) }
                y[t * rows + r] = s
            }
        }
        return y
    }

    @Test("matmul equals the naive product for decode and prefill shapes",
          arguments: [(GGMLType.q4_1, 1), (.q4_1, 3), (.q4_1, 70), (.q8_0, 1), (.q8_0, 67), (.f16, 5), (.f32, 2), (.q6_K, 4)])
    func matmulMatchesNaive(type: GGMLType, n: Int) throws {
        var rng = SeededRandom(seed: UInt64(n) &* 31 &+ UInt64(type.rawValue))
        let rows = 37                                   // not a multiple of the 4-row kernel or the 16-row panel
        let cols = type.blockSize >= 256 ? 256 : 96     // three blocks of 32
        let bytes = randomRows(type, rows: rows, cols: cols, &rng)
        let x = randomFloats(n * cols, &rng)
        let expected = try naive(type, bytes, rows: rows, cols: cols, x, n: n)
        let pool = ThreadPool(threads: 3)
        var y = [Float](repeating: .nan, count: n * rows)
        bytes.withUnsafeBytes { raw in
            let w = WeightMatrix(name: "w", type: type, rows: rows, cols: cols, base: raw.baseAddress!)
            x.withUnsafeBufferPointer { MatMul.matmul(w, $0.baseAddress!, n: n, &y, pool: pool) }
        }
        for i in 0..<(n * rows) {
            #expect(abs(Double(y[i]) - expected[i]) <= 1e-4 * max(1, abs(expected[i])), "element \(i): \(y[i]) vs \(expected[i])")
        }
    }

    @Test("fused products (Q, K, V in one job) equal separate products", arguments: [1, 20])
    func fusedEqualsSeparate(n: Int) throws {
        var rng = SeededRandom(seed: 99 &+ UInt64(n))
        let cols = 64
        let shapes = [(GGMLType.q4_1, 40), (.q8_0, 8), (.q4_1, 17)]
        let data = shapes.map { randomRows($0.0, rows: $0.1, cols: cols, &rng) }
        let x = randomFloats(n * cols, &rng)
        let pool = ThreadPool(threads: 2)
        var fused = shapes.map { [Float](repeating: .nan, count: n * $0.1) }
        var separate = fused
        try withMatrices(shapes, data, cols: cols) { ws in
            try x.withUnsafeBufferPointer { xp in
                let outs = fused.indices.map { i in UnsafeMutablePointer<Float>.allocate(capacity: n * shapes[i].1) }
                defer { outs.forEach { $0.deallocate() } }
                MatMul.matmul(ws, xp.baseAddress!, n: n, outs, pool: pool)
                for i in outs.indices { fused[i] = Array(UnsafeBufferPointer(start: outs[i], count: n * shapes[i].1)) }
                for i in ws.indices { MatMul.matmul(ws[i], xp.baseAddress!, n: n, &separate[i], pool: pool) }
                for i in ws.indices {
                    let ref = try naive(shapes[i].0, data[i], rows: shapes[i].1, cols: cols, x, n: n)
                    for j in 0..<ref.count { #expect(abs(Double(fused[i][j]) - ref[j]) <= 1e-4) }
                }
            }
        }
        #expect(fused == separate)
    }

    func withMatrices(_ shapes: [(GGMLType, Int)], _ data: [[UInt8]], cols: Int, _ body: ([WeightMatrix]) throws -> Void) throws {
        let buffers = data.map { d -> UnsafeMutableRawPointer in
            let p = UnsafeMutableRawPointer.allocate(byteCount: d.count, alignment: 32)
            p.copyMemory(from: d, byteCount: d.count)
            return p
        }
        defer { buffers.forEach { $0.deallocate() } }
        let ws = shapes.indices.map { WeightMatrix(name: "w\($0)", type: shapes[$0].0, rows: shapes[$0].1, cols: cols, base: buffers[$0]) }
        try body(ws)
    }
}
