import CPrefetch
import Foundation

/// Matrix–vector (decode) and matrix–matrix (prefill) products with quantized weights.
public enum MatMul {
    /// Weight rows per decode task, for one activation row or several (llama.cpp uses 64 for
    /// matrix–vector products). The pool claims tasks in shrinking contiguous runs, so a thread
    /// streams long runs of rows and the threads still finish together.
    public static let vectorChunkRows = 64
    /// Weight rows dequantized per prefill task (a float32 panel reused across a token tile).
    public static let panelRows = 16
    /// Activation rows per prefill task (the tile of `X` stays in L2 while the panel sweeps it).
    public static let tokenTile = 64
    /// Decode: how many weight rows ahead of the current one are prefetched (software prefetch
    /// crosses the 4 KiB pages where hardware prefetchers stop; +4% decode, see BENCHMARKS.md).
    /// `SCOPE_PREFETCH_ROWS=N` overrides it (0 turns it off) for A/B measurements.
    public static let prefetchRows: Int =
        Int(ProcessInfo.processInfo.environment["SCOPE_PREFETCH_ROWS"] ?? "") ?? 8

    /// `y = W·x`: `x` has `w.cols` floats, `y` gets `w.rows` floats.
    public static func matvec(_ w: WeightMatrix, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                              pool: ThreadPool, activations: ActivationPrecision = .f32) {
        matmul([w], x, n: 1, [y], pool: pool, activations: activations)
    }

    /// `Y = X·Wᵀ` for `n` activation rows: `X` is `[n, w.cols]`, `Y` is `[n, w.rows]` (row-major).
    public static func matmul(_ w: WeightMatrix, _ x: UnsafePointer<Float>, n: Int, _ y: UnsafeMutablePointer<Float>,
                              pool: ThreadPool, activations: ActivationPrecision = .f32) {
        matmul([w], x, n: n, [y], pool: pool, activations: activations)
    }

