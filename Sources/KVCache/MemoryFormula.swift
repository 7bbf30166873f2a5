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
    /// Rows per storage head of each layer right after prefill (global layers; `simulate` gives a
    /// sliding-window layer its `min(n, window − 1)`).
    ///
    /// Each method's closed form (`PrefillMethod.rowsAfterPrefill`): `n` if the layer is not
    /// compressed (FullKV, `n < P`); otherwise `k + w` with `k = P − w` (SnapKV, H2O,
    /// StreamingLLM, uniform PyramidKV), `k = P` (reference PyramidInfer uniform, Q2), or the
    /// pyramid budget `b_l` (when `n ≥ 2(P − w)`).
    public static func rowsAfterPrefill(config: CompressionConfig, layers L: Int, promptLength n: Int) -> [Int] {
        (0..<L).map { l in
            config.prefill == .fullKV ? n : config.prefill.method.rowsAfterPrefill(config: config, layers: L, layer: l, promptLength: n)
        }
    }

    /// Rows per storage head of each layer after `decodeSteps` decoding steps (one row appended
    /// per step and layer, then each method's closed form `DecodingMethod.rowsAfter` applied to lengths only).
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
        // Sliding-window layers keep the `window − 1` newest rows whatever the method.
        for l in 0..<L { if let w = shape.window(layer: l) { rows[l] = Swift.min(n, w - 1) } }
        var done = 0
        for l in 0..<L {
            candidate(done + n)
            done += rows[l]
        }
        let delta = config.resolvedDelta(maxNewTokens: maxNewTokens)
        let prefix = rows.map { reference ? (config.prefill == .fullKV ? n : config.prefillBudget) : $0 }
        var total = rows.reduce(0, +)
        let context = DecodingContext(config: config, delta: delta, layers: L)
        let method = config.decoding.method
        var state = DecodeMemoryState(layerJ: Array(repeating: 0, count: L), promptLength: n)
        for t in 0..<decodeSteps {
            for l in 0..<L {
                let kLen = rows[l] + 1
                candidate(total + 1)
                if let w = shape.window(layer: l) {
                    total += Swift.min(kLen, w - 1) - rows[l]
                    rows[l] = Swift.min(kLen, w - 1)
                    continue
                }
                let after = method.rowsAfter(kLen: kLen, Pd: prefix[l], layer: l, step: t, context: context, state: &state)
                total += after - rows[l]
                rows[l] = after
            }
        }
        final(rows)
    }
}
