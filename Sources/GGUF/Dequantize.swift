/// Scalar reference dequantizers (test oracles; fast paths live in Kernels).
/// Layouts and formulas follow ggml's `dequantize_row_*` (see engine-facts §B.2).
public enum Dequantize {
    /// Dequantizes `count` elements of `type` starting at `src` into `dst`.
    /// `count` must be a non-negative multiple of `type.blockSize`; `src` must hold
    /// `rowByteCount(type, elements: count)` bytes.
    public static func row(_ type: GGMLType, from src: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>, count: Int) throws {
        try row(type, from: src, into: dst, count: count, tensorName: nil)
    }

    /// As `row(_:from:into:count:)`, naming `tensorName` in errors.
    public static func row(_ type: GGMLType, from src: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>,
                           count: Int, tensorName: String?) throws {
        let subject = tensorName.map { "tensor '\($0)' of type \(type.name)" } ?? "type \(type.name)"
        guard count >= 0, count % type.blockSize == 0 else {
            throw GGUFError("cannot dequantize \(subject): element count \(count) is not a multiple of the block size \(type.blockSize)")
        }
        let block: (UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void
        switch type {
        case .f32:
            for i in 0..<count { dst[i] = Float(bitPattern: u32(src, 4 * i)) }
            return
        case .f16:
            for i in 0..<count { dst[i] = f16(src, 2 * i) }
            return
        case .bf16:
            for i in 0..<count { dst[i] = Float(bitPattern: UInt32(u16(src, 2 * i)) << 16) }
            return
        case .q4_0: block = q4_0
        case .q4_1: block = q4_1
        case .q5_0: block = q5_0
        case .q5_1: block = q5_1
        case .q8_0: block = { q8($0 + 2, scale: f16($0, 0), $1, n: 32) }
        case .q8_1: block = { q8($0 + 4, scale: f16($0, 0), $1, n: 32) }
        case .q8_K: block = { q8($0 + 4, scale: Float(bitPattern: u32($0, 0)), $1, n: 256) }
        case .q2_K: block = q2_K
        case .q3_K: block = q3_K
        case .q4_K: block = q4_K
        case .q5_K: block = q5_K
        case .q6_K: block = q6_K
        default:
            throw GGUFError("cannot dequantize \(subject): type \(type.name) (id \(type.rawValue)) is not supported")
        }
        // one block of `blockSize` elements per `typeSize` bytes
        for b in 0..<count / type.blockSize { block(src + b * type.typeSize, dst + b * type.blockSize) }
    }

    // MARK: - Byte helpers

    @inline(__always) static func u8(_ p: UnsafeRawPointer, _ o: Int) -> UInt8 { p.load(fromByteOffset: o, as: UInt8.self) }
    @inline(__always) static func i8(_ p: UnsafeRawPointer, _ o: Int) -> Int8 { p.load(fromByteOffset: o, as: Int8.self) }
    @inline(__always) static func u16(_ p: UnsafeRawPointer, _ o: Int) -> UInt16 {
        UInt16(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt16.self))
    }
    @inline(__always) static func u32(_ p: UnsafeRawPointer, _ o: Int) -> UInt32 {
        UInt32(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt32.self))
    }
    /// IEEE half at byte offset `o`, widened to Float.
    @inline(__always) static func f16(_ p: UnsafeRawPointer, _ o: Int) -> Float { Float(Float16(bitPattern: u16(p, o))) }

    // MARK: - 32-element blocks

    static func q4_0(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = f16(x, 0)
        for j in 0..<16 {
            let q = u8(x, 2 + j)
            y[j] = Float(Int(q & 0xF) - 8) * d
            y[j + 16] = Float(Int(q >> 4) - 8) * d
        }
    }

    static func q4_1(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = f16(x, 0), m = f16(x, 2)
        for j in 0..<16 {
            let q = u8(x, 4 + j)
            y[j] = Float(q & 0xF) * d + m
            y[j + 16] = Float(q >> 4) * d + m
        }
    }

    static func q5_0(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = f16(x, 0)
        let qh = u32(x, 2)
        for j in 0..<16 {
            let q = u8(x, 6 + j)
            let h0 = Int((qh >> UInt32(j)) & 1) << 4
            let h1 = Int((qh >> UInt32(j + 16)) & 1) << 4
            y[j] = Float((Int(q & 0xF) | h0) - 16) * d
            y[j + 16] = Float((Int(q >> 4) | h1) - 16) * d
        }
    }

    static func q5_1(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = f16(x, 0), m = f16(x, 2)
        let qh = u32(x, 4)
        for j in 0..<16 {
            let q = u8(x, 8 + j)
            let h0 = Int((qh >> UInt32(j)) & 1) << 4
            let h1 = Int((qh >> UInt32(j + 16)) & 1) << 4
            y[j] = Float(Int(q & 0xF) | h0) * d + m
            y[j + 16] = Float(Int(q >> 4) | h1) * d + m
        }
    }

    /// `n` int8 quants at `qs` times `scale` (Q8_0, Q8_1, Q8_K).
    static func q8(_ qs: UnsafeRawPointer, scale: Float, _ y: UnsafeMutablePointer<Float>, n: Int) {
        for j in 0..<n { y[j] = Float(i8(qs, j)) * scale }
    }
}
