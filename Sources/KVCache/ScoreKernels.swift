#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Attention-score helpers for the prefill methods that the model's own attention cannot give
/// for free. Streaming: one query row at a time, O(n) scratch, never an n×n buffer.
public enum ScoreKernels {
    /// The reference H2O/PyramidInfer prefill score of one query head (methods.md §2.1b, Q1):
    /// `out[j] = Σ_i softmax_i(q_i·k_j · scale)` over all `n` query rows, where only the last
    /// `window × window` block is causally masked (rows `0..<n−w` see every key, future ones too).
    ///
    /// - Parameters:
    ///   - queries: row `i` at `queries + i × queryStride` (`headDim` floats, post-RoPE).
    ///   - keys: row `j` at `keys + j × keyStride` (post-RoPE).
    ///   - out: `n` floats (all keys; callers use the first `n − w`).
    ///   - scale: usually `1/sqrt(headDim)`.
    public static func nonCausalColumnSums(queries: UnsafePointer<Float>, queryStride: Int,
                                           keys: UnsafePointer<Float>, keyStride: Int,
                                           count n: Int, headDim d: Int, window w: Int, scale: Float,
                                           into out: UnsafeMutablePointer<Float>) {
        columnSums(queries: queries, queryStride: queryStride, keys: keys, keyStride: keyStride, count: n, headDim: d,
                   visible: { i in i < n - w ? n : i + 1 }, scale: scale, into: out)
    }

    /// The corrected (causal) H2O/PyramidInfer score of one query head: column sums of the causal
    /// attention probabilities (query `i` sees keys `0...i`). For tests and for models that do not
    /// accumulate it inside their attention.
    public static func causalColumnSums(queries: UnsafePointer<Float>, queryStride: Int,
                                        keys: UnsafePointer<Float>, keyStride: Int,
                                        count n: Int, headDim d: Int, scale: Float,
                                        into out: UnsafeMutablePointer<Float>) {
        columnSums(queries: queries, queryStride: queryStride, keys: keys, keyStride: keyStride, count: n, headDim: d,
                   visible: { i in i + 1 }, scale: scale, into: out)
    }

    /// Causal probabilities of the last `w` queries over all `n` keys (`[w][n]`, zero where masked),
    /// the SnapKV/PyramidKV input. For tests and for models without a fused attention hook.
    public static func windowProbabilities(queries: UnsafePointer<Float>, queryStride: Int,
                                           keys: UnsafePointer<Float>, keyStride: Int,
                                           count n: Int, headDim d: Int, window w: Int, scale: Float,
                                           into out: UnsafeMutablePointer<Float>) {
        let logits = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { logits.deallocate() }
        for r in 0..<w {
            let i = n - w + r
            let row = out + r * n
            let visible = i + 1
            softmaxRow(query: queries + i * queryStride, keys: keys, keyStride: keyStride, visible: visible,
                       headDim: d, scale: scale, logits: logits) { j, p in row[j] = p }
            for j in visible..<n { row[j] = 0 }
        }
    }

    private static func columnSums(queries: UnsafePointer<Float>, queryStride: Int,
                                   keys: UnsafePointer<Float>, keyStride: Int,
                                   count n: Int, headDim d: Int, visible: (Int) -> Int, scale: Float,
                                   into out: UnsafeMutablePointer<Float>) {
        let logits = UnsafeMutablePointer<Float>.allocate(capacity: n)
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: n)
        defer { logits.deallocate(); sums.deallocate() }
        sums.initialize(repeating: 0, count: n)
        for i in 0..<n {
            softmaxRow(query: queries + i * queryStride, keys: keys, keyStride: keyStride, visible: visible(i),
                       headDim: d, scale: scale, logits: logits) { j, p in sums[j] += Double(p) }
        }
        for j in 0..<n { out[j] = Float(sums[j]) }
    }

    /// Softmax of `q·k_j·scale` over keys `0..<visible`, reporting each probability.
    @inline(__always)
    private static func softmaxRow(query q: UnsafePointer<Float>, keys: UnsafePointer<Float>, keyStride: Int, visible: Int,
                                   headDim d: Int, scale: Float, logits: UnsafeMutablePointer<Float>,
                                   _ emit: (Int, Float) -> Void) {
        for j in 0..<visible { logits[j] = dot(q, keys + j * keyStride, d) * scale }
        softmax(logits, count: visible)
        for j in 0..<visible { emit(j, logits[j]) }
    }

    /// In-place softmax of `x[0..<n]` (max subtracted, float64 sum): the one softmax of the
    /// selection code (these kernels and the methods that score from queries and keys).
    static func softmax(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        guard n > 0 else { return }
        var maxLogit = -Float.infinity
        for j in 0..<n where x[j] > maxLogit { maxLogit = x[j] }
        var total: Double = 0
        for j in 0..<n {
            let e = Double(expf(x[j] - maxLogit))
            x[j] = Float(e)
            total += e
        }
        let inv = 1 / total
        for j in 0..<n { x[j] = Float(Double(x[j]) * inv) }
    }

    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= d {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            acc.addProduct(x, y)
            i += 8
        }
        var s = acc.sum()
        while i < d { s += a[i] * b[i]; i += 1 }
        return s
    }
}
