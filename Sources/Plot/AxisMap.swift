import Foundation

/// Maps data values on one axis to pixel positions.
struct AxisMap {
    let lo: Double, hi: Double
    /// Pixel positions of `lo` and `hi`.
    let p0: Double, p1: Double
    let scale: AxisScale

    func transform(_ v: Double) -> Double {
        switch scale {
        case .linear: return v
        case .log(let base): return v > 0 ? log(v) / log(base) : .nan
        }
    }

    /// The pixel position of `v` (NaN when it cannot be shown, e.g. v ≤ 0 on a log axis).
    func pixel(_ v: Double) -> Double {
        let t0 = transform(lo), t1 = transform(hi), t = transform(v)
        guard t.isFinite, t1 != t0 else { return .nan }
        return p0 + (t - t0) / (t1 - t0) * (p1 - p0)
    }
}

extension Axes {
    /// Data limits for one axis: explicit, else from the data (with a 5% margin unless only a
    /// heatmap is shown), widened when degenerate.
    func limits(horizontal: Bool) -> (Double, Double) {
        let scale = horizontal ? xScale : yScale
        // Explicit limits count only when finite (and positive on log axes).
        let explicit = (horizontal ? xLimits : yLimits).flatMap { r -> ClosedRange<Double>? in
            guard r.lowerBound.isFinite, r.upperBound.isFinite, scale == .linear || r.lowerBound > 0 else { return nil }
            return r
        }
        if let explicit, explicit.upperBound > explicit.lowerBound { return (explicit.lowerBound, explicit.upperBound) }
        var values: [Double] = []
        var hasSeries = false
        for item in items {
            switch item {
            case .line(let s): values += horizontal ? s.xs : s.ys; hasSeries = true
            case .scatter(let s): values += horizontal ? s.xs : s.ys; hasSeries = true
            case .bars(let b):
                hasSeries = true
                if horizontal {
                    values += b.xs.map { $0 - b.barWidth / 2 } + b.xs.map { $0 + b.barWidth / 2 }
                } else { values += b.heights + [0] }
            case .reference(let r):
                if (r.orientation == .vertical) == horizontal { values.append(r.value) }
            case .annotation:
                break
            }
        }
        if let h = heatmapLayer {
            values += horizontal ? [0, Double(h.columns)] : [0, Double(h.rows)]
        }
        let usable = values.filter { $0.isFinite && (scale == .linear || $0 > 0) }
        guard var lo = usable.min(), var hi = usable.max() else {
            if let explicit { return Self.widen(explicit.lowerBound, scale) }
            return scale == .linear ? (0, 1) : (1, 10)
        }
        if let explicit { lo = explicit.lowerBound; hi = explicit.upperBound }  // degenerate explicit range
        if hi <= lo { return Self.widen(lo, scale) }
        if hasSeries && explicit == nil {
            switch scale {
            case .linear:
                let m = (hi - lo) * 0.05
                lo -= m; hi += m
            case .log:
                let f = pow(hi / lo, 0.05)
                lo /= f; hi *= f
            }
        }
        return (lo, hi)
    }

    static func widen(_ v: Double, _ scale: AxisScale) -> (Double, Double) {
        switch scale {
        case .linear:
            let d = v == 0 ? 1 : abs(v) * 0.1
            return (v - d, v + d)
        case .log:
            let c = v > 0 ? v : 1
            return (c / 2, c * 2)
        }
    }

    /// Tick positions for one axis and their labels.
    func ticks(horizontal: Bool, lo: Double, hi: Double, target: Int) -> [(Double, String)] {
        let explicit = horizontal ? xTicks : yTicks
        let explicitLabels = horizontal ? xTickLabels : yTickLabels
        let format = horizontal ? xTickFormat : yTickFormat
        let (a, b) = (min(lo, hi), max(lo, hi))
        let inRange: (Double) -> Bool = { $0 >= a - (b - a) * 1e-9 && $0 <= b + (b - a) * 1e-9 }
        if let explicit {
            let labels = explicitLabels?.count == explicit.count ? explicitLabels! : format.labels(for: explicit.map { $0.isFinite ? $0 : 0 })
            return zip(explicit, labels).filter { $0.0.isFinite && inRange($0.0) }
        }
        var positions: [Double]
        switch horizontal ? xScale : yScale {
        case .linear:
            if case .bytes = format {
                // Nice steps in the binary unit the labels will use (e.g. 0.5 MiB, not 1e6 B).
                let unit = TickFormat.byteUnit(for: max(abs(a), abs(b))).divisor
                positions = NiceTicks.ticks(from: a / unit, to: b / unit, target: target).map { $0 * unit }
            } else {
                positions = NiceTicks.ticks(from: a, to: b, target: target)
            }
        case .log(let base):
            positions = NiceTicks.logTicks(from: a, to: b, base: base)
            if positions.count < 2 { positions = NiceTicks.ticks(from: a, to: b, target: target) }
        }
        return Array(zip(positions, format.labels(for: positions)))
    }
}
