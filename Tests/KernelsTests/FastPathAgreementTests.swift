import Testing
import GGUF
@testable import Kernels

/// The SIMD row kernels agree with the scalar reference dequantizer followed by a plain dot product.
struct FastPathAgreementTests {
    /// Random blocks of a type with finite f16 scales (layouts from engine-facts §B.2).
    static func randomRow(_ type: GGMLType, blocks: Int, seed: inout UInt64) -> [UInt8] {
        func next() -> UInt64 { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return seed >> 33 }
        var bytes = (0..<(blocks * type.typeSize)).map { _ in UInt8(truncatingIfNeeded: next()) }
        let scale = { (offset: Int) in
            let h = Float16(Float(Int(next() % 2000) - 1000) / 50_000).bitPattern
            bytes[offset] = UInt8(h & 0xFF); bytes[offset + 1] = UInt8(h >> 8)
        }
        for b in 0..<blocks {
            let o = b * type.typeSize
            switch type {
            case .q8_0: scale(o)
            case .q4_1: scale(o); scale(o + 2)
            case .f16: for i in stride(from: 0, to: type.typeSize, by: 2) { scale(o + i) }
            default: break
            }
        }
        return bytes
    }

    @Test("Q8_0, Q4_1 and F16 row dot products match dequantize-then-dot", arguments: [GGMLType.q8_0, .q4_1, .f16])
    func rowDotMatchesReference(type: GGMLType) throws {
        var seed: UInt64 = 12345
        let count = 32 * 9
        let bytes = Self.randomRow(type, blocks: count / type.blockSize, seed: &seed)
        let x = (0..<count).map { Float(sin(Double($0) * 0.37)) }
        var reference = [Float](repeating: 0, count: count)
        try bytes.withUnsafeBytes { raw in
            try reference.withUnsafeMutableBufferPointer { try Dequantize.row(type, from: raw.baseAddress!, into: $0.baseAddress!, count: count) }
        }
        let expected = zip(reference, x).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        var sums = [Float](repeating: 0, count: count / 32)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { scratch.deallocate() }
        let got = bytes.withUnsafeBytes { raw in
            x.withUnsafeBufferPointer { xp in
                sums.withUnsafeMutableBufferPointer { s in
                    RowDot.blockSums(xp.baseAddress!, count: count, into: s.baseAddress!)
                    return RowDot.dot(type, raw.baseAddress!, xp.baseAddress!, blockSums: UnsafePointer(s.baseAddress!), count: count, scratch: scratch)
                }
            }
        }
        let magnitude = zip(reference, x).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
        #expect(abs(Double(got) - expected) <= 1e-5 * max(1, magnitude), "\(type.name): \(got) vs \(expected)")
    }

    @Test("the thread pool runs every index exactly once")
    func threadPoolCoversEveryIndexOnce() {
        let pool = ThreadPool(threads: 3)
        let n = 10_000
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: n)
        hits.initialize(repeating: 0, count: n)
        defer { hits.deallocate() }
        for _ in 0..<20 { pool.parallelFor(n) { hits[$0] += 1 } }
        #expect((0..<n).allSatisfy { hits[$0] == 20 })
    }
}
