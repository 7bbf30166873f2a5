/// Top-k selection with the vectors' tie rule: descending score, equal scores → lower index first.
///
/// Uses a quickselect over a reusable index buffer (expected O(m)), then either sorts the k
/// winners (reference cache order) or lists them in ascending index order (corrected order).
/// No allocation once the workspace has grown to the largest candidate count.
public struct TopKWorkspace {
    private var indices: [Int] = []

    public init() {}

    /// Whether candidate `a` ranks before candidate `b`.
    @inline(__always)
    static func before(_ a: Int, _ b: Int, _ s: UnsafePointer<Float>) -> Bool {
        let x = s[a], y = s[b]
        return x > y || (x == y && a < b)
    }

    /// Selects the `k` best of `scores[0..<m]`, appending their indices (plus `offset`) to `out`,
    /// in descending-score order when `ranked`, else in ascending index order.
    public mutating func select(scores s: UnsafePointer<Float>, count m: Int, k: Int, ranked: Bool,
                                offset: Int = 0, into out: inout [Int]) {
        precondition(k >= 0 && k <= m, "top-k: k=\(k) with \(m) candidates")
        if k == 0 { return }
        if !ranked && k == m {
            for i in 0..<m { out.append(offset + i) }
            return
        }
        if indices.count < m { indices = Array(0..<Swift.max(m, indices.count * 2)) }
        indices.withUnsafeMutableBufferPointer { buf in
            let idx = buf.baseAddress!
            for i in 0..<m { idx[i] = i }
            if k < m { TopKWorkspace.quickselect(idx, m, k, s) }
            if ranked {
                var winners = UnsafeMutableBufferPointer(start: idx, count: k)
                winners.sort { TopKWorkspace.before($0, $1, s) }
                for i in 0..<k { out.append(offset + idx[i]) }
            } else {
                // the k-th best candidate is the threshold; the winners are exactly those ranking at or before it
                var worst = idx[0]
                for i in 1..<k where TopKWorkspace.before(worst, idx[i], s) { worst = idx[i] }
                for i in 0..<m where i == worst || TopKWorkspace.before(i, worst, s) { out.append(offset + i) }
            }
        }
    }

    /// Reorders `idx[0..<m]` so that `idx[0..<k]` are the k best (in any order).
    private static func quickselect(_ idx: UnsafeMutablePointer<Int>, _ m: Int, _ k: Int, _ s: UnsafePointer<Float>) {
        var lo = 0, hi = m - 1
        let target = k - 1
        while lo < hi {
            // median of three as pivot, moved to hi
            let mid = lo + (hi - lo) / 2
            if before(idx[mid], idx[lo], s) { idx.swapAt(lo, mid) }
            if before(idx[hi], idx[lo], s) { idx.swapAt(lo, hi) }
            if before(idx[mid], idx[hi], s) { idx.swapAt(mid, hi) }
            let pivot = idx[hi]
            var store = lo
            for i in lo..<hi where before(idx[i], pivot, s) {
                idx.swapAt(store, i)
                store += 1
            }
            idx.swapAt(store, hi)
            if store == target { return }
            if store < target { lo = store + 1 } else { hi = store - 1 }
        }
    }
}

extension UnsafeMutablePointer where Pointee == Int {
    @inline(__always) fileprivate func swapAt(_ a: Int, _ b: Int) {
        let t = self[a]; self[a] = self[b]; self[b] = t
    }
}
