import GGUF
#if SCOPE_AVX2
import _Builtin_intrinsics.intel
#endif

/// Dot products of one quantized weight row with float32 activations, and fast row dequantizers.
///
/// Exact mode: weights are expanded to float32 inside registers and multiplied with float32
/// activations, so results match a float32 reference up to summation order.
public enum RowDot {
    /// Weight types the engine can multiply: every type `GGUF.Dequantize` handles except the
    /// activation-only Q8_1 and Q8_K (all of them have a fused kernel, see `hasFusedKernel`).
    public static func isSupported(_ type: GGMLType) -> Bool {
        switch type {
        case .q8_1, .q8_K: return false
        default: return type.canDequantize
        }
    }

    /// `Σ row[i]·x[i]` over `count` elements. `blockSums[b]` = Σ of x over block b of 32 (Q4_1/Q5_1 only).
    /// `scratch` (`count` floats) is needed only for types without a fused kernel (`hasFusedKernel`).
    @inline(__always)
    public static func dot(_ type: GGMLType, _ row: UnsafeRawPointer, _ x: UnsafePointer<Float>,
                           blockSums: UnsafePointer<Float>?, count: Int,
                           scratch: UnsafeMutablePointer<Float>?) -> Float {
        switch type {
        case .f32: return dotF32(row.assumingMemoryBound(to: Float.self), x, count)
        case .f16: return dotF16(row, x, count)
        case .q8_0: return dotQ8_0(row, x, count)
        case .q4_1: return dotQ4_1(row, x, blockSums!, count)
        case .bf16: return dotBF16(row, x, count)
        case .q4_0, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: return dotDecoded(type, row, x, count)
        default:
            dequantize(type, row, into: scratch!, count: count)
            return dotF32(scratch!, x, count)
        }
    }

    /// Whether `dot` multiplies `type` without dequantizing into scratch first.
    public static func hasFusedKernel(_ type: GGMLType) -> Bool {
        switch type {
        case .f32, .f16, .bf16, .q8_0, .q4_1: return true
        default: return hasLaneDecoder(type)
        }
    }

    /// Dequantizes one row (fast paths for F32, F16, BF16, the legacy quants and the K-quants; the
    /// scalar reference otherwise).
    public static func dequantize(_ type: GGMLType, _ row: UnsafeRawPointer,
                                  into dst: UnsafeMutablePointer<Float>, count: Int) {
        switch type {
        case .f32:
            dst.update(from: row.assumingMemoryBound(to: Float.self), count: count)
        case .f16:
            for i in 0..<count { dst[i] = halfAt(row, 2 * i) }
        case .q8_0:
            // q·d (one rounding, as the reference), 8 lanes at a time.
            let out = UnsafeMutableRawPointer(dst)
            for b in 0..<(count / 32) {
                let blk = row + b * 34
                let d = SIMD8<Float>(repeating: halfAt(blk, 0))
                for k in 0..<4 {
                    out.storeBytes(of: int8Floats(blk + 2 + 8 * k) * d, toByteOffset: 128 * b + 32 * k, as: SIMD8<Float>.self)
                }
            }
        case .q4_1:
            // q·d + m as a multiply then an add (no fused multiply-add), as the reference rounds.
            let out = UnsafeMutableRawPointer(dst)
            for b in 0..<(count / 32) {
                let blk = row + b * 20
                let d = SIMD8<Float>(repeating: halfAt(blk, 0)), m = SIMD8<Float>(repeating: halfAt(blk, 2))
                for k in 0..<2 {
                    let q = blk.loadUnaligned(fromByteOffset: 4 + 8 * k, as: SIMD8<UInt8>.self)
                    out.storeBytes(of: uint8Floats(q & 0x0F) * d + m, toByteOffset: 128 * b + 32 * k, as: SIMD8<Float>.self)
                    out.storeBytes(of: uint8Floats(q &>> 4) * d + m, toByteOffset: 128 * b + 64 + 32 * k, as: SIMD8<Float>.self)
                }
            }
        case .bf16:
            dequantizeBF16(row, into: dst, count)
        case .q4_0, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K:
            dequantizeDecoded(type, row, into: dst, count)
        default:
            // Types were checked when the matrix was loaded; the reference dequantizer cannot fail here.
            try! Dequantize.row(type, from: row, into: dst, count: count)
        }
    }

