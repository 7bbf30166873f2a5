import CPrefetch

/// Streaming attention for two or three query rows that read the same stored key/value rows (the
/// query heads of one KV head, or rows of a prefill tile): each stored vector is loaded and widened
/// once for all of them instead of once per row, which is what a CPU without wide vector units
/// spends its attention time on (an f16 vector's widening costs as much as its multiply-add).
///
/// Invariant: per row, every operation is the one `accumulate` performs, in the same order — a
/// key's score is the same multiply-add chain over the head dimension reduced by the same `sums`
/// (or `sum()` for the last keys), masking and folding are the same calls, and each output value is
/// the same chain over the block's keys — so a row's state after the block is bit-identical to
/// folding the block into it alone. Only which rows share a load differs.
extension AttentionKernel {
    /// One query row of a group: its query vector, position, and running state (`m`, `l`, `o`).
    public struct GroupRow {
        public let query: UnsafePointer<Float>
        public let position: Int32
        public let maximum: UnsafeMutablePointer<Float>, sum: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>
        /// `blockSize` floats of scratch for the row's scores.
        public let scores: UnsafeMutablePointer<Float>

        public init(query: UnsafePointer<Float>, position: Int32, maximum: UnsafeMutablePointer<Float>,
                    sum: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>) {
            self.query = query; self.position = position
            self.maximum = maximum; self.sum = sum; self.out = out; self.scores = scores
        }
    }

    /// Most rows one group pass holds: three rows' 32 output values (twelve vectors), their three
    /// weights and one widened value fill AVX2's sixteen vector registers.
    public static let groupWidth = 3

    /// Folds one block of `count` keys/values into the states of `rows.0`, `rows.1` and, when
    /// `three`, `rows.2` (otherwise ignored), as `accumulate` does for each row alone (`d` a multiple
    /// of 32). The rows are float32 when `layout` is nil, else f16 or q8_0/q4_0 rows in that layout.
    /// With `next`, the next block's `count` key and value rows are prefetched along the way (no
    /// result depends on it).
    @inline(__always)
    public static func accumulateGroup(_ rows: (GroupRow, GroupRow, GroupRow), three: Bool, layout: KVRowLayout?,
                                       keys k: UnsafeRawPointer, values v: UnsafeRawPointer,
                                       positions: UnsafePointer<Int32>, count: Int, headDim d: Int, scale: Float,
                                       prefetch next: (keys: UnsafeRawPointer, values: UnsafeRawPointer)? = nil) {
        precondition(d % 32 == 0 && count <= blockSize, "accumulateGroup: head dimension \(d), \(count) keys")
        @inline(__always) func width<W: GroupWidth>(_: W.Type) {
            switch layout {
            case nil: rowGroup(F32Rows.self, W.self, rows, k, v, positions, count, d, scale, next)
            case .f16: rowGroup(F16Rows.self, W.self, rows, k, v, positions, count, d, scale, next)
            case .q8_0(let stride): blockGroup(Q8_0Blocks.self, W.self, rows, k, v, stride, positions, count, d, scale, next)
            case .q4_0(let stride): blockGroup(Q4_0Blocks.self, W.self, rows, k, v, stride, positions, count, d, scale, next)
            }
        }
        if three { width(ThreeRows.self) } else { width(TwoRows.self) }
    }

    /// The steps every row format shares: the rows' scores (`scores`), each row's mask, scale and
    /// fold, then the values — `values` for all rows when every row saw a key, else `valueAlone` for
    /// each row that did (a row whose keys are all masked in this block keeps its state).
    @inline(__always)
    static func foldGroup<W: GroupWidth>(_: W.Type, _ rows: (GroupRow, GroupRow, GroupRow), _ positions: UnsafePointer<Int32>,
                                         _ count: Int, _ d: Int, _ scale: Float,
                                         scores: (Three<UnsafePointer<Float>>, Three<UnsafeMutablePointer<Float>>) -> Void,
                                         values: (Three<UnsafePointer<Float>>, Three<UnsafeMutablePointer<Float>>) -> Void,
                                         valueAlone: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        scores((rows.0.query, rows.1.query, rows.2.query), (rows.0.scores, rows.1.scores, rows.2.scores))
        @inline(__always) func fold(_ r: GroupRow) -> Bool {
            let blockMax = maskAndScale(r.scores, positions: positions, position: r.position, count: count, scale: scale)
            return foldScores(r.scores, count: count, blockMax: blockMax, maximum: &r.maximum.pointee, sum: &r.sum.pointee,
                              out: r.out, headDim: d)
        }
        let live = (fold(rows.0), fold(rows.1), W.count == 3 ? fold(rows.2) : false)
        if live.0 && live.1 && (W.count == 2 || live.2) {
            values((UnsafePointer(rows.0.scores), UnsafePointer(rows.1.scores), UnsafePointer(rows.2.scores)),
                   (rows.0.out, rows.1.out, rows.2.out))
            return
        }
        if live.0 { valueAlone(rows.0.scores, rows.0.out) }
        if live.1 { valueAlone(rows.1.scores, rows.1.out) }
        if live.2 { valueAlone(rows.2.scores, rows.2.out) }
    }

