/// Building blocks the SCOPE-era prefill methods share (methods.md §2.1–2.2).
enum PrefillRules {
    /// SnapKV/PyramidKV score of one query head: the last `w` queries' probabilities summed per
    /// key (float64), pooled along the key axis.
    static func pooledWindow(_ input: PrefillScoring, head h: Int, window w: Int, kernel: Int, pooling: Pooling,
                             into out: UnsafeMutablePointer<Float>) {
        let m = input.candidates, sums = input.sums, scores = input.scores
        scores.windowProbabilities.withUnsafeBufferPointer { wp in
            for j in 0..<m { sums[j] = 0 }
            for i in 0..<w {
                let row = wp.baseAddress! + scores.windowRowOffset(head: h, row: i)
                for j in 0..<m { sums[j] += Double(row[j]) }
            }
        }
        Pooling1D.apply(UnsafePointer(sums), count: m, kernel: kernel, pooling: pooling, out: out)
    }

    /// H2O/PyramidInfer score of one query head: the column sums the model computed.
    static func columnSums(_ input: PrefillScoring, head h: Int, into out: UnsafeMutablePointer<Float>) {
        let scores = input.scores
        scores.columnSums.withUnsafeBufferPointer { cs in
            let base = cs.baseAddress! + scores.columnSumOffset(head: h)
            for j in 0..<input.candidates { out[j] = base[j] }
        }
    }

    /// PyramidKV/PyramidInfer: nothing below `P`, uniform `k` when `P ≤ n < 2(P−w)`, the layer's
    /// pyramid budget `b_l` above. `uniformK` is `P − w` (or `P` for reference PyramidInfer, Q2).
    static func pyramidPlan(n: Int, layer: Int, layers L: Int, P: Int, w: Int, beta: Int, uniformK: Int) -> PrefillPlan {
        let b = PyramidBudget.prefill(P: P, w: w, n: n, layers: L, layer: layer, beta: beta).budget
        if n < P { return PrefillPlan(branch: .none, k: nil, budget: b) }
        if n < 2 * (P - w) { return PrefillPlan(branch: .uniform, k: uniformK, budget: b) }
        return PrefillPlan(branch: .pyramid, k: b, budget: b)
    }

    /// Closed form of the pyramid methods' rows after prefill (written apart from `pyramidPlan`).
    static func pyramidRows(config: CompressionConfig, layers L: Int, layer l: Int, promptLength n: Int, uniformK: Int) -> Int {
        let P = config.prefillBudget, w = config.effectiveWindow
        if n < P { return n }
        if n < 2 * (P - w) { return uniformK + w }
        let minNum0 = PyramidBudget.floorDiv(P - w, config.beta)
        var maxNum = 2 * (P - w) - minNum0, minNum = minNum0
        if maxNum >= n - w { maxNum = n - w; minNum = 2 * (P - w) - maxNum }
        return maxNum - l * PyramidBudget.floorDiv(maxNum - minNum, L) + w
    }

    static func checkKernel(_ config: CompressionConfig) throws {
        if config.kernel < 1 || config.kernel % 2 == 0 {
            throw KVCacheError.invalidConfig("--kernel must be a positive odd number, got \(config.kernel) (an even kernel makes the reference gather go out of range, Q24)")
        }
    }

    static func checkBeta(_ config: CompressionConfig) throws {
        if config.beta < 1 { throw KVCacheError.invalidConfig("--beta must be at least 1, got \(config.beta)") }
    }

    /// SnapKV/PyramidKV/FullKV accept these decoding metrics in the reference (methods.md §3.3).
    static let scopeMetrics: [DecodingMethodKind] = [.none, .slide, .adaptive, .discontinuous]
}
