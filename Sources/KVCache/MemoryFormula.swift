/// Closed-form cache lengths and byte counts, written independently of the policy code so tests
/// can check the cache against them (and `kv_bytes_peak` can be checked against a configuration).
///
/// Rows are counted per storage head: `storageHeads = queryHeads` (reference) or `kvHeads`
/// (corrected); bytes = rows × storageHeads × 2 × `elementType.rowBytes(headDim:)` (headDim × 4
/// for float32, the llama.cpp row size for the other types). The model protocol is assumed:
/// prefill layer by layer (a layer holds all `n` prompt rows until its `finishPrefill`, later
/// layers hold nothing yet), then `decodeSteps` steps, each appending one row to every layer in
/// order and compressing it right away. Reference semantics assume fresh `ReferenceCounters`.
public enum KVMemory {
    /// Rows per storage head of each layer right after prefill.
    ///
    /// `n` if the layer is not compressed (FullKV, `n < P`); otherwise `k + w` with `k = P − w`
    /// (SnapKV, H2O, StreamingLLM, uniform PyramidKV), `k = P` (reference PyramidInfer uniform,
    /// Q2), or the pyramid budget `b_l` (when `n ≥ 2(P − w)`).
    public static func rowsAfterPrefill(config: CompressionConfig, layers L: Int, promptLength n: Int) -> [Int] {
        let P = config.prefillBudget, w = config.effectiveWindow
        return (0..<L).map { l in
            if config.prefill == .fullKV || n < P { return n }
            switch config.prefill {
            case .pyramidKV, .pyramidInfer:
                if n < 2 * (P - w) {
                    let keepsP = config.prefill == .pyramidInfer && config.semantics == .reference
                    return (keepsP ? P : P - w) + w
                }
                let minNum0 = PyramidBudget.floorDiv(P - w, config.beta)
                var maxNum = 2 * (P - w) - minNum0, minNum = minNum0
                if maxNum >= n - w { maxNum = n - w; minNum = 2 * (P - w) - maxNum }
                return maxNum - l * PyramidBudget.floorDiv(maxNum - minNum, L) + w
            default:
                return P
            }
        }
    }

    /// Rows per storage head of each layer after `decodeSteps` decoding steps (one row appended
    /// per step and layer, then the decoding rule of methods.md §3.1 applied to lengths only).
    public static func rowsAfterDecoding(shape: CacheShape, config: CompressionConfig, promptLength n: Int,
                                         decodeSteps: Int, maxNewTokens: Int) -> [Int] {
        var result: [Int] = []
        simulate(shape: shape, config: config, promptLength: n, decodeSteps: decodeSteps, maxNewTokens: maxNewTokens) { _ in } final: { result = $0 }
        return result
    }

    /// The exact `KVCache.bytesPeak` for this configuration: the maximum over the prefill
    /// (`Σ_{j<l} rowsAfterPrefill_j + n` at layer l) and every decoding call (all layers' rows plus
    /// the one just appended), times storage heads and the row bytes of `elementType`.
    public static func expectedPeakBytes(shape: CacheShape, config: CompressionConfig, promptLength n: Int,
                                         decodeSteps: Int, maxNewTokens: Int, elementType: KVElementType = .f32) -> Int {
        var peakRows = 0
        simulate(shape: shape, config: config, promptLength: n, decodeSteps: decodeSteps, maxNewTokens: maxNewTokens) {
            peakRows = Swift.max(peakRows, $0)
        } final: { _ in }
        let storageHeads = config.semantics == .reference ? shape.queryHeads : shape.kvHeads
        return peakRows * storageHeads * 2 * elementType.rowBytes(headDim: shape.headDim)
    }

    /// Walks the length recurrence, reporting the total rows per storage head at every peak candidate.
    private static func simulate(shape: CacheShape, config: CompressionConfig, promptLength n: Int, decodeSteps: Int,
                                 maxNewTokens: Int, candidate: (Int) -> Void, final: ([Int]) -> Void) {
        let L = shape.layers
        let reference = config.semantics == .reference
        var rows = rowsAfterPrefill(config: config, layers: L, promptLength: n)
        var done = 0
        for l in 0..<L {
            candidate(done + n)
            done += rows[l]
        }
        let P = config.prefillBudget, dw = config.decodingWindow, dr = config.recent
        let delta = config.resolvedDelta(maxNewTokens: maxNewTokens)
        let prefix = rows.map { reference ? (config.prefill == .fullKV ? n : P) : $0 }
        var total = rows.reduce(0, +)
        var sharedJ = 0, sharedJl = 0
        var layerJ = Array(repeating: 0, count: L)
        for t in 0..<decodeSteps {
            for l in 0..<L {
                let kLen = rows[l] + 1
                candidate(total + 1)
                let Pd = prefix[l]
                var after = kLen
                switch config.decoding {
                case .none:
                    break
                case .slide, .h2o, .slm:
                    if kLen >= Pd + dw { after = Pd + dw }
                case .pyramidInfer:
                    if kLen >= Pd + dw {
                        if kLen < 2 * (Pd - dr) + dw {
                            after = Pd + dw
                        } else {
                            let x = Pd + dw - dr
                            let minNum = PyramidBudget.floorDiv(x, 2), maxNum = 2 * x - minNum
                            let b = maxNum - l * PyramidBudget.floorDiv(maxNum - minNum, L)
                            after = Swift.min(b + dw, kLen - dr) + dr
                        }
                    }
                case .adaptive, .discontinuous:
                    let dws = dr + (reference ? (t * L + l) / (delta * L) : t / delta)
                    if kLen >= Pd + dws {
                        var compress = true
                        if config.decoding == .discontinuous {
                            if reference {
                                if sharedJ < delta * L { sharedJ += 1; compress = false } else {
                                    sharedJl += 1
                                    if sharedJl == L { sharedJ = 0; sharedJl = 0 }
                                }
                            } else {
                                if layerJ[l] < delta { layerJ[l] += 1; compress = false } else { layerJ[l] = 0 }
                            }
                        }
                        if compress { after = Pd + dws }
                    }
                }
                total += after - rows[l]
                rows[l] = after
            }
        }
        final(rows)
    }
}