    /// Several products with the same input in one parallel job (e.g. Q, K, V or gate, up):
    /// `ys[i] = X·ws[i]ᵀ`. All matrices must have `cols` equal to the width of `X`.
    ///
    /// Decode (`n == 1`): tasks of 64 rows, each row one fused dequantize-and-dot pass over the
    /// weights (streamed once); Q4_1 and Q8_0 rows two at a time, sharing the activation loads and
    /// giving two independent accumulator chains (AVX2 builds; each result bit-identical to the
    /// single-row kernel's). Prefill: tasks of (16-row panel, 64-token tile); the panel is
    /// dequantized to float32 once per task and multiplied by the tile with a register-blocked
    /// 4 rows × 2 tokens kernel. With `activations == .q8` (opt-in) the decode
    /// input is quantized to 8 bits once and Q4_1/Q8_0 rows use integer dot products; matrices
    /// with a packed copy run eight rows per pass (`PackedMatrix`).
    public static func matmul(_ ws: [WeightMatrix], _ x: UnsafePointer<Float>, n: Int, _ ys: [UnsafeMutablePointer<Float>],
                              pool: ThreadPool, activations: ActivationPrecision = .f32) {
        guard n > 0, let cols = ws.first?.cols else { return }
        precondition(ws.count == ys.count && ws.allSatisfy { $0.cols == cols }, "matmul: mismatched matrices")
        let rowsPerTask = n == 1 ? vectorChunkRows : panelRows
        let tokenTiles = n == 1 ? 1 : (n + tokenTile - 1) / tokenTile
        var firstTask: [Int] = [0]
        for w in ws { firstTask.append(firstTask.last! + (w.rows + rowsPerTask - 1) / rowsPerTask * tokenTiles) }
        let q8 = n == 1 && activations == .q8 && cols % 32 == 0 && ws.contains { RowDot.hasQ8Kernel($0.type) }
            ? Q8Activations(x, count: cols) : nil
        // Float32 block sums of x for Q4_1 rows, unless they all take the 8-bit activations.
        let needsSums = ws.contains { $0.type == .q4_1 } && q8 == nil
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: max(1, n * cols / 32))
        defer { sums.deallocate() }
        if n == 1 && needsSums { RowDot.blockSums(x, count: cols, into: sums) }
        // The tasks read the 8-bit activations through a view (no reference counting across threads),
        // valid while `q8` lives.
        let q8View = q8.map(Q8View.init)
        let data = ws.map(\.data)
        withExtendedLifetime(q8) {
            pool.parallelFor(firstTask.last!) { task in
                var m = 0
                while task >= firstTask[m + 1] { m += 1 }
                let w = data[m], y = ys[m]
                let local = task - firstTask[m]
                let panel = local / tokenTiles, tileIndex = local % tokenTiles
                let start = panel * rowsPerTask, end = min(w.rows, start + rowsPerTask)
                if n == 1 {
                    if let q8View, RowDot.hasQ8Kernel(w.type) {
                        if let packed = w.packed, PackedMatrix.buildReadsPacked {
                            PackedMatrix.product(w, packed, rows: start..<end, q8View, tokens: 1, y, yStride: w.rows)
                            return
                        }
                        for r in start..<end {
                            prefetchAhead(w, r)
                            y[r] = RowDot.dotQ8(w.type, w.row(r), q8View, count: cols)
                        }
                    } else if RowDot.hasRowsKernel(w.type) {
                        rowPairs(w, start..<end, y, pair: { RowDot.dotTwoRows(w.type, $0, $1, x, blockSums: sums, count: cols) },
                                 single: { RowDot.dot(w.type, $0, x, blockSums: sums, count: cols, scratch: nil) })
                    } else if RowDot.hasFusedKernel(w.type) {
                        for r in start..<end {
                            prefetchAhead(w, r)
                            y[r] = RowDot.dot(w.type, w.row(r), x, blockSums: sums, count: cols, scratch: nil)
                        }
                    } else {
                        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: cols)
                        defer { scratch.deallocate() }
                        for r in start..<end {
                            y[r] = RowDot.dot(w.type, w.row(r), x, blockSums: sums, count: cols, scratch: scratch)
                        }
                    }
                    return
                }
                let t0 = tileIndex * tokenTile, t1 = min(n, t0 + tokenTile)
                panelProduct(w, rows: start..<end, x + t0 * cols, n: t1 - t0, y + t0 * w.rows)
            }
        }
    }

    /// Decode rows `rows` of `w` two at a time (`pair` gets two row pointers and returns both
    /// products, `single` takes a last odd row), prefetching ahead of each: the two-row kernels
    /// share the activation loads and run two independent accumulator chains.
    @inline(__always)
    static func rowPairs(_ w: MatrixData, _ rows: Range<Int>, _ y: UnsafeMutablePointer<Float>,
                         pair: (UnsafeRawPointer, UnsafeRawPointer) -> (Float, Float), single: (UnsafeRawPointer) -> Float) {
        var r = rows.lowerBound
        while r + 1 < rows.upperBound {
            prefetchAhead(w, r)
            prefetchAhead(w, r + 1)
            (y[r], y[r + 1]) = pair(w.row(r), w.row(r + 1))
            r += 2
        }
        if r < rows.upperBound {
            prefetchAhead(w, r)
            y[r] = single(w.row(r))
        }
    }

    /// Prefetches the weight row `prefetchRows` ahead of row `r` (decode), when there is one.
    @inline(__always)
    static func prefetchAhead(_ w: MatrixData, _ r: Int) {
        if prefetchRows > 0 && r + prefetchRows < w.rows { scope_prefetch_range(w.row(r + prefetchRows), w.rowBytes) }
    }

    /// Dequantizes `rows` of `w` into a float32 panel and writes `y[t*w.rows + r]` for the `n`
    /// activation rows of `x`. Tokens go in pairs from the first (a last odd one alone): a token's
    /// bits depend only on its offset's parity, which `LayerPass.reusableRows` relies on to share
    /// a prompt prefix exactly.
    static func panelProduct(_ w: MatrixData, rows: Range<Int>, _ x: UnsafePointer<Float>, n: Int,
                             _ y: UnsafeMutablePointer<Float>) {
        let cols = w.cols, start = rows.lowerBound, count = rows.count
        let panel = UnsafeMutablePointer<Float>.allocate(capacity: count * cols)
        defer { panel.deallocate() }
        for r in 0..<count { w.dequantizeRow(start + r, into: panel + r * cols) }
        var r = 0
        while r + 4 <= count {
            var t = 0
            while t + 2 <= n {
                block4x2(panel + r * cols, cols, x + t * cols, cols, y + t * w.rows + start + r, w.rows)
                t += 2
            }
            if t < n {
                for i in 0..<4 { y[t * w.rows + start + r + i] = RowDot.dotF32(panel + (r + i) * cols, x + t * cols, cols) }
            }
            r += 4
        }
        while r < count {
            for t in 0..<n { y[t * w.rows + start + r] = RowDot.dotF32(panel + r * cols, x + t * cols, cols) }
            r += 1
        }
    }

    /// Four weight rows (stride `ws`) times two activation rows (stride `xs`); writes
    /// `y[t*ys + i]` for t in 0..<2, i in 0..<4.
    @inline(__always)
    static func block4x2(_ w: UnsafePointer<Float>, _ ws: Int, _ x: UnsafePointer<Float>, _ xs: Int,
                         _ y: UnsafeMutablePointer<Float>, _ ys: Int) {
        let n = ws
        var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a02 = SIMD8<Float>(), a03 = SIMD8<Float>()
        var a10 = SIMD8<Float>(), a11 = SIMD8<Float>(), a12 = SIMD8<Float>(), a13 = SIMD8<Float>()
        let w0 = UnsafeRawPointer(w), w1 = UnsafeRawPointer(w + ws), w2 = UnsafeRawPointer(w + 2 * ws), w3 = UnsafeRawPointer(w + 3 * ws)
        let x0 = UnsafeRawPointer(x), x1 = UnsafeRawPointer(x + xs)
        var k = 0
        while k + 8 <= n {
            let o = 4 * k
            let v0 = x0.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            let v1 = x1.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            let r0 = w0.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            a00.addProduct(r0, v0); a10.addProduct(r0, v1)
            let r1 = w1.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            a01.addProduct(r1, v0); a11.addProduct(r1, v1)
            let r2 = w2.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            a02.addProduct(r2, v0); a12.addProduct(r2, v1)
            let r3 = w3.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            a03.addProduct(r3, v0); a13.addProduct(r3, v1)
            k += 8
        }
        var s = SIMD8<Float>(a00.sum(), a01.sum(), a02.sum(), a03.sum(), a10.sum(), a11.sum(), a12.sum(), a13.sum())
        while k < n {
            for i in 0..<4 {
                s[i] += w[i * ws + k] * x[k]
                s[4 + i] += w[i * ws + k] * x[xs + k]
            }
            k += 1
        }
        for i in 0..<4 { y[i] = s[i]; y[ys + i] = s[4 + i] }
    }
}
