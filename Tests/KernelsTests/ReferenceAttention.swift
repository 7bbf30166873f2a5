import Foundation

/// Two-pass softmax attention of one query in float64 with position masking: the probabilities
/// (`[n]`, masked keys 0) and the output (`[d]`), for keys and values laid out `[n][d]`.
func referenceAttention(_ q: [Float], _ qpos: Int32, _ k: [Float], _ v: [Float], _ pos: [Int32],
                        d: Int, scale: Float) -> (p: [Double], o: [Double]) {
    let n = pos.count
    var s = [Double](repeating: -.infinity, count: n)
    for j in 0..<n where pos[j] <= qpos {
        var t = 0.0
        for c in 0..<d { t += Double(q[c]) * Double(k[j * d + c]) }
        s[j] = t * Double(scale)
    }
    let m = s.max()!
    let e = s.map { $0 == -.infinity ? 0 : Foundation.exp($0 - m) }
    let l = e.reduce(0, +)
    var o = [Double](repeating: 0, count: d)
    for j in 0..<n { for c in 0..<d { o[c] += e[j] / l * Double(v[j * d + c]) } }
    return (e.map { $0 / l }, o)
}
