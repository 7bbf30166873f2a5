import GGUF

/// Writes GGUF bytes for tests, with every header field, value and tensor-info field overridable
/// so that malformed variants of a valid file can be produced.
struct GGUFBuilder {
    struct Tensor {
        var name: String
        var dims: [Int64]
        var typeID: UInt32
        var data: [UInt8]
        /// Relative data offset to write instead of the computed one.
        var offsetOverride: UInt64? = nil
        /// n_dims to write instead of `dims.count`.
        var nDimsOverride: UInt32? = nil
    }

    var magic: [UInt8] = Array("GGUF".utf8)
    var version: UInt32 = 3
    var tensorCountOverride: Int64? = nil
    var kvCountOverride: Int64? = nil
    /// Metadata entries: key and encoded value (type id followed by the value bytes).
    var kvs: [(key: String, value: [UInt8])] = []
    var tensors: [Tensor] = []
    /// Alignment used to lay out the data section (write `general.alignment` separately).
    var alignment = 32

    /// Byte offsets of the section starts in the last `build()` output.
    private(set) var sectionStarts: [String: Int] = [:]

    // MARK: Encoders

    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    static func string(_ s: String) -> [UInt8] { le(UInt64(s.utf8.count)) + Array(s.utf8) }

    static func u8(_ v: UInt8) -> [UInt8] { le(UInt32(0)) + [v] }
    static func i8(_ v: Int8) -> [UInt8] { le(UInt32(1)) + le(v) }
    static func u16(_ v: UInt16) -> [UInt8] { le(UInt32(2)) + le(v) }
    static func i16(_ v: Int16) -> [UInt8] { le(UInt32(3)) + le(v) }
    static func u32(_ v: UInt32) -> [UInt8] { le(UInt32(4)) + le(v) }
    static func i32(_ v: Int32) -> [UInt8] { le(UInt32(5)) + le(v) }
    static func f32(_ v: Float) -> [UInt8] { le(UInt32(6)) + le(v.bitPattern) }
    static func bool(_ v: Bool) -> [UInt8] { le(UInt32(7)) + [v ? 1 : 0] }
    static func str(_ v: String) -> [UInt8] { le(UInt32(8)) + string(v) }
    static func u64(_ v: UInt64) -> [UInt8] { le(UInt32(10)) + le(v) }
    static func i64(_ v: Int64) -> [UInt8] { le(UInt32(11)) + le(v) }
    static func f64(_ v: Double) -> [UInt8] { le(UInt32(12)) + le(v.bitPattern) }
    static func stringArray(_ v: [String]) -> [UInt8] {
        le(UInt32(9)) + le(UInt32(8)) + le(UInt64(v.count)) + v.flatMap(string)
    }
    static func floatArray(_ v: [Float]) -> [UInt8] {
        le(UInt32(9)) + le(UInt32(6)) + le(UInt64(v.count)) + v.flatMap { le($0.bitPattern) }
    }
    static func int32Array(_ v: [Int32]) -> [UInt8] {
        le(UInt32(9)) + le(UInt32(5)) + le(UInt64(v.count)) + v.flatMap { le($0) }
    }

    /// Byte size of a tensor's data (as the reader computes it).
    static func byteCount(typeID: UInt32, dims: [Int64]) -> Int {
        let type = GGMLType(rawValue: typeID)!
        return rowByteCount(type, elements: Int(dims[0])) * dims.dropFirst().reduce(1) { $0 * Int($1) }
    }

    // MARK: Output

    mutating func build() -> [UInt8] {
        var out: [UInt8] = []
        sectionStarts = [:]
        out += magic
        sectionStarts["version"] = out.count
        out += Self.le(version)
        sectionStarts["tensor count"] = out.count
        out += Self.le(tensorCountOverride ?? Int64(tensors.count))
        sectionStarts["kv count"] = out.count
        out += Self.le(kvCountOverride ?? Int64(kvs.count))
        sectionStarts["metadata"] = out.count
        for kv in kvs {
            out += Self.string(kv.key)
            out += kv.value
        }
        sectionStarts["tensor infos"] = out.count
        var offsets: [Int] = []
        var running = 0
        for t in tensors {
            offsets.append(running)
            running += (t.data.count + alignment - 1) / alignment * alignment
        }
        for (t, offset) in zip(tensors, offsets) {
            out += Self.string(t.name)
            out += Self.le(t.nDimsOverride ?? UInt32(t.dims.count))
            for d in t.dims { out += Self.le(d) }
            out += Self.le(t.typeID)
            out += Self.le(t.offsetOverride ?? UInt64(offset))
        }
        sectionStarts["padding"] = out.count
        if !tensors.isEmpty {
            while out.count % alignment != 0 { out.append(0) }
        }
        let dataStart = out.count
        sectionStarts["data"] = dataStart
        for (t, offset) in zip(tensors, offsets) {
            while out.count < dataStart + offset { out.append(0) }
            out += t.data
        }
        return out
    }

    /// A small valid file: metadata of several types (including a string array) and three tensors
    /// (F32 [8], Q8_0 [64, 2], F16 [4, 2]) whose data ends exactly at the end of the file.
    static func valid() -> GGUFBuilder {
        var b = GGUFBuilder()
        b.kvs = [
            ("general.architecture", str("llama")),
            ("general.alignment", u32(32)),
            ("llama.block_count", u32(2)),
            ("llama.rope.freq_base", f32(10000)),
            ("test.flag", bool(true)),
            ("test.i64", i64(-5)),
            ("tokenizer.ggml.tokens", stringArray(["<s>", "a", "bc", "Ġdef"])),
            ("tokenizer.ggml.scores", floatArray([0, -1, -2, -3])),
            ("tokenizer.ggml.token_type", int32Array([3, 1, 1, 1])),
        ]
        let f32Data = (0..<8).flatMap { le((Float($0) * 0.5).bitPattern) }
        var q8Data: [UInt8] = []
        for block in 0..<4 {
            q8Data += le(Float16(Float(block + 1) * 0.25).bitPattern)
            q8Data += (0..<32).map { UInt8(bitPattern: Int8($0 - 16)) }
        }
        let f16Data = (0..<8).flatMap { le(Float16(Float($0) - 4).bitPattern) }
        b.tensors = [
            Tensor(name: "a.weight", dims: [8], typeID: 0, data: f32Data),
            Tensor(name: "b.weight", dims: [64, 2], typeID: 8, data: q8Data),
            Tensor(name: "c.weight", dims: [4, 2], typeID: 1, data: f16Data),
        ]
        return b
    }
}
