/// The branch a prefill or decoding call took, named as in the vectors.
public enum CompressionBranch: String, Sendable, Equatable {
    case none
    case belowThreshold = "below_threshold"
    case skip
    case compress
    case uniform
    case pyramid
}

/// The integer budget formulas of PyramidKV/PyramidInfer (methods.md §2.2) and the
/// `pyramidinfer` decoding pyramid (§3.1).
public enum PyramidBudget {
    /// Intermediate values of the prefill pyramid.
    public struct Info: Sendable, Equatable {
        public var minNum: Int
        public var maxNum: Int
        public var steps: Int
        public var adjusted: Bool
    }

    /// Prefill budget `b_l` of layer `layer` (floor division, `steps = (max − min) // L`).
    public static func prefill(P: Int, w: Int, n: Int, layers L: Int, layer: Int, beta: Int) -> (budget: Int, info: Info) {
        var minNum = floorDiv(P - w, beta)
        var maxNum = (P - w) * 2 - minNum
        var adjusted = false
        if maxNum >= n - w {
            maxNum = n - w
            minNum = (P - w) * 2 - maxNum
            adjusted = true
        }
        let steps = floorDiv(maxNum - minNum, L)
        return (maxNum - layer * steps, Info(minNum: minNum, maxNum: maxNum, steps: steps, adjusted: adjusted))
    }

    /// `pyramidinfer` decoding budget `b'_l` with `X = Pd + dw − dr`.
    public static func decoding(Pd: Int, dw: Int, dr: Int, layers L: Int, layer: Int) -> Int {
        let x = Pd + dw - dr
        let minNum = floorDiv(x, 2)
        let maxNum = x * 2 - minNum
        let steps = floorDiv(maxNum - minNum, L)
        return maxNum - layer * steps
    }

    /// Python's `//` (rounds toward −∞).
    @inline(__always) public static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}

/// Stride-1 pooling (in float64) with padding `kernel/2` (odd kernels): avg divides by `kernel` (zero padding
/// counted), max ignores the padding.
enum Pooling1D {
    static func apply(_ x: UnsafePointer<Double>, count n: Int, kernel: Int, pooling: Pooling, out: UnsafeMutablePointer<Float>) {
        let r = kernel / 2
        for j in 0..<n {
            let lo = Swift.max(0, j - r), hi = Swift.min(n, j + r + 1)
            switch pooling {
            case .avg:
                var s: Double = 0
                for t in lo..<hi { s += x[t] }
                out[j] = Float(s / Double(kernel))
            case .max:
                var v = x[lo]
                for t in (lo + 1)..<hi where x[t] > v { v = x[t] }
                out[j] = Float(v)
            }
        }
    }
}
