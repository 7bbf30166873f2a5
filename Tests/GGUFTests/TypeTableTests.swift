import Foundation
import Testing
import GGUF

/// The `GGMLType` table agrees with the `gguf` package's GGML_QUANT_SIZES (Fixtures/quant_sizes.json).
@Suite struct TypeTableTests {
    @Test func blockSizesTypeSizesAndNamesMatchGGUFPackage() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("quant_sizes.json")))
        let table = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [Int]])
        #expect(table.count >= 30)
        var checked = 0
        for (name, entry) in table {
            let (id, blockSize, typeSize) = (entry[0], entry[1], entry[2])
            let type = try #require(GGMLType(rawValue: UInt32(id)), "gguf knows type \(name) (id \(id)); GGMLType does not")
            #expect(type.name == name)
            #expect(type.blockSize == blockSize, "\(name)")
            // gguf-py still lists Q8_1 with float32 d and s (40 bytes); ggml's block_q8_1 holds two
            // halves plus 32 quants (36 bytes, static_assert in ggml-common.h).
            #expect(type.typeSize == (type == .q8_1 ? 36 : typeSize), "\(name)")
            checked += 1
        }
        #expect(checked == table.count)
        #expect(Set(table.keys) == Set(GGMLType.allCases.map(\.name)), "every GGMLType case is one gguf knows")
    }
}
