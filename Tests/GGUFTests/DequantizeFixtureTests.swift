import Foundation
import Testing
import GGUF

/// Every supported type dequantizes exactly like `gguf.quants.dequantize` (fixtures from
/// scripts/make-gguf-fixtures.py: several blocks per row and several rows per tensor).
@Suite struct DequantizeFixtureTests {
    static let fixtureTypes: [GGMLType] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0,
                                           .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]

    @Test(arguments: fixtureTypes)
    func dequantizedValuesMatchGGUFPackageToFloat32Rounding(type: GGMLType) throws {
        let file = try GGUFFile(path: Fixtures.path("dequant/\(type.name).gguf"))
        let t = try #require(file.tensor("weights"))
        #expect(t.type == type)
        #expect(t.rowCount >= 2, "fixture must have several rows")
        #expect(t.rowLength / type.blockSize >= 2 || type.blockSize == 1, "fixture must have several blocks per row")
        let expected = try Fixtures.floats("dequant/\(type.name).f32")
        #expect(expected.count == t.elementCount)
        let actual = try file.dequantized(t)
        try #require(actual.count == expected.count)
        var worst: (index: Int, diff: Float) = (0, 0)
        var inexact = 0
        for i in 0..<actual.count {
            if actual[i] != expected[i] { inexact += 1 }
            let a = actual[i], e = expected[i]
            #expect(a.isFinite)
            // Float32 rounding: within one ulp of the larger magnitude (0 ulp for exact formulas).
            let diff = abs(a - e)
            if diff > max(abs(a), abs(e)).ulp, diff > worst.diff { worst = (i, diff) }
        }
        if inexact > 0 { print("\(type.name): \(inexact) of \(actual.count) values differ from gguf within one ulp") }
        #expect(worst.diff == 0, "\(type.name): element \(worst.index) = \(actual[worst.index]) but gguf gives \(expected[worst.index])")
        // Row-at-a-time dequantization agrees with whole-tensor dequantization.
        let lastRow = try file.dequantizedRow(t, row: t.rowCount - 1)
        #expect(lastRow == Array(actual[(t.rowCount - 1) * t.rowLength..<t.rowCount * t.rowLength]))
    }

    @Test func q8_1BlockIsScaleTimesInt8QuantsAfterTwoHalfFields() throws {
        // d = 0.5 (f16 0x3800), s = 2.0 (0x4000, ignored by dequantization), qs = -16...15.
        var block: [UInt8] = [0x00, 0x38, 0x00, 0x40]
        block += (0..<32).map { UInt8(bitPattern: Int8($0 - 16)) }
        let out = try dequantize(.q8_1, block, count: 32)
        #expect(out == (0..<32).map { Float($0 - 16) * 0.5 })
    }

    @Test func q8_KBlockUsesFloat32ScaleAndIgnoresBlockSums() throws {
        var block = Array(withUnsafeBytes(of: Float(0.25).bitPattern.littleEndian) { Array($0) })
        block += (0..<256).map { UInt8(bitPattern: Int8(truncatingIfNeeded: $0 - 128)) }
        block += [UInt8](repeating: 0xAB, count: 32)
        #expect(block.count == GGMLType.q8_K.typeSize)
        let out = try dequantize(.q8_K, block, count: 256)
        #expect(out == (0..<256).map { Float($0 - 128) * 0.25 })
    }

    @Test func unsupportedTypeThrowsErrorNamingTensorAndType() throws {
        let block = [UInt8](repeating: 0, count: GGMLType.iq2_xxs.typeSize)
        var out = [Float](repeating: 0, count: 256)
        let error = try #require(throws: GGUFError.self) {
            try block.withUnsafeBytes { src in
                try Dequantize.row(.iq2_xxs, from: src.baseAddress!, into: &out, count: 256, tensorName: "blk.0.ffn_up.weight")
            }
        }
        #expect(error.message.contains("IQ2_XXS"))
        #expect(error.message.contains("blk.0.ffn_up.weight"))
    }

    @Test func countThatIsNotAMultipleOfTheBlockSizeThrows() throws {
        let block = [UInt8](repeating: 0, count: 40)
        let error = try #require(throws: GGUFError.self) { try dequantize(.q4_1, block, count: 33) }
        #expect(error.message.contains("33"))
    }

    @Test func rowByteCountIsBlocksTimesBlockBytes() {
        #expect(rowByteCount(.q8_0, elements: 576) == 18 * 34)
        #expect(rowByteCount(.q4_K, elements: 1024) == 4 * 144)
        #expect(rowByteCount(.f32, elements: 7) == 28)
        #expect(GGMLType(name: "q4_k") == .q4_K)
        #expect(GGMLType(name: "Q9_9") == nil)
    }

    private func dequantize(_ type: GGMLType, _ bytes: [UInt8], count: Int) throws -> [Float] {
        var out = [Float](repeating: .nan, count: count)
        try bytes.withUnsafeBytes { src in
            try out.withUnsafeMutableBufferPointer { dst in
                try Dequantize.row(type, from: src.baseAddress!, into: dst.baseAddress!, count: count)
            }
        }
        return out
    }
}
