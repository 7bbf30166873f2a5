import Testing
import GGUF

/// A file written by the `gguf` package with every metadata value type reads back exactly.
@Suite struct MetadataFixtureTests {
    @Test func everyMetadataValueTypeReadsBackAsWritten() throws {
        let file = try GGUFFile(path: Fixtures.path("metadata.gguf"))
        #expect(file.version == 3)
        #expect(file.string("general.architecture") == "llama")
        #expect(file.int("test.u8") == 200)
        #expect(file.int("test.i8") == -100)
        #expect(file.int("test.u16") == 60000)
        #expect(file.int("test.i16") == -30000)
        #expect(file.int("test.u32") == 4_000_000_000)
        #expect(file.int("test.i32") == -2_000_000_000)
        #expect(file.float("test.f32") == 0.15625)
        #expect(file.int("test.u64") == 10_000_000_000_000)
        #expect(file.int("test.i64") == -10_000_000_000_000)
        #expect(file.float("test.f64") == -2.5e-300)
        #expect(file.bool("test.true") == true)
        #expect(file.bool("test.false") == false)
        #expect(file.string("test.string") == "héllo ▁wörld 🙂")
        #expect(file.string("test.empty") == "")
        #expect(file.metadata["test.strings"]?.stringArray == ["a", "", "Ġthe", "<|im_end|>"])
        #expect(file.metadata["test.floats"]?.floatArray == [1.5, -2.25, 0.0])
        #expect(file.metadata["test.ints"]?.intArray == [1, -2, 3])
        // Type-checked accessors refuse other types.
        #expect(file.string("test.u8") == nil)
        #expect(file.int("test.string") == nil)
        #expect(file.bool("test.i8") == nil)
        #expect(file.metadata["test.strings"]?.floatArray == nil)
    }

    @Test func metadataKeysKeepFileOrder() throws {
        let file = try GGUFFile(path: Fixtures.path("metadata.gguf"))
        let testKeys = file.metadataKeys.filter { $0.hasPrefix("test.") }
        #expect(testKeys.prefix(3) == ["test.u8", "test.i8", "test.u16"])
    }

    @Test func customAlignmentPlacesTensorDataOnItsBoundaries() throws {
        let file = try GGUFFile(path: Fixtures.path("metadata.gguf"))
        #expect(file.alignment == 64)
        #expect(file.dataSectionOffset % 64 == 0)
        #expect(file.tensors.map(\.name) == ["t0", "t1", "t2"])
        #expect(file.tensors.map(\.shape) == [[5], [3, 2], [2, 1, 4]])
        for (i, t) in file.tensors.enumerated() {
            #expect(t.dataOffset % 64 == 0)
            #expect(try file.dequantized(t) == (0..<t.elementCount).map { Float($0 + 1000 * i) })
        }
        #expect(file.tensor("missing") == nil)
    }
}
