/// Top-k selection for the analyses: k = round(fraction × query row index), as in the paper's notebook
/// (k = 119, 163, 193 for rows 790, 1089, 1289 at 15%; the row index is the visible key count − 1).
public enum AnalysisTopK {
    /// The number of keys kept for `visibleKeys` keys at `fraction` (at least 1 when any key is visible).
    public static func size(fraction: Double, visibleKeys: Int) -> Int {
        guard visibleKeys > 0 else { return 0 }
        return min(visibleKeys, max(1, Int((fraction * Double(visibleKeys - 1)).rounded())))
    }

    /// Indices of the `k` largest values, returned in ascending index order. Exact ties go to the
    /// lower index.
    public static func indices(of row: [Double], k: Int) -> [Int] {
        guard k > 0 else { return [] }
        let order = row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }
        return Array(order.prefix(k)).sorted()
    }
}
