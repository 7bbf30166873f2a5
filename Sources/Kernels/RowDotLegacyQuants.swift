import GGUF
#if SCOPE_AVX2
import _Builtin_intrinsics.intel
#endif

// Fused kernels for BF16 and the 32-element legacy quants Q4_0, Q5_0, Q5_1 (block layouts in
// engine-facts §B.2; scalar oracles in GGUF/Dequantize.swift).

extension RowDot {
    /// BF16: `Σ w·x` with each weight the upper 16 bits of a float32.
    @inline(__always)
    static func dotBF16(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var i = 0
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        let rx = UnsafeRawPointer(x)
        while i + 16 <= n {
            acc0.addProduct(bf16Floats(row + 2 * i), rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self))
            acc1.addProduct(bf16Floats(row + 2 * i + 16), rx.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self))
            i += 16
        }
        var s = (acc0 + acc1).sum()
        while i < n {
            s += Float(bitPattern: UInt32(row.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16) * x[i]
            i += 1
        }
        return s
    }

    /// BF16 row to float32 (exact).
    @inline(__always)
    static func dequantizeBF16(_ row: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        let out = UnsafeMutableRawPointer(dst)
        while i + 8 <= n {
            out.storeBytes(of: bf16Floats(row + 2 * i), toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            dst[i] = Float(bitPattern: UInt32(row.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
            i += 1
        }
    }

    #if SCOPE_AVX2
    /// Q4_0: 18-byte blocks `d:f16, qs[16]`; element j = (lo(qs[j]) − 8)·d, j+16 = (hi(qs[j]) − 8)·d.
    @inline(__always)
    static func decodeQ4_0<S: QuantLaneSink>(_ row: UnsafeRawPointer, _ n: Int, _ sink: inout S) {
        let eight = bytes(8)
        for b in 0..<(n / 32) {
            let blk = row + b * 18
            let d = halfAt(blk, 0)
            sink.put(_mm256_sub_epi8(nibbles16(blk + 2), eight), 32 * b, d, d)
        }
    }

    /// Q5_0: 22-byte blocks `d:f16, qh:u32, qs[16]`; the 5th bit of element j is bit j of qh;
    /// value = (q − 16)·d.
    @inline(__always)
    static func decodeQ5_0<S: QuantLaneSink>(_ row: UnsafeRawPointer, _ n: Int, _ sink: inout S) {
        let sixteen = bytes(16)
        for b in 0..<(n / 32) {
            let blk = row + b * 22
            let d = halfAt(blk, 0)
            let high = _mm256_and_si256(bitsToByteMask(blk.loadUnaligned(fromByteOffset: 2, as: UInt32.self)), sixteen)
            let q = _mm256_sub_epi8(_mm256_or_si256(nibbles16(blk + 6), high), sixteen)
            sink.put(q, 32 * b, d, d)
        }
    }

    /// Q5_1: 24-byte blocks `d:f16, m:f16, qh:u32, qs[16]`; value = q·d + m.
    @inline(__always)
    static func decodeQ5_1<S: QuantLaneSink>(_ row: UnsafeRawPointer, _ n: Int, _ sink: inout S) {
        let sixteen = bytes(16)
        for b in 0..<(n / 32) {
            let blk = row + b * 24
            let d = halfAt(blk, 0), m = halfAt(blk, 2)
            let high = _mm256_and_si256(bitsToByteMask(blk.loadUnaligned(fromByteOffset: 4, as: UInt32.self)), sixteen)
            sink.putAffine(_mm256_or_si256(nibbles16(blk + 8), high), 32 * b, d, m, d, m)
        }
    }
    #endif
}
