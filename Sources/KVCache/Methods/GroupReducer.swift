/// Reduces per-query-head scores to one score per storage head — the only place this happens.
/// Reference semantics store one copy per query head, so a storage head's scores are its own
/// query head's; the GQA-native cache reduces the `R` query heads of a group (mean or max).
struct GroupReducer {
    /// Storage heads are query heads (reference semantics).
    let perQueryHead: Bool
    let groupSize: Int
    let mode: GroupReduce

    /// Writes storage head `s`'s `m` scores to `out`; `scoresOf(h, buffer)` writes query head `h`'s.
    func reduce(storageHead s: Int, count m: Int, into out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                mode override: GroupReduce? = nil, _ scoresOf: (Int, UnsafeMutablePointer<Float>) -> Void) {
        if perQueryHead || groupSize == 1 {
            scoresOf(s, out)
            return
        }
        let r = groupSize, how = override ?? mode
        scoresOf(s * r, out)
        for h in (s * r + 1)..<(s * r + r) {
            scoresOf(h, scratch)
            switch how {
            case .mean: for j in 0..<m { out[j] += scratch[j] }
            case .max: for j in 0..<m where scratch[j] > out[j] { out[j] = scratch[j] }
            }
        }
        if how == .mean {
            let inv = 1 / Float(r)
            for j in 0..<m { out[j] *= inv }
        }
    }
}
