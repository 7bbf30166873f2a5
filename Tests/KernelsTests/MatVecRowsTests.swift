import GGUF
import Testing
@testable import Kernels
import ScopeTestSupport

/// `MatMul.matvecRows` (batched decode) against `matvec` of each row alone: bit-identical, in float32
/// and q8 activations, for every batch size around the 4- and 8-row groups of the shared-decode kernels.
@Suite("MatMul.matvecRows: each row bit-identical to matvec alone")
struct MatVecRowsTests {
    @Test("every row equals matvec of that row alone",
          arguments: [GGMLType.q4_1, .q8_0, .f16, .q6_K], [ActivationPrecision.f32, .q8])
    func rowsEqualMatvec(type: GGMLType, activations: ActivationPrecision) throws {
        var rng = SeededRandom(seed: 7 &+ UInt64(type.rawValue))
        let rows = 70                                   // one full 64-row task and a partial one
        let cols = type.blockSize >= 256 ? 256 : 96
        let bytes = randomRows(type, rows: rows, cols: cols, &rng)
        let pool = ThreadPool(threads: 2)
        for n in [1, 2, 3, 4, 5, 7, 8, 9, 12, 17] {
            let x = randomFloats(n * cols, &rng)
            var batched = [Float](repeating: .nan, count: n * rows)
            var alone = [Float](repeating: .nan, count: n * rows)
            bytes.withUnsafeBytes { raw in
                let w = WeightMatrix(name: "w", type: type, rows: rows, cols: cols, base: raw.baseAddress!)
                x.withUnsafeBufferPointer { xp in
                    batched.withUnsafeMutableBufferPointer {
                        MatMul.matvecRows([w], xp.baseAddress!, n: n, [$0.baseAddress!], pool: pool, activations: activations)
                    }
                    alone.withUnsafeMutableBufferPointer { y in
                        for t in 0..<n {
                            MatMul.matvec(w, xp.baseAddress! + t * cols, y.baseAddress! + t * rows, pool: pool, activations: activations)
                        }
                    }
                }
            }
            #expect(batched.map(\.bitPattern) == alone.map(\.bitPattern), "\(type) \(activations) n=\(n)")
            #expect(!batched.contains { $0.isNaN })
        }
    }
}