    /// Per-block sums of `x` (blocks of 32), used by the Q4_1 kernel's min term.
    public static func blockSums(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>) {
        for b in 0..<(count / 32) {
            var s: Float = 0
            for j in 0..<32 { s += x[b * 32 + j] }
            out[b] = s
        }
    }

    // MARK: - Kernels

    @inline(__always)
    public static func dotF32(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var i = 0
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        while i + 32 <= n {
            s0.addProduct(ra.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self), rb.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self))
            s1.addProduct(ra.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self), rb.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self))
            s2.addProduct(ra.loadUnaligned(fromByteOffset: 4 * i + 64, as: SIMD8<Float>.self), rb.loadUnaligned(fromByteOffset: 4 * i + 64, as: SIMD8<Float>.self))
            s3.addProduct(ra.loadUnaligned(fromByteOffset: 4 * i + 96, as: SIMD8<Float>.self), rb.loadUnaligned(fromByteOffset: 4 * i + 96, as: SIMD8<Float>.self))
            i += 32
        }
        while i + 8 <= n {
            s0.addProduct(ra.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self), rb.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self))
            i += 8
        }
        var s = ((s0 + s1) + (s2 + s3)).sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    @inline(__always)
    static func dotF16(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var i = 0
        var acc = SIMD8<Float>()
        let rx = UnsafeRawPointer(x)
        while i + 8 <= n {
            acc.addProduct(halfFloats(row, 2 * i), rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self))
            i += 8
        }
        var s = acc.sum()
        while i < n {
            s += halfAt(row, 2 * i) * x[i]
            i += 1
        }
        return s
    }

    /// Q8_0: 34-byte blocks `d:f16, qs:int8[32]`; value = qs·d.
    @inline(__always)
    static func dotQ8_0(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ n: Int) -> Float {
        #if SCOPE_AVX2
        return floatRow1(Q8_0Block.self, row, x, nil, n)
        #else
        let nb = n / 32
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        let rx = UnsafeRawPointer(x)
        for b in 0..<nb {
            let blk = row + b * 34, o = 128 * b
            // Σ q·x per half of the block, then one multiply by the block's scale (as the AVX2 kernel).
            var t = int8Floats(blk + 2) * rx.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            t.addProduct(int8Floats(blk + 10), rx.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self))
            var u = int8Floats(blk + 18) * rx.loadUnaligned(fromByteOffset: o + 64, as: SIMD8<Float>.self)
            u.addProduct(int8Floats(blk + 26), rx.loadUnaligned(fromByteOffset: o + 96, as: SIMD8<Float>.self))
            let d = SIMD8<Float>(repeating: halfAt(blk, 0))
            acc0.addProduct(d, t)
            acc1.addProduct(d, u)
        }
        return (acc0 + acc1).sum()
        #endif
    }

    /// Q4_1: 20-byte blocks `d:f16, m:f16, qs[16]`; element j = lo(qs[j])·d + m, j+16 = hi(qs[j])·d + m.
    /// Σ w·x = d·Σ q·x + m·Σ x, with Σ x per block precomputed.
    @inline(__always)
    static func dotQ4_1(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ sums: UnsafePointer<Float>, _ n: Int) -> Float {
        #if SCOPE_AVX2
        return floatRow1(Q4_1Block.self, row, x, sums, n)
        #else
        let nb = n / 32
        var minTerm: Float = 0
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        let rx = UnsafeRawPointer(x)
        for b in 0..<nb {
            let blk = row + b * 20, o = 128 * b
            let q0 = blk.loadUnaligned(fromByteOffset: 4, as: SIMD8<UInt8>.self)
            let q1 = blk.loadUnaligned(fromByteOffset: 12, as: SIMD8<UInt8>.self)
            var t = uint8Floats(q0 & 0x0F) * rx.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            t.addProduct(uint8Floats(q1 & 0x0F), rx.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self))
            var u = uint8Floats(q0 &>> 4) * rx.loadUnaligned(fromByteOffset: o + 64, as: SIMD8<Float>.self)
            u.addProduct(uint8Floats(q1 &>> 4), rx.loadUnaligned(fromByteOffset: o + 96, as: SIMD8<Float>.self))
            let d = SIMD8<Float>(repeating: halfAt(blk, 0))
            acc0.addProduct(d, t)
            acc1.addProduct(d, u)
            minTerm += halfAt(blk, 2) * sums[b]
        }
        return (acc0 + acc1).sum() + minTerm
        #endif
    }
}
