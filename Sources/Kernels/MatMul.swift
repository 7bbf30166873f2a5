/// Matrix–vector (decode) and matrix–matrix (prefill) products with quantized weights.
public enum MatMul {
    /// `y = W·x`: `x` has `w.cols` floats, `y` gets `w.rows` floats.
    public static func matvec(_ w: WeightMatrix, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                              pool: ThreadPool) {
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: max(1, w.cols / 32))
        defer { sums.deallocate() }
        if w.type == .q4_1 { RowDot.blockSums(x, count: w.cols, into: sums) }
        let chunk = 64
        pool.parallelRanges(w.rows, chunk: chunk) { start, end in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: w.cols)
            defer { scratch.deallocate() }
            for r in start..<end {
                y[r] = RowDot.dot(w.type, w.row(r), x, blockSums: sums, count: w.cols, scratch: scratch)
            }
        }
    }

    /// `Y = X·Wᵀ` for `n` activation rows: `X` is `[n, w.cols]`, `Y` is `[n, w.rows]` (row-major).
    ///
    /// Each task dequantizes a panel of 16 weight rows to float32 once and multiplies it with every
    /// activation row (register-blocked 4 rows × 2 tokens).
    public static func matmul(_ w: WeightMatrix, _ x: UnsafePointer<Float>, n: Int, _ y: UnsafeMutablePointer<Float>,
                              pool: ThreadPool) {
        if n == 1 { matvec(w, x, y, pool: pool); return }
        let panelRows = 16
        let cols = w.cols
        pool.parallelRanges(w.rows, chunk: panelRows) { start, end in
            let panel = UnsafeMutablePointer<Float>.allocate(capacity: panelRows * cols)
            defer { panel.deallocate() }
            let count = end - start
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
