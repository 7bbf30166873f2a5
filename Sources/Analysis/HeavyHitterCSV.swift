/// CSV of a heavy-hitter report: one line per (layer, step) with the statistics and the
/// space-separated top-k key positions.
public enum HeavyHitterCSV {
    public static func text(_ r: HeavyHitterReport) -> String {
        var out = "layer,step,query_position,visible_keys,k,fraction_generated,snapkv_overlap,key_indices\n"
        for s in r.steps {
            out += "\(s.layer),\(s.step),\(s.queryPosition),\(s.visibleKeys),\(s.k),\(s.fractionGenerated),"
            out += "\(s.snapKVOverlap.map { String($0) } ?? ""),\(s.keyIndices.map(String.init).joined(separator: " "))\n"
        }
        return out
    }
}
