import Foundation

/// Tick positions at "nice" steps: 1, 2 or 5 × 10^k.
public enum NiceTicks {
    /// The nice step closest (in ratio) to `span / target`.
    public static func step(span: Double, target: Int) -> Double {
        guard span.isFinite, span > 0 else { return 1 }
        let raw = span / Double(max(1, target))
        let mag = pow10(Int((log10(raw)).rounded(.down)))
        let norm = raw / mag
        let nice: Double
        // Thresholds are the geometric means of neighbouring nice values.
        if norm < 1.4142 { nice = 1 } else if norm < 3.1623 { nice = 2 } else if norm < 7.0711 { nice = 5 } else { nice = 10 }
        return nice * mag
    }

    /// Multiples of the nice step that lie inside `lo...hi` (about `target` of them).
    public static func ticks(from lo: Double, to hi: Double, target: Int = 6) -> [Double] {
        guard lo.isFinite, hi.isFinite else { return [] }
        let (a, b) = lo <= hi ? (lo, hi) : (hi, lo)
        guard b > a else { return [a] }
        return multiples(of: step(span: b - a, target: target), from: a, to: b)
    }

    /// Multiples `k × step` inside `lo...hi` (with a tolerance of 1e-9 steps), computed from the
    /// integer `k` so that they carry no accumulated rounding error.
    public static func multiples(of step: Double, from lo: Double, to hi: Double) -> [Double] {
        guard step > 0, step.isFinite else { return [] }
        let first = (lo / step - 1e-9).rounded(.up), last = (hi / step + 1e-9).rounded(.down)
        guard last >= first, last - first < 10_000 else { return [] }
        return stride(from: first, through: last, by: 1).map { k in
            let v = k * step
            // Snap to the decimal grid the step lives on (e.g. 0.30000000000000004 -> 0.3).
            let decimals = max(0, -Int(log10(step).rounded(.down)))
            if decimals > 0 && decimals < 15 {
                let f = pow10(decimals)
                return (v * f).rounded() / f
            }
            return v == 0 ? 0 : v
        }
    }

    /// Powers of `base` inside `lo...hi` (both positive) for logarithmic axes.
    public static func logTicks(from lo: Double, to hi: Double, base: Double) -> [Double] {
        guard lo > 0, hi > lo, base > 1 else { return [] }
        let k0 = (log(lo) / log(base) - 1e-9).rounded(.up), k1 = (log(hi) / log(base) + 1e-9).rounded(.down)
        guard k1 >= k0, k1 - k0 < 400 else { return [] }
        var all = stride(from: k0, through: k1, by: 1).map { pow(base, $0) }
        // Thin out to at most ~8 labels.
        let every = max(1, (all.count + 7) / 8)
        if every > 1 { all = all.enumerated().filter { $0.offset % every == 0 }.map(\.element) }
        return all
    }

    static func pow10(_ k: Int) -> Double { pow(10, Double(k)) }
}

/// How tick values are written.
public enum TickFormat: Sendable {
    /// Fixed decimals matched to the tick step; scientific (`2e6`) for very large or small values.
    case automatic
    /// Exactly this many decimals.
    case fixed(Int)
    /// Value × 100 with a `%` sign (for fractions in 0...1).
    case percent
    /// Byte counts in binary units (B, KiB, MiB, GiB).
    case bytes
    /// A custom formatter.
    case custom(@Sendable (Double) -> String)

    /// Labels for `ticks`, consistent across the set.
    public func labels(for ticks: [Double]) -> [String] {
        guard !ticks.isEmpty else { return [] }
        let step = Self.step(of: ticks)
        switch self {
        case .automatic:
            let biggest = ticks.map(abs).max()!
            if biggest >= 1e6 || (biggest > 0 && biggest < 1e-4) {
                return ticks.map { Self.scientific($0, step: step) }
            }
            return ticks.map { Self.fixed($0, decimals: Self.decimals(for: step)) }
        case .fixed(let d):
            return ticks.map { Self.fixed($0, decimals: d) }
        case .percent:
            return ticks.map { Self.fixed($0 * 100, decimals: Self.decimals(for: step * 100)) + "%" }
        case .bytes:
            let (div, name) = Self.byteUnit(for: ticks.map(abs).max()!)
            let d = div == 1 ? 0 : Self.decimals(for: step / div)
            return ticks.map { Self.fixed($0 / div, decimals: d) + " " + name }
        case .custom(let f):
            return ticks.map(f)
        }
    }

    /// The largest binary unit (B, KiB, MiB, GiB, TiB) not exceeding `bytes`.
    static func byteUnit(for bytes: Double) -> (divisor: Double, name: String) {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var u = 0
        while u < units.count - 1 && bytes >= pow(1024, Double(u + 1)) { u += 1 }
        return (pow(1024, Double(u)), units[u])
    }

    static func step(of ticks: [Double]) -> Double {
        var s = Double.infinity
        for i in 1..<max(1, ticks.count) { s = min(s, abs(ticks[i] - ticks[i - 1])) }
        if s.isFinite && s > 0 { return s }
        let a = abs(ticks[0])
        return a > 0 ? a : 1
    }

    /// Decimals needed to show multiples of `step` exactly (at most 10).
    static func decimals(for step: Double) -> Int {
        guard step > 0, step.isFinite else { return 0 }
        for d in 0...10 {
            let scaled = step * NiceTicks.pow10(d)
            if abs(scaled - scaled.rounded()) < 1e-6 * max(1, scaled) { return d }
        }
        return 10
    }

    /// `value` with exactly `decimals` decimals, without "-0".
    public static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "inf" : "-inf") }
        let d = max(0, min(decimals, 12))
        let f = NiceTicks.pow10(d)
        let scaled = (abs(value) * f).rounded()
        guard scaled < 9e15 else { return scientific(value, step: abs(value) / 100) }
        let n = UInt64(scaled)
        var digits = String(n)
        if d > 0 {
            if digits.count <= d { digits = String(repeating: "0", count: d - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -d))
        }
        return (value < 0 && n != 0 ? "-" : "") + digits
    }

    /// `value` as `m e k` with a mantissa precise enough to tell ticks `step` apart.
    static func scientific(_ value: Double, step: Double) -> String {
        if value == 0 { return "0" }
        let k = Int(log10(abs(value)).rounded(.down))
        let mantissa = value / NiceTicks.pow10(k)
        let d = min(6, decimals(for: step / NiceTicks.pow10(k)))
        var m = fixed(mantissa, decimals: d)
        if m.contains(".") { while m.hasSuffix("0") { m.removeLast() }; if m.hasSuffix(".") { m.removeLast() } }
        return "\(m)e\(k)"
    }
}
