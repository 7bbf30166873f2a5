import CPrefetch
import GGUF

/// How the attention kernels read a storage head's K/V rows in place (without a float32 copy):
/// IEEE halves (`2·d` bytes per row), or llama.cpp `q8_0`/`q4_0` blocks with rows `rowStride`
/// bytes apart (at least `d / 32` blocks; a row may be padded to whole 4-byte slots).
public enum KVRowLayout: Sendable, Equatable {
    case f16
    case q8_0(rowStride: Int)
    case q4_0(rowStride: Int)

    /// Bytes from one row to the next for rows of `d` values.
    @inline(__always)
    public func rowStride(headDim d: Int) -> Int {
        switch self {
        case .f16: return 2 * d
        case .q8_0(let stride), .q4_0(let stride): return stride
        }
    }

    /// The GGUF tensor type of one row (for `RowDot.dequantize`).
    public var ggmlType: GGMLType {
        switch self {
        case .f16: return .f16
        case .q8_0: return .q8_0
        case .q4_0: return .q4_0
        }
    }

    /// Whether the fused kernels read rows of `d` values in this layout: `d` a multiple of 32
    /// (the value kernels work 32 dimensions at a time; also the block size).
    public static func fusedKernelsSupport(headDim d: Int) -> Bool { d % 32 == 0 }
}

