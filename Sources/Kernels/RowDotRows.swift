import GGUF
#if SCOPE_AVX2
import _Builtin_intrinsics.intel
#endif

/// Dot products of one quantized weight row with several activation rows (batched decode): the
/// weight block is decoded once and multiplied with every activation row. For each activation row
/// the arithmetic is that of the single-row kernel (`dot`, `dotQ8`) in the same order, so every
/// result is bit-identical to the single-row one.
extension RowDot {
    /// Activation rows one `dotRows`/`dotQ8Rows` call takes at most.
    public static let maxRows = 8

    /// Whether `dotRows` and `dotQ8Rows` have a shared-decode kernel for `type` (AVX2 builds; other
    /// builds multiply row by row with `dot`/`dotQ8`).
    public static func hasRowsKernel(_ type: GGMLType) -> Bool {
        #if SCOPE_AVX2
        return type == .q4_1 || type == .q8_0
        #else
        return false
        #endif
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

    /// `out[t·stride] = dotQ8(type, row, activations of row t)` for t in 0..<n: `a` holds the 8-bit
    /// activations of several rows of `cols` values back to back (quantized together, which gives
    /// each row's own blocks since `cols` is a multiple of 32); this call reads rows
    /// `first..<first + n`. Eight rows at a time for Q8_0.
    @inline(__always)
    public static func dotQ8Rows(_ type: GGMLType, _ row: UnsafeRawPointer, _ a: Q8View, first: Int, count cols: Int,
                                 rows n: Int, into out: UnsafeMutablePointer<Float>, stride: Int) {
        if type == .q4_1 {
            // One row at a time (packed matrices take `Q4_1Packed.product` instead).
            let nb = cols / 32
            for t in 0..<n {
                let r = first + t
                out[t * stride] = dotQ4_1Q8(row, UnsafeRawPointer(a.qs + r * cols), a.scales + r * nb, a.sums + r * nb, nb)
            }
        } else {
            q8Rows(Q8_0Block.self, row, a, first, cols, n, out, stride)
        }
    }

    /// `dotQ8Rows` for one block format: groups of eight, four, then two rows keep their
    /// accumulators in registers; a last row runs the single-row kernel.
    @inline(__always)
    static func q8Rows<F: WeightBlock>(_ f: F.Type, _ row: UnsafeRawPointer, _ a: Q8View, _ first: Int, _ cols: Int, _ n: Int,
                                       _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
        let nb = cols / 32
        var t = 0
        while t < n {
            let qs = UnsafeRawPointer(a.qs + (first + t) * cols), scales = a.scales + (first + t) * nb
            let sums: UnsafePointer<Float>? = F.hasMin ? a.sums + (first + t) * nb : nil
            let o = out + t * stride
            if n - t >= 8, !F.hasMin {
                q8Rows8(f, row, qs, scales, cols, o, stride)
                t += 8
            } else if n - t >= 4 {
                q8Rows4(f, row, qs, scales, sums, cols, o, stride)
                t += 4
            } else if n - t >= 2 {
                q8Rows2(f, row, qs, scales, sums, cols, o, stride)
                t += 2
            } else {
                o[0] = q8Row1(f, row, qs, scales, sums, nb)
                t += 1
            }
        }
    }

    /// One row of `q8Rows` (`nb` blocks: bytes `aq`, scales, sums when `F` has a min term): the
    /// single-row kernel of `dotQ8` for Q4_1 and Q8_0.
    @inline(__always)
    static func q8Row1<F: WeightBlock>(_ f: F.Type, _ row: UnsafeRawPointer, _ aq: UnsafeRawPointer, _ scales: UnsafePointer<Float>,
                                       _ sums: UnsafePointer<Float>?, _ nb: Int) -> Float {
        var r0 = Q8Accumulator()
        for b in 0..<nb {
            let w = Q8Block(f, row + b * F.size)
            r0.add(f, w, aq, 32 * b, scales[b], sums, b)
        }
        return r0.total(f)
    }

    /// `q8Rows` for exactly two rows.
    @inline(__always)
    static func q8Rows2<F: WeightBlock>(_ f: F.Type, _ row: UnsafeRawPointer, _ aq: UnsafeRawPointer, _ scales: UnsafePointer<Float>,
                                        _ sums: UnsafePointer<Float>?, _ cols: Int, _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
        let nb = cols / 32
        var r0 = Q8Accumulator(), r1 = Q8Accumulator()
        for b in 0..<nb {
            let w = Q8Block(f, row + b * F.size)
            r0.add(f, w, aq, 32 * b, scales[b], sums, b)
            r1.add(f, w, aq, cols + 32 * b, scales[nb + b], sums, nb + b)
        }
        out[0] = r0.total(f); out[stride] = r1.total(f)
    }

    /// `q8Rows` for exactly four rows.
    @inline(__always)
    static func q8Rows4<F: WeightBlock>(_ f: F.Type, _ row: UnsafeRawPointer, _ aq: UnsafeRawPointer, _ scales: UnsafePointer<Float>,
                                        _ sums: UnsafePointer<Float>?, _ cols: Int, _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
        let nb = cols / 32
        var r0 = Q8Accumulator(), r1 = Q8Accumulator(), r2 = Q8Accumulator(), r3 = Q8Accumulator()
        for b in 0..<nb {
            let w = Q8Block(f, row + b * F.size)
            r0.add(f, w, aq, 32 * b, scales[b], sums, b)
            r1.add(f, w, aq, cols + 32 * b, scales[nb + b], sums, nb + b)
            r2.add(f, w, aq, 2 * cols + 32 * b, scales[2 * nb + b], sums, 2 * nb + b)
            r3.add(f, w, aq, 3 * cols + 32 * b, scales[3 * nb + b], sums, 3 * nb + b)
        }
        out[0] = r0.total(f); out[stride] = r1.total(f); out[2 * stride] = r2.total(f); out[3 * stride] = r3.total(f)
    }

    /// `q8Rows` for exactly eight rows of a format without a min term (Q8_0): eight vector
    /// accumulators.
    @inline(__always)
    static func q8Rows8<F: WeightBlock>(_ f: F.Type, _ row: UnsafeRawPointer, _ aq: UnsafeRawPointer, _ scales: UnsafePointer<Float>,
                                        _ cols: Int, _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
        let nb = cols / 32
        var r0 = Q8Accumulator(), r1 = Q8Accumulator(), r2 = Q8Accumulator(), r3 = Q8Accumulator()
        var r4 = Q8Accumulator(), r5 = Q8Accumulator(), r6 = Q8Accumulator(), r7 = Q8Accumulator()
        for b in 0..<nb {
            let w = Q8Block(f, row + b * F.size)
            r0.add(f, w, aq, 32 * b, scales[b], nil, 0)
            r1.add(f, w, aq, cols + 32 * b, scales[nb + b], nil, 0)
            r2.add(f, w, aq, 2 * cols + 32 * b, scales[2 * nb + b], nil, 0)
            r3.add(f, w, aq, 3 * cols + 32 * b, scales[3 * nb + b], nil, 0)
            r4.add(f, w, aq, 4 * cols + 32 * b, scales[4 * nb + b], nil, 0)
            r5.add(f, w, aq, 5 * cols + 32 * b, scales[5 * nb + b], nil, 0)
            r6.add(f, w, aq, 6 * cols + 32 * b, scales[6 * nb + b], nil, 0)
            r7.add(f, w, aq, 7 * cols + 32 * b, scales[7 * nb + b], nil, 0)
        }
        @inline(__always) func total(_ r: Q8Accumulator, _ t: Int) -> Float { r.total(f) }
        out[0] = total(r0, 0); out[stride] = total(r1, 1); out[2 * stride] = total(r2, 2); out[3 * stride] = total(r3, 3)
        out[4 * stride] = total(r4, 4); out[5 * stride] = total(r5, 5); out[6 * stride] = total(r6, 6); out[7 * stride] = total(r7, 7)
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

extension RowDot {
    /// The two-row pass of `dotQ8TwoRows`: each row with the single-row kernel's arithmetic in its
    /// order. The single-row kernel waits on its accumulator (one fused multiply-add per block, four
    /// cycles of latency); two rows give two independent chains.
    @inline(__always)
    static func q8WeightRows2<F: WeightBlock>(_ f: F.Type, _ rowA: UnsafeRawPointer, _ rowB: UnsafeRawPointer,
                                              _ a: Q8View, _ sums: UnsafePointer<Float>?, _ cols: Int) -> (Float, Float) {
        let aq = UnsafeRawPointer(a.qs)
        var r0 = Q8Accumulator(), r1 = Q8Accumulator()
        for b in 0..<(cols / 32) {
            let wa = Q8Block(f, rowA + b * F.size)
            let wb = Q8Block(f, rowB + b * F.size)
            r0.add(f, wa, aq, 32 * b, a.scales[b], sums, b)
            r1.add(f, wb, aq, 32 * b, a.scales[b], sums, b)
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

/// A weight block prepared for the integer kernels: codes as bytes, scale, min.
struct Q8Block {
    let w: BlockBytes
    let d, m: Float

    @inline(__always)
    init<F: WeightBlock>(_ f: F.Type, _ blk: UnsafeRawPointer) {
        (d, m) = F.scaleAndMin(blk)
        w = F.bytes(blk)
    }
}

/// One activation row's accumulators in the integer (8-bit activation) kernels.
struct Q8Accumulator {
    var acc = _mm256_setzero_ps()
    var minTerm: Float = 0

    /// Adds block `w` times the row's 32 activation bytes at `aq + offset` (block scale `scale`):
    /// the integer lane sums, converted, times `d·scale`; and `m·sums[index]` when there are sums.
    @inline(__always)
    mutating func add<F: WeightBlock>(_ f: F.Type, _ w: Q8Block, _ aq: UnsafeRawPointer, _ offset: Int, _ scale: Float,
                                      _ sums: UnsafePointer<Float>?, _ index: Int) {
        let q = unsafeBitCast(aq.loadUnaligned(fromByteOffset: offset, as: SIMD32<Int8>.self), to: __m256i.self)
        acc = _mm256_fmadd_ps(_mm256_set1_ps(w.d * scale), F.products(w.w, q), acc)
        if let sums { minTerm += w.m * sums[index] }
    }

    @inline(__always)
    func total<F: WeightBlock>(_ f: F.Type) -> Float { F.hasMin ? acc.sum() + minTerm : acc.sum() }
}
#endif