    /// `foldGroup` over float32 or f16 rows (`R`).
    @inline(__always)
    static func rowGroup<R: KVRowFormat, W: GroupWidth>(_: R.Type, _: W.Type, _ rows: (GroupRow, GroupRow, GroupRow),
                                                       _ k: UnsafeRawPointer, _ v: UnsafeRawPointer,
                                                       _ positions: UnsafePointer<Int32>, _ count: Int, _ d: Int,
                                                       _ scale: Float, _ next: (keys: UnsafeRawPointer, values: UnsafeRawPointer)?) {
        foldGroup(W.self, rows, positions, count, d, scale, scores: { q, s in
            groupScores(R.self, W.self, q, keys: k, count: count, headDim: d, into: s, prefetch: next?.keys)
        }, values: { p, o in
            let rs = R.valueBytes * d
            groupValues(W.self, p, count: count, headDim: d, into: o, prefetch: next?.values, rowBytes: rs,
                        key: { c, j in (1, v + j * rs + R.valueBytes * c) }, load8: { at, i in R.load8(at, 8 * R.valueBytes * i) })
        }, valueAlone: { p, o in
            accumulateValues(R.self, p, values: v, count: count, headDim: d, into: o)
        })
    }

    /// `s.i[j] = q.i · k_j` for rows i < `W.count`: `scores` for each row, each key row widened once.
    /// Two keys at a time (six chains over the head dimension); every eight keys the chains, kept
    /// in `stash`, are reduced by `VectorMath.sums` exactly as `scores` reduces its eight.
    @inline(__always)
    static func groupScores<R: KVRowFormat, W: GroupWidth>(_: R.Type, _: W.Type,
                                                          _ q: Three<UnsafePointer<Float>>, keys k: UnsafeRawPointer,
                                                          count: Int, headDim d: Int, into s: Three<UnsafeMutablePointer<Float>>,
                                                          prefetch next: UnsafeRawPointer?) {
        let q0 = UnsafeRawPointer(q.0), q1 = UnsafeRawPointer(q.1), q2 = UnsafeRawPointer(q.2)
        let three = W.count == 3, rs = R.valueBytes * d
        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 24) { stash in
            var j = 0
            while j + 8 <= count {
                if let next { scope_prefetch_range_l2(next + j * rs, 8 * rs) }
                var pair = 0
                while pair < 8 {
                    let x0 = (j + pair) * rs, y0 = x0 + rs
                    var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>()
                    var b0 = SIMD8<Float>(), b1 = SIMD8<Float>(), b2 = SIMD8<Float>()
                    var c = 0
                    while c < d {
                        let o = R.valueBytes * c
                        let x = R.load8(k, x0 + o), y = R.load8(k, y0 + o)
                        let u0 = q0.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self)
                        a0.addProduct(u0, x); b0.addProduct(u0, y)
                        let u1 = q1.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self)
                        a1.addProduct(u1, x); b1.addProduct(u1, y)
                        if three {
                            let u2 = q2.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self)
                            a2.addProduct(u2, x); b2.addProduct(u2, y)
                        }
                        c += 8
                    }
                    stash[pair] = a0; stash[pair + 1] = b0
                    stash[8 + pair] = a1; stash[9 + pair] = b1
                    stash[16 + pair] = a2; stash[17 + pair] = b2
                    pair += 2
                }
                storeSums(stash, from: 0, into: s.0 + j)
                storeSums(stash, from: 8, into: s.1 + j)
                if three { storeSums(stash, from: 16, into: s.2 + j) }
                j += 8
            }
            while j < count {
                if let next { scope_prefetch_range_l2(next + j * rs, rs) }
                var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>()
                var c = 0
                while c < d {
                    let x = R.load8(k, j * rs + R.valueBytes * c)
                    a0.addProduct(q0.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self), x)
                    a1.addProduct(q1.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self), x)
                    if three { a2.addProduct(q2.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self), x) }
                    c += 8
                }
                s.0[j] = a0.sum(); s.1[j] = a1.sum()
                if three { s.2[j] = a2.sum() }
                j += 1
            }
        }
    }

    /// `o.i += Σ_j p.i[j] · w_j · x_j` for rows i < `W.count` (`d` a multiple of 32), where
    /// `key(c, j)` gives key j's scale `w_j` and where its values `c ..< c + 32` start, and
    /// `load8(at, i)` widens values `c + 8i ..< c + 8i + 8` from there: 32 output values of every
    /// row in registers at a time (twelve vectors), each vector widened once and added to every row
    /// with weight `p.i[j] · w_j`. Each output value's chain over the keys is the one the row alone
    /// runs (float32/f16 rows: `w_j = 1`, and `p · 1 = p` exactly). With `next`, the first span's
    /// pass prefetches row j there (`rowBytes` apart) before row j.
    @inline(__always)
    static func groupValues<W: GroupWidth>(_: W.Type, _ p: Three<UnsafePointer<Float>>, count: Int, headDim d: Int,
                                           into o: Three<UnsafeMutablePointer<Float>>,
                                           prefetch next: UnsafeRawPointer?, rowBytes: Int,
                                           key: (_ c: Int, _ j: Int) -> (scale: Float, at: UnsafeRawPointer),
                                           load8: (_ at: UnsafeRawPointer, _ i: Int) -> SIMD8<Float>) {
        let three = W.count == 3
        let o0 = UnsafeMutableRawPointer(o.0), o1 = UnsafeMutableRawPointer(o.1), o2 = UnsafeMutableRawPointer(o.2)
        var c = 0
        while c < d {
            var l0 = OutputLanes(o0, 4 * c), l1 = OutputLanes(o1, 4 * c)
            var l2 = three ? OutputLanes(o2, 4 * c) : l1
            @inline(__always) func row(_ j: Int) {
                let (h, at) = key(c, j)
                let w0 = SIMD8<Float>(repeating: p.0[j] * h), w1 = SIMD8<Float>(repeating: p.1[j] * h)
                let w2 = SIMD8<Float>(repeating: three ? p.2[j] * h : 0)
                var x = load8(at, 0)
                l0.a0.addProduct(w0, x); l1.a0.addProduct(w1, x); if three { l2.a0.addProduct(w2, x) }
                x = load8(at, 1)
                l0.a1.addProduct(w0, x); l1.a1.addProduct(w1, x); if three { l2.a1.addProduct(w2, x) }
                x = load8(at, 2)
                l0.a2.addProduct(w0, x); l1.a2.addProduct(w1, x); if three { l2.a2.addProduct(w2, x) }
                x = load8(at, 3)
                l0.a3.addProduct(w0, x); l1.a3.addProduct(w1, x); if three { l2.a3.addProduct(w2, x) }
            }
            if c == 0, let next {
                for j in 0..<count { scope_prefetch_range_l2(next + j * rowBytes, rowBytes); row(j) }
            } else {
                for j in 0..<count { row(j) }
            }
            l0.store(o0, 4 * c); l1.store(o1, 4 * c)
            if three { l2.store(o2, 4 * c) }
            c += 32
        }
    }
}

/// One value per row of a group pass (the third unused by a pair).
typealias Three<T> = (T, T, T)

/// How many rows a group pass holds, as a type, so each width gets its own specialised loops.
protocol GroupWidth { static var count: Int { get } }
enum TwoRows: GroupWidth { static var count: Int { @inline(__always) get { 2 } } }
enum ThreeRows: GroupWidth { static var count: Int { @inline(__always) get { 3 } } }
