import Foundation
import Testing
import GGUF
import ScopeTestSupport

/// A corpus of malformed GGUF files, each derived from a valid file written by `GGUFBuilder`:
/// every one must throw a `GGUFError` whose message names the problem; none may crash.
@Suite struct MalformedFileTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let expected: [String]
        let bytes: @Sendable () -> [UInt8]
        var testDescription: String { label }
    }

    static func mutated(_ change: @escaping @Sendable (inout GGUFBuilder) -> Void) -> @Sendable () -> [UInt8] {
        { var b = GGUFBuilder.valid(); change(&b); return b.build() }
    }

    static func kv(_ b: inout GGUFBuilder, _ key: String, _ value: [UInt8]) {
        let i = b.kvs.firstIndex { $0.key == key }!
        b.kvs[i].value = value
    }

    typealias B = GGUFBuilder

    static let cases: [Case] = [
        Case(label: "bad magic", expected: ["bad magic", "GGML", "expected \"GGUF\""],
             bytes: mutated { $0.magic = Array("GGML".utf8) }),
        Case(label: "version 1", expected: ["version 1", "not supported"], bytes: mutated { $0.version = 1 }),
        Case(label: "version 99", expected: ["version 99", "byte offset 4"], bytes: mutated { $0.version = 99 }),
        Case(label: "big-endian version", expected: ["big-endian"], bytes: mutated { $0.version = UInt32(3).byteSwapped }),
        Case(label: "absurd tensor count", expected: ["tensor count 4611686018427387904", "impossible"],
             bytes: mutated { $0.tensorCountOverride = 1 << 62 }),
        Case(label: "negative tensor count", expected: ["negative tensor count -1"], bytes: mutated { $0.tensorCountOverride = -1 }),
        Case(label: "absurd kv count", expected: ["key-value count 1099511627776", "impossible"],
             bytes: mutated { $0.kvCountOverride = 1 << 40 }),
        Case(label: "kv count larger than present", expected: ["truncated", "key of metadata entry 9"],
             bytes: mutated { $0.tensors = []; $0.kvCountOverride = Int64($0.kvs.count + 1) }),
        Case(label: "absurd key length", expected: ["string length 1152921504606846976", "key of metadata entry 0", "byte offset 24"],
             bytes: {
                 var builder = GGUFBuilder.valid()
                 var bytes = builder.build()
                 bytes.replaceSubrange(24..<32, with: B.le(UInt64(1) << 60))
                 return bytes
             }),
        Case(label: "absurd string value length", expected: ["string length 18446744073709551615", "general.architecture", "past the end"],
             bytes: mutated { kv(&$0, "general.architecture", B.le(UInt32(8)) + B.le(UInt64.max) + Array("llama".utf8)) }),
        Case(label: "absurd array length", expected: ["tokenizer.ggml.tokens", "array length 1125899906842624"],
             bytes: mutated { kv(&$0, "tokenizer.ggml.tokens", B.le(UInt32(9)) + B.le(UInt32(8)) + B.le(UInt64(1) << 50) + B.string("x")) }),
        Case(label: "array element string past end", expected: ["element 1 of array 'tokenizer.ggml.tokens'"],
             bytes: mutated { kv(&$0, "tokenizer.ggml.tokens", B.le(UInt32(9)) + B.le(UInt32(8)) + B.le(UInt64(2)) + B.string("x") + B.le(UInt64(1) << 40)) }),
        Case(label: "nested array", expected: ["nested array", "tokenizer.ggml.scores"],
             bytes: mutated { kv(&$0, "tokenizer.ggml.scores", B.le(UInt32(9)) + B.le(UInt32(9)) + B.le(UInt64(1)) + B.floatArray([1])) }),
        Case(label: "unknown value type", expected: ["'llama.block_count'", "unknown value type id 13"],
             bytes: mutated { kv(&$0, "llama.block_count", B.le(UInt32(13)) + B.le(UInt32(2))) }),
        Case(label: "unknown array element type", expected: ["'tokenizer.ggml.scores'", "unknown element type id 42"],
             bytes: mutated { kv(&$0, "tokenizer.ggml.scores", B.le(UInt32(9)) + B.le(UInt32(42)) + B.le(UInt64(0))) }),
        Case(label: "duplicate key", expected: ["duplicate metadata key 'llama.block_count'"],
             bytes: mutated { $0.kvs.append(("llama.block_count", B.u32(3))) }),
        Case(label: "bool out of range", expected: ["'test.flag'", "bool value 2"],
             bytes: mutated { kv(&$0, "test.flag", B.le(UInt32(7)) + [2]) }),
        Case(label: "alignment of wrong type", expected: ["general.alignment", "uint32", "uint64"],
             bytes: mutated { kv(&$0, "general.alignment", B.u64(32)) }),
        Case(label: "alignment not a power of two", expected: ["general.alignment", "48", "power of two"],
             bytes: mutated { kv(&$0, "general.alignment", B.u32(48)) }),
        Case(label: "alignment zero", expected: ["general.alignment", "= 0"],
             bytes: mutated { kv(&$0, "general.alignment", B.u32(0)) }),
        Case(label: "duplicate tensor name", expected: ["duplicate tensor name 'a.weight'"],
             bytes: mutated { $0.tensors[2].name = "a.weight" }),
        Case(label: "tensor name too long", expected: ["name of 70 bytes"],
             bytes: mutated { $0.tensors[1].name = String(repeating: "n", count: 70) }),
        Case(label: "five dimensions", expected: ["'a.weight'", "5 dimensions"],
             bytes: mutated { $0.tensors[0].dims = [8, 1, 1, 1, 1] }),
        Case(label: "zero dimensions", expected: ["'a.weight'", "0 dimensions"],
             bytes: mutated { $0.tensors[0].dims = []; $0.tensors[0].nDimsOverride = 0 }),
        Case(label: "zero-length dimension", expected: ["'c.weight'", "dimension 1 is 0"],
             bytes: mutated { $0.tensors[2].dims = [4, 0] }),
        Case(label: "negative dimension", expected: ["'c.weight'", "dimension 0 is -4"],
             bytes: mutated { $0.tensors[2].dims = [-4, 2] }),
        Case(label: "element count overflow", expected: ["'c.weight'", "element count overflows"],
             bytes: mutated { $0.tensors[2].dims = [1 << 40, 1 << 40] }),
        Case(label: "byte size overflow", expected: ["'a.weight'", "byte size overflows"],
             bytes: mutated { $0.tensors[0].dims = [1 << 62] }),
        Case(label: "unknown type id", expected: ["'b.weight'", "unknown ggml type id 99"],
             bytes: mutated { $0.tensors[1].typeID = 99 }),
        Case(label: "removed type id", expected: ["'b.weight'", "type id 4", "removed"],
             bytes: mutated { $0.tensors[1].typeID = 4 }),
        Case(label: "row length not a multiple of the block size", expected: ["'b.weight'", "Q8_0", "ne[0] = 48", "block size 32"],
             bytes: mutated { $0.tensors[1].dims = [48, 2] }),
        Case(label: "unaligned offset", expected: ["'b.weight'", "offset 40", "alignment 32"],
             bytes: mutated { $0.tensors[1].offsetOverride = 40 }),
        Case(label: "offset past the end", expected: ["'c.weight'", "offset 1099511627776", "past the end"],
             bytes: mutated { $0.tensors[2].offsetOverride = 1 << 40 }),
        Case(label: "offset near UInt64.max", expected: ["'c.weight'", "past the end"],
             bytes: mutated { $0.tensors[2].offsetOverride = UInt64.max - 31 }),
        Case(label: "data runs past the end", expected: ["'c.weight'", "runs past the end"],
             bytes: mutated { $0.tensors[2].dims = [4, 1000] }),
        Case(label: "overlapping tensors", expected: ["'c.weight'", "overlaps", "'a.weight'"],
             bytes: mutated { $0.tensors[2].offsetOverride = 0 }),
        Case(label: "empty file", expected: ["empty"], bytes: { [] }),
    ]

    @Test(arguments: cases)
    func malformedFileThrowsErrorNamingTheProblem(_ c: Case) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write(c.bytes(), name: "malformed.gguf")
        let error = try #require(throws: GGUFError.self) { try GGUFFile(path: path) }
        #expect(error.message.hasPrefix(path), "message should start with the file path: \(error.message)")
        for fragment in c.expected {
            #expect(error.message.contains(fragment), "'\(fragment)' missing from: \(error.message)")
        }
    }

    @Test func validBuilderFileParsesWithExpectedValues() throws {
        let dir = try TemporaryDirectory()
        var builder = GGUFBuilder.valid()
        let path = try dir.write(builder.build(), name: "valid.gguf")
        let file = try GGUFFile(path: path)
        #expect(file.fileSize == builder.build().count)
        #expect(file.int("llama.block_count") == 2)
        #expect(file.float("llama.rope.freq_base") == 10000)
        #expect(file.bool("test.flag") == true)
        #expect(file.int("test.i64") == -5)
        #expect(file.metadata["tokenizer.ggml.tokens"]?.stringArray == ["<s>", "a", "bc", "Ġdef"])
        #expect(file.metadata["tokenizer.ggml.token_type"]?.intArray == [3, 1, 1, 1])
        #expect(file.tensors.map(\.name) == ["a.weight", "b.weight", "c.weight"])
        #expect(try file.dequantized(file.tensor("a.weight")!) == (0..<8).map { Float($0) * 0.5 })
        let b = try file.dequantized(file.tensor("b.weight")!)
        let expectedB: [Float] = (0..<128).map { (i: Int) -> Float in
            let q = Float(i % 32 - 16), d = Float(i / 32 + 1) * 0.25
            return q * d
        }
        #expect(b == expectedB)
        #expect(try file.dequantized(file.tensor("c.weight")!) == (0..<8).map { Float($0) - 4 })
    }

    @Test func emptyArrayAndVersion2AreAccepted() throws {
        let dir = try TemporaryDirectory()
        var builder = GGUFBuilder.valid()
        builder.version = 2
        builder.kvs.append(("test.empty", B.le(UInt32(9)) + B.le(UInt32(8)) + B.le(UInt64(0))))
        let file = try GGUFFile(path: try dir.write(builder.build(), name: "v2.gguf"))
        #expect(file.version == 2)
        #expect(file.metadata["test.empty"]?.stringArray == [])
    }

    @Test func truncationAtEveryByteThrowsAndNeverCrashes() throws {
        let dir = try TemporaryDirectory()
        var builder = GGUFBuilder.valid()
        let full = builder.build()
        let sections = builder.sectionStarts
        #expect(Set(sections.keys) == ["version", "tensor count", "kv count", "metadata", "tensor infos", "padding", "data"])
        for length in 0..<full.count {
            let path = try dir.write(Array(full[0..<length]), name: "truncated-\(length).gguf")
            do {
                _ = try GGUFFile(path: path)
                Issue.record("file truncated to \(length) of \(full.count) bytes was accepted")
            } catch let error as GGUFError {
                let m = error.message
                #expect(m.hasPrefix(path))
                #expect(["truncated", "past the end", "impossible", "empty"].contains { m.contains($0) },
                        "truncated to \(length): \(m)")
            }
            try FileManager.default.removeItem(atPath: path)
        }
    }

    @Test func randomByteCorruptionNeverCrashesOrReadsOutOfBounds() throws {
        let dir = try TemporaryDirectory()
        var builder = GGUFBuilder.valid()
        let full = builder.build()
        var rng = SeededRandom(seed: 0x5C0BE)
        var accepted = 0, rejected = 0
        for round in 0..<1000 {
            var bytes = full
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let at = Int(rng.next() % UInt64(bytes.count))
                bytes[at] = rng.next() % 3 == 0 ? 0xFF : UInt8(truncatingIfNeeded: rng.next())
            }
            let path = try dir.write(bytes, name: "fuzz-\(round).gguf")
            do {
                let file = try GGUFFile(path: path)
                accepted += 1
                for t in file.tensors where t.type.canDequantize {
                    let values = try file.dequantized(t)
                    #expect(values.count == t.elementCount)
                }
            } catch let error as GGUFError {
                rejected += 1
                #expect(!error.message.isEmpty)
            }
            try FileManager.default.removeItem(atPath: path)
        }
        #expect(rejected > 0)
        #expect(accepted + rejected == 1000)
    }

    @Test func missingFileThrowsErrorNamingThePath() throws {
        let error = try #require(throws: GGUFError.self) { try GGUFFile(path: "/nonexistent/model.gguf") }
        #expect(error.message.contains("/nonexistent/model.gguf"))
        #expect(error.message.contains("cannot open"))
    }
}
