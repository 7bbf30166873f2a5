/// numpy's float64 `sum`/`mean` (pairwise summation, 8-way unrolled blocks of up to 128), so means match
/// `np.mean` to the last bit.
public enum NumpyMath {
    public static func mean(_ a: [Double]) -> Double {
        a.isEmpty ? .nan : pairwiseSum(a[...]) / Double(a.count)
    }

    public static func pairwiseSum(_ a: ArraySlice<Double>) -> Double {
        let n = a.count, s = a.startIndex
        if n < 8 {
            var r = -0.0
            for x in a { r += x }
            return r
        } else if n <= 128 {
            var r = [Double](repeating: 0, count: 8)
            for j in 0..<8 { r[j] = a[s + j] }
            var i = 8
            while i < n - (n % 8) {
                for j in 0..<8 { r[j] += a[s + i + j] }
                i += 8
            }
            var res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
            while i < n { res += a[s + i]; i += 1 }
            return res
        } else {
            var n2 = n / 2
            n2 -= n2 % 8
            return pairwiseSum(a[s..<(s + n2)]) + pairwiseSum(a[(s + n2)...])
        }
    }
}