extension AttentionKernel {
    /// `s[j] = q · dequant(k_j)` over `count` block-format key rows `stride` bytes apart (`d` a
    /// multiple of 32): per block, the float32 query times the widened codes (`blockDot`), then one
    /// multiply-add by the block's scale into the key's chain; every eight keys the chains are reduced
    /// by `VectorMath.sums`, the last keys by `sum()` (the association the f16 kernels use). Equal to
    /// the dot with the dequantized row up to summation order. With `next`, the `count` rows there are
    /// prefetched.
    @inline(__always)
    static func blockScores<B: KVBlockFormat>(_: B.Type, query q: UnsafePointer<Float>, keys k: UnsafeRawPointer, stride: Int,
                                              count: Int, headDim d: Int, into s: UnsafeMutablePointer<Float>,
                                              prefetch next: UnsafeRawPointer?) {
        let rq = UnsafeRawPointer(q), blocks = d / 32
        @inline(__always) func chain(_ row: UnsafeRawPointer) -> SIMD8<Float> {
            var a = SIMD8<Float>()
            for b in 0..<blocks {
                let blk = row + b * B.blockBytes
                a.addProduct(SIMD8(repeating: halfAt(blk, 0)), blockDot(B.codes(blk), rq, block: b))
            }
            return a
        }
        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 8) { stash in
            var j = 0
            while j + 8 <= count {
                if let next { scope_prefetch_range_l2(next + j * stride, 8 * stride) }
                var i = 0
                while i < 8 {
                    // two rows at a time: independent chains
                    let r0 = k + (j + i) * stride
                    stash[i] = chain(r0); stash[i + 1] = chain(r0 + stride)
                    i += 2
                }
                storeSums(stash, into: s + j)
                j += 8
            }
            while j < count {
                if let next { scope_prefetch_range_l2(next + j * stride, stride) }
                s[j] = chain(k + j * stride).sum()
                j += 1
            }
        }
    }

    /// `c0·q, +c1·q, +c2·q, +c3·q` over block `b` of the float32 query `q` and one block's widened
    /// codes (32 values: one chain of multiply-adds per lane).
    @inline(__always)
    static func blockDot(_ codes: BlockCodes, _ q: UnsafeRawPointer, block b: Int) -> SIMD8<Float> {
        let (c0, c1, c2, c3) = codes
        let o = 128 * b
        var t = c0 * q.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
        t.addProduct(c1, q.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self))
        t.addProduct(c2, q.loadUnaligned(fromByteOffset: o + 64, as: SIMD8<Float>.self))
        t.addProduct(c3, q.loadUnaligned(fromByteOffset: o + 96, as: SIMD8<Float>.self))
        return t
    }

    /// `s[0 ..< 8]` = the horizontal sums of `stash[0 ..< 8]` (`VectorMath.sums`).
    @inline(__always)
    static func storeSums(_ stash: UnsafeMutableBufferPointer<SIMD8<Float>>, from first: Int = 0, into s: UnsafeMutablePointer<Float>) {
        let sums = VectorMath.sums(stash[first], stash[first + 1], stash[first + 2], stash[first + 3],
                                   stash[first + 4], stash[first + 5], stash[first + 6], stash[first + 7])
        UnsafeMutableRawPointer(s).storeBytes(of: sums, as: SIMD8<Float>.self)
    }

    /// `o += Σ_j p[j] · dequant(v_j)` over `count` block-format value rows `stride` bytes apart (`d`
    /// a multiple of 32): the output stays in registers, 64 (or 32) dimensions at a time; each
    /// block adds `(p_j · d_block) · codes`. With `next`, the `count` rows there are prefetched.
    @inline(__always)
    static func blockAccumulateValues<B: KVBlockFormat>(_: B.Type, _ p: UnsafePointer<Float>, values v: UnsafeRawPointer, stride: Int,
                                                        count: Int, headDim d: Int, into o: UnsafeMutablePointer<Float>,
                                                        prefetch next: UnsafeRawPointer?) {
        OutputLanes.accumulate(into: UnsafeMutableRawPointer(o), headDim: d, rows: count, prefetching: next, rowBytes: stride,
                               wide: { c, j, low, high in
            if p[j] == 0 { return }
            let blk0 = v + j * stride + c / 32 * B.blockBytes, blk1 = blk0 + B.blockBytes
            low.add(SIMD8(repeating: p[j] * halfAt(blk0, 0)), B.codes(blk0))
            high.add(SIMD8(repeating: p[j] * halfAt(blk1, 0)), B.codes(blk1))
        }, narrow: { c, j, low in
            if p[j] == 0 { return }
            let blk = v + j * stride + c / 32 * B.blockBytes
            low.add(SIMD8(repeating: p[j] * halfAt(blk, 0)), B.codes(blk))
        })
    }

    /// `s[j] = q · k_j` over `count` key rows stored in `layout` (`d` a multiple of 32); with `next`,
    /// the `count` key rows there are prefetched.
    @inline(__always)
    public static func scores(query q: UnsafePointer<Float>, keys k: UnsafeRawPointer, layout: KVRowLayout, count: Int,
                              headDim d: Int, into s: UnsafeMutablePointer<Float>, prefetch next: UnsafeRawPointer? = nil) {
        switch layout {
        case .f16: scores(F16Rows.self, query: q, keys: k, count: count, headDim: d, into: s, prefetch: next)
        case .q8_0(let stride):
            blockScores(Q8_0Blocks.self, query: q, keys: k, stride: stride, count: count, headDim: d, into: s, prefetch: next)
        case .q4_0(let stride):
            blockScores(Q4_0Blocks.self, query: q, keys: k, stride: stride, count: count, headDim: d, into: s, prefetch: next)
        }
    }

    /// `o += Σ_j p[j] · v_j` over `count` value rows stored in `layout` (`d` a multiple of 32); with
    /// `next`, the `count` value rows there are prefetched.
    @inline(__always)
    public static func accumulateValues(_ p: UnsafePointer<Float>, values v: UnsafeRawPointer, layout: KVRowLayout, count: Int,
                                        headDim d: Int, into o: UnsafeMutablePointer<Float>, prefetch next: UnsafeRawPointer? = nil) {
        switch layout {
        case .f16: accumulateValues(F16Rows.self, p, values: v, count: count, headDim: d, into: o, prefetch: next)
        case .q8_0(let stride):
            blockAccumulateValues(Q8_0Blocks.self, p, values: v, stride: stride, count: count, headDim: d, into: o, prefetch: next)
        case .q4_0(let stride):
            blockAccumulateValues(Q4_0Blocks.self, p, values: v, stride: stride, count: count, headDim: d, into: o, prefetch: next)
        }
    }

    /// `maskedScores` over key rows stored in `layout` (`d` a multiple of 32).
    @inline(__always)
    public static func maskedScores(query q: UnsafePointer<Float>, position: Int32, keys k: UnsafeRawPointer, layout: KVRowLayout,
                                    positions: UnsafePointer<Int32>, count: Int, headDim d: Int, scale: Float,
                                    into s: UnsafeMutablePointer<Float>, prefetch next: UnsafeRawPointer? = nil) -> Float {
        scores(query: q, keys: k, layout: layout, count: count, headDim: d, into: s, prefetch: next)
        return maskAndScale(s, positions: positions, position: position, count: count, scale: scale)
    }

    /// `accumulate` over key and value rows stored in `layout` (`d` a multiple of 32): the float32
    /// recurrence on values widened (and scaled) in registers. With `next`, the `count` key and value
    /// rows there are prefetched along the way (the next block's; no result depends on it).
    @inline(__always)
    public static func accumulate(query q: UnsafePointer<Float>, position: Int32,
                                  keys k: UnsafeRawPointer, values v: UnsafeRawPointer, layout: KVRowLayout,
                                  positions: UnsafePointer<Int32>, count: Int, headDim d: Int, scale: Float,
                                  maximum m: inout Float, sum l: inout Float, out o: UnsafeMutablePointer<Float>,
                                  scratch s: UnsafeMutablePointer<Float>,
                                  prefetch next: (keys: UnsafeRawPointer, values: UnsafeRawPointer)? = nil) {
        let blockMax = maskedScores(query: q, position: position, keys: k, layout: layout, positions: positions, count: count,
                                    headDim: d, scale: scale, into: s, prefetch: next?.keys)
        if foldScores(s, count: count, blockMax: blockMax, maximum: &m, sum: &l, out: o, headDim: d) {
            accumulateValues(s, values: v, layout: layout, count: count, headDim: d, into: o, prefetch: next?.values)
        }
    }
}
