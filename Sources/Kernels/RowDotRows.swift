import GGUF
#if SCOPE_AVX2
import _Builtin_intrinsics.intel
#endif

/// Dot products of one quantized weight row with several activation rows (batched decode): the
/// weight block is decoded once and multiplied with every activation row. For each activation row
/// the arithmetic is that of the single-row kernel (`dot`, `dotQ8`) in the same order, so every
/// result is bit-identical to the single-row one.
extension RowDot {
    /// Activation rows one `dotRows` call takes at most.
    public static let maxRows = 8

    /// Whether `dotRows` has a shared-decode kernel for `type` (AVX2 builds; other builds multiply
    /// row by row with `dot`).
    public static func hasRowsKernel(_ type: GGMLType) -> Bool {
        #if SCOPE_AVX2
        return type == .q4_1 || type == .q8_0
        #else
        return false
        #endif
    }

    /// `out[t·stride] = dotQ8(type, row, activations of row first + t)` for t in 0..<n: `a` holds
    /// the 8-bit activations of several rows of `cols` values back to back (quantized together,
    /// which gives each row its own blocks since `cols` is a multiple of 32). One row at a time with
    /// the lone-row kernel; packed matrices take the eight-row kernels instead (`Q4_1Packed`,
    /// `Q8_0Packed`).
    @inline(__always)
    public static func dotQ8Rows(_ type: GGMLType, _ row: UnsafeRawPointer, _ a: Q8View, first: Int, count cols: Int,
                                 rows n: Int, into out: UnsafeMutablePointer<Float>, stride: Int) {
        let nb = cols / 32
        for t in 0..<n {
            let r = first + t, aq = UnsafeRawPointer(a.qs + r * cols)
            out[t * stride] = type == .q4_1 ? dotQ4_1Q8(row, aq, a.scales + r * nb, a.sums + r * nb, nb)
                                            : dotQ8_0Q8(row, aq, a.scales + r * nb, nb)
        }
    }

    /// Two weight rows times one float32 activation row (exact decode): `(dot(rowA), dot(rowB))`,
    /// bit-identical to two `dot` calls. AVX2 builds run both rows in one pass (`hasRowsKernel`
    /// types; see `floatWeightRows2`); other builds call `dot` twice.
    @inline(__always)
    public static func dotTwoRows(_ type: GGMLType, _ rowA: UnsafeRawPointer, _ rowB: UnsafeRawPointer, _ x: UnsafePointer<Float>,
                                  blockSums sums: UnsafePointer<Float>?, count cols: Int) -> (Float, Float) {
        #if SCOPE_AVX2
        type == .q4_1 ? floatWeightRows2(Q4_1Block.self, rowA, rowB, x, sums, cols)
                      : floatWeightRows2(Q8_0Block.self, rowA, rowB, x, nil, cols)
        #else
        (dot(type, rowA, x, blockSums: sums, count: cols, scratch: nil), dot(type, rowB, x, blockSums: sums, count: cols, scratch: nil))
        #endif
    }
}

#if SCOPE_AVX2
extension RowDot {
    /// `out[t·stride] = dot(type, row, x + t·cols, blockSums: sums + t·cols/32)` for t in 0..<n
    /// (n ≤ `maxRows`, `type` satisfying `hasRowsKernel`).
    @inline(__always)
    public static func dotRows(_ type: GGMLType, _ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, sums: UnsafePointer<Float>,
                               count cols: Int, rows n: Int, into out: UnsafeMutablePointer<Float>, stride: Int) {
        if type == .q4_1 {
            floatRows(Q4_1Block.self, row, x, sums, cols, n, out, stride)
        } else {
            floatRows(Q8_0Block.self, row, x, nil, cols, n, out, stride)
        }
    }

    /// `dotRows` for one block format (`sums` nil without a min term): groups of four, then two rows
    /// keep their accumulators in registers; a last row runs the single-row kernel.
    @inline(__always)
    static func floatRows<F: WeightBlock>(_ f: F.Type, _ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ sums: UnsafePointer<Float>?,
                                          _ cols: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
        let nb = cols / 32
        var t = 0
        while t < n {
            let xt = x + t * cols, st = sums.map { $0 + t * nb }, o = out + t * stride
            if n - t >= 4 {
                floatRows4(f, row, xt, st, cols, o, stride)
                t += 4
            } else if n - t >= 2 {
                floatRows2(f, row, xt, st, cols, o, stride)
                t += 2
            } else {
                o[0] = floatRow1(f, row, xt, st, cols)
                t += 1
            }
        }
    }

