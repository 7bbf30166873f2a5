import Foundation

extension MatMul {
    /// `n` independent matrix–vector products sharing the weights (batched decode): `ys[i]` row t
    /// gets `ws[i]·x_t` for the `n` activation rows of `x` (`[n, cols]`; `ys[i]` is `[n, ws[i].rows]`).
    ///
    /// Tasks of `vectorChunkRows` weight rows; each weight row is streamed from memory once
    /// and, for Q4_1/Q8_0, decoded once for up to `RowDot.maxRows` activation rows (`RowDot.dotRows`)
    /// or, with q8 activations and a packed copy, eight weight rows at a time for every activation
    /// row (`PackedMatrix`). Row t of the result is bit-identical to `matvec` of row t
    /// alone, in float32 and in q8 mode: every kernel repeats the single-row arithmetic per row.
    public static func matvecRows(_ ws: [WeightMatrix], _ x: UnsafePointer<Float>, n: Int, _ ys: [UnsafeMutablePointer<Float>],
                                  pool: ThreadPool, activations: ActivationPrecision = .f32) {
        guard n > 0, let cols = ws.first?.cols else { return }
        precondition(ws.count == ys.count && ws.allSatisfy { $0.cols == cols }, "matvecRows: mismatched matrices")
        if n == 1 { matmul(ws, x, n: 1, ys, pool: pool, activations: activations); return }
        // Tasks as large as a decode task's: with n activation rows each does n times its arithmetic,
        // but tasks of 16 rows (tried to even out the threads' shares) measured 13–25% slower at
        // n = 4 and 8: each claim is a round trip of the counter's cache line between the cores,
        // and each new run of rows starts cold (BENCHMARKS.md).
        let taskRows = vectorChunkRows
        var firstTask: [Int] = [0]
        for w in ws { firstTask.append(firstTask.last! + (w.rows + taskRows - 1) / taskRows) }
        let nb = cols / 32
        // 8-bit activations as the decode path makes them, all rows quantized together (blocks of 32
        // never straddle rows).
        let useQ8 = activations == .q8 && cols % 32 == 0
        let q8Types = ws.map { useQ8 && RowDot.hasQ8Kernel($0.type) }
        // Float32 block sums of x, for Q4_1 rows that take float32 activations.
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: max(1, n * nb))
        defer { sums.deallocate() }
        if zip(ws, q8Types).contains(where: { $0.type == .q4_1 && !$1 }) {
            for t in 0..<n { RowDot.blockSums(x + t * cols, count: cols, into: sums + t * nb) }
        }
        let q8All = q8Types.contains(true) ? Q8Activations(x, count: n * cols, rows: n) : nil
        // The loop reads the activations through a plain view: binding the object per weight row
        // would retain and release it on both threads, whose reference-count writes then contend
        // for one cache line (about 9% of a batched step in a profile).
        let q8View = q8All.map(Q8View.init)
        defer { withExtendedLifetime(q8All) {} }
        let data = ws.map(\.data)
        pool.parallelFor(firstTask.last!) { task in
            var m = 0
            while task >= firstTask[m + 1] { m += 1 }
            let w = data[m], y = ys[m], rows = w.rows
            let start = (task - firstTask[m]) * taskRows, end = min(rows, start + taskRows)
            if q8Types[m], let q8View {
                if let packed = w.packed, PackedMatrix.buildReadsPacked {
                    PackedMatrix.product(w, packed, rows: start..<end, q8View, tokens: n, y, yStride: rows)
                    return
                }
                for r in start..<end {
                    prefetchAhead(w, r)
                    RowDot.dotQ8Rows(w.type, w.row(r), q8View, first: 0, count: cols, rows: n, into: y + r, stride: rows)
                }
            } else if RowDot.hasFusedKernel(w.type) {
                for r in start..<end {
                    prefetchAhead(w, r)
                    let row = w.row(r)
                    #if SCOPE_AVX2
                    if RowDot.hasRowsKernel(w.type) {
                        for t0 in stride(from: 0, to: n, by: RowDot.maxRows) {
                            RowDot.dotRows(w.type, row, x + t0 * cols, sums: sums + t0 * nb, count: cols,
                                           rows: min(RowDot.maxRows, n - t0), into: y + t0 * rows + r, stride: rows)
                        }
                        continue
                    }
                    #endif
                    for t in 0..<n {
                        y[t * rows + r] = RowDot.dot(w.type, row, x + t * cols, blockSums: sums + t * nb, count: cols, scratch: nil)
                    }
                }
            } else {
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: cols)
                defer { scratch.deallocate() }
                for r in start..<end {
                    for t in 0..<n {
                        y[t * rows + r] = RowDot.dot(w.type, w.row(r), x + t * cols, blockSums: sums + t * nb, count: cols,
                                                     scratch: scratch)
                    }
                }
            }
        }
    }
}
