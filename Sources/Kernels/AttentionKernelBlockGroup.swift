import CPrefetch

/// Grouped streaming attention over llama.cpp `q8_0` / `q4_0` rows (`AttentionKernelGroup.swift`
/// for float32 and f16): each block of codes is widened once for the two or three query rows
/// that read it. Widening a block costs a load and two conversions per eight codes, more than the
/// one multiply-add each row does with them.
///
/// Invariant (the grouped kernels' own): per row, every operation is the one `blockScores` /
/// `blockAccumulateValues` performs for the row alone, in the same order — a key's score is the
/// same per-block chain `c0·q, +c1·q, +c2·q, +c3·q` added to the row's sum with the block's scale
/// and reduced by the same sums; each output value is the same chain over the block's keys, adding
/// `(p_j · d) · code` — so the bits are the same. The row alone skips a key whose probability is 0,
/// so a block where some row has one goes row by row.
extension AttentionKernel {
    /// `foldGroup` over `B`-format rows `stride` bytes apart.
    @inline(__always)
    static func blockGroup<B: KVBlockFormat, W: GroupWidth>(_: B.Type, _: W.Type, _ rows: (GroupRow, GroupRow, GroupRow),
                                                           _ k: UnsafeRawPointer, _ v: UnsafeRawPointer, _ stride: Int,
                                                           _ positions: UnsafePointer<Int32>, _ count: Int, _ d: Int,
                                                           _ scale: Float, _ next: (keys: UnsafeRawPointer, values: UnsafeRawPointer)?) {
        foldGroup(W.self, rows, positions, count, d, scale, scores: { q, s in
            blockGroupScores(B.self, W.self, q, keys: k, stride: stride, count: count, headDim: d, into: s, prefetch: next?.keys)
        }, values: { p, o in
            if anyZero(W.self, p, count: count) {
                // Masked keys in the block (a prefill tile's diagonal, say): the rows go one by one.
                @inline(__always) func alone(_ r: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
                    blockAccumulateValues(B.self, r, values: v, stride: stride, count: count, headDim: d, into: out, prefetch: nil)
                }
                alone(p.0, o.0); alone(p.1, o.1)
                if W.count == 3 { alone(p.2, o.2) }
            } else {
                // Every key block's codes widened once for all rows, weighted `p.i[j] · d_block`.
                groupValues(W.self, p, count: count, headDim: d, into: o, prefetch: next?.values, rowBytes: stride,
                            key: { c, j in
                                let blk = v + j * stride + c / 32 * B.blockBytes
                                return (halfAt(blk, 0), blk)
                            }, load8: { blk, i in B.codes8(blk, i) })
            }
        }, valueAlone: { p, o in
            blockAccumulateValues(B.self, p, values: v, stride: stride, count: count, headDim: d, into: o, prefetch: nil)
        })
    }

    /// `s.i[j] = q.i · dequant(k_j)` for rows i < `W.count`: key by key, each block's 32 codes
    /// widened once for every row's chain; every eight keys each row's chains are reduced as
    /// `blockScores` reduces them. With `next`, the `count` rows there are prefetched.
    @inline(__always)
    static func blockGroupScores<B: KVBlockFormat, W: GroupWidth>(_: B.Type, _: W.Type, _ q: Three<UnsafePointer<Float>>,
                                                                 keys k: UnsafeRawPointer, stride: Int, count: Int, headDim d: Int,
                                                                 into s: Three<UnsafeMutablePointer<Float>>,
                                                                 prefetch next: UnsafeRawPointer?) {
        let q0 = UnsafeRawPointer(q.0), q1 = UnsafeRawPointer(q.1), q2 = UnsafeRawPointer(q.2)
        let three = W.count == 3, blocks = d / 32
        @inline(__always) func chains(_ row: UnsafeRawPointer) -> Three<SIMD8<Float>> {
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>()
            for b in 0..<blocks {
                let blk = row + b * B.blockBytes
                let codes = B.codes(blk), scale = SIMD8<Float>(repeating: halfAt(blk, 0))
                a0.addProduct(scale, blockDot(codes, q0, block: b))
                a1.addProduct(scale, blockDot(codes, q1, block: b))
                if three { a2.addProduct(scale, blockDot(codes, q2, block: b)) }
            }
            return (a0, a1, a2)
        }
        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 24) { stash in
            var j = 0
            while j + 8 <= count {
                if let next { scope_prefetch_range_l2(next + j * stride, 8 * stride) }
                for i in 0..<8 {
                    let a = chains(k + (j + i) * stride)
                    stash[i] = a.0; stash[8 + i] = a.1; stash[16 + i] = a.2
                }
                storeSums(stash, from: 0, into: s.0 + j)
                storeSums(stash, from: 8, into: s.1 + j)
                if three { storeSums(stash, from: 16, into: s.2 + j) }
                j += 8
            }
            while j < count {
                if let next { scope_prefetch_range_l2(next + j * stride, stride) }
                let a = chains(k + j * stride)
                s.0[j] = a.0.sum(); s.1[j] = a.1.sum()
                if three { s.2[j] = a.2.sum() }
                j += 1
            }
        }
    }

    /// Whether `p.i[j]` is 0 for some row i < `W.count` and key j < `count` (a row alone skips such
    /// a key, which the grouped value pass does not).
    @inline(__always)
    static func anyZero<W: GroupWidth>(_: W.Type, _ p: Three<UnsafePointer<Float>>, count: Int) -> Bool {
        var zero = false
        for j in 0..<count { zero = zero || p.0[j] == 0 || p.1[j] == 0 || (W.count == 3 && p.2[j] == 0) }
        return zero
    }
}