    /// One row of `floatRows`: the single-row float32 kernel of `dot` for Q4_1 and Q8_0.
    @inline(__always)
    static func floatRow1<F: WeightBlock>(_ f: F.Type, _ row: UnsafeRawPointer, _ x: UnsafePointer<Float>,
                                          _ sums: UnsafePointer<Float>?, _ cols: Int) -> Float {
        var r0 = FloatAccumulator()
        for b in 0..<(cols / 32) {
            let w = FloatBlock(f, row + b * F.size)
            r0.add(w, x + b * 32, sums, b)
        }
        return r0.total(f)
    }

    /// `floatRows` for exactly two rows.
    @inline(__always)
    static func floatRows2<F: WeightBlock>(_ f: F.Type, _ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ sums: UnsafePointer<Float>?,
                                           _ cols: Int, _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
        let nb = cols / 32
        var r0 = FloatAccumulator(), r1 = FloatAccumulator()
        for b in 0..<nb {
            let w = FloatBlock(f, row + b * F.size)
            r0.add(w, x + b * 32, sums, b)
            r1.add(w, x + cols + b * 32, sums, nb + b)
        }
        out[0] = r0.total(f); out[stride] = r1.total(f)
    }

    /// `floatRows` for exactly four rows.
    @inline(__always)
    static func floatRows4<F: WeightBlock>(_ f: F.Type, _ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ sums: UnsafePointer<Float>?,
                                           _ cols: Int, _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
        let nb = cols / 32
        var r0 = FloatAccumulator(), r1 = FloatAccumulator(), r2 = FloatAccumulator(), r3 = FloatAccumulator()
        for b in 0..<nb {
            let w = FloatBlock(f, row + b * F.size)
            r0.add(w, x + b * 32, sums, b)
            r1.add(w, x + cols + b * 32, sums, nb + b)
            r2.add(w, x + 2 * cols + b * 32, sums, 2 * nb + b)
            r3.add(w, x + 3 * cols + b * 32, sums, 3 * nb + b)
        }
        out[0] = r0.total(f); out[stride] = r1.total(f); out[2 * stride] = r2.total(f); out[3 * stride] = r3.total(f)
    }
}

extension RowDot {
    /// The two-row pass of `dotTwoRows`: each row with the single-row kernel's arithmetic in its
    /// order, the activation loads shared and two independent accumulator chains.
    @inline(__always)
    static func floatWeightRows2<F: WeightBlock>(_ f: F.Type, _ rowA: UnsafeRawPointer, _ rowB: UnsafeRawPointer,
                                                 _ x: UnsafePointer<Float>, _ sums: UnsafePointer<Float>?, _ cols: Int) -> (Float, Float) {
        var r0 = FloatAccumulator(), r1 = FloatAccumulator()
        for b in 0..<(cols / 32) {
            let wa = FloatBlock(f, rowA + b * F.size)
            let wb = FloatBlock(f, rowB + b * F.size)
            r0.add(wa, x + b * 32, sums, b)
            r1.add(wb, x + b * 32, sums, b)
        }
        return (r0.total(f), r1.total(f))
    }
}

/// A weight block decoded to float32 for the float32 kernels: codes, broadcast scale, min.
struct FloatBlock {
    let w0, w1, w2, w3, d: __m256
    let m: Float

    @inline(__always)
    init<F: WeightBlock>(_ f: F.Type, _ blk: UnsafeRawPointer) {
        let (d, m) = F.scaleAndMin(blk)
        (w0, w1, w2, w3) = F.floats(blk)
        self.d = _mm256_set1_ps(d)
        self.m = m
    }
}

/// One activation row's accumulators in the float32 kernels.
struct FloatAccumulator {
    var a = _mm256_setzero_ps(), b = _mm256_setzero_ps()
    var minTerm: Float = 0

    /// Adds block `w` times the row's 32 activations at `xb`: the four weight vectors times the
    /// activations into two partial sums, each scaled by d into its accumulator; and `m·sums[index]`
    /// when there are sums (a min term).
    @inline(__always)
    mutating func add(_ w: FloatBlock, _ xb: UnsafePointer<Float>, _ sums: UnsafePointer<Float>?, _ index: Int) {
        var s = _mm256_mul_ps(w.w0, _mm256_loadu_ps(xb))
        s = _mm256_fmadd_ps(w.w1, _mm256_loadu_ps(xb + 8), s)
        var u = _mm256_mul_ps(w.w2, _mm256_loadu_ps(xb + 16))
        u = _mm256_fmadd_ps(w.w3, _mm256_loadu_ps(xb + 24), u)
        a = _mm256_fmadd_ps(w.d, s, a)
        b = _mm256_fmadd_ps(w.d, u, b)
        if let sums { minTerm += w.m * sums[index] }
    }

    @inline(__always)
    func total<F: WeightBlock>(_ f: F.Type) -> Float {
        F.hasMin ? _mm256_add_ps(a, b).sum() + minTerm : _mm256_add_ps(a, b).sum()
    }
}

#endif
