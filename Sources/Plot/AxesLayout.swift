/// The computed geometry of one panel: plot area, axis maps and ticks.
struct AxesLayout {
    let panel: Rect
    let plot: Rect
    let x: AxisMap
    let y: AxisMap
    let xTicks: [(Double, String)]
    let yTicks: [(Double, String)]
    /// Colour-bar rectangle and ticks, when the panel has a heatmap with a colour bar.
    let colorbar: Rect?
    let colorbarTicks: [(Double, String)]
}

extension Axes {
    /// Lays out the panel: reserves room for title, labels, ticks and colour bar, then picks
    /// tick counts that fit the resulting plot area without overlapping labels.
    func layout(in panel: Rect, style: FigureStyle) -> AxesLayout {
        let pad = style.padding, tick = style.tickLength
        let ts = style.tickLabel
        var top = panel.minY + pad
        if let title, !title.isEmpty { top += style.title.lineHeight + pad }
        else { top += ts.lineHeight / 2 }  // room for the top y tick label
        var bottom = panel.maxY - pad
        if let xLabel, !xLabel.isEmpty { bottom -= style.axisLabel.lineHeight + pad * 0.75 }
        bottom -= tick + pad / 2 + ts.lineHeight
        let plotHeight = max(10, bottom - top)

        let (ylo, yhi) = limits(horizontal: false)
        let yTarget = max(2, pixelIndex(plotHeight / max(1, ts.lineHeight * 5)))
        let yTicks = ticks(horizontal: false, lo: ylo, hi: yhi, target: min(yTarget, 8))
        let yTickWidth = yTicks.map { ts.length(of: $0.1) }.max() ?? 0

        var left = panel.minX + pad
        if let yLabel, !yLabel.isEmpty { left += style.axisLabel.lineHeight + pad * 0.75 }
        left += yTickWidth + pad / 2 + tick

        // Colour bar: gap, bar, ticks, labels, optional rotated label.
        var right = panel.maxX - pad
        var colorbarTicks: [(Double, String)] = []
        var barWidth = 0.0
        if let h = heatmapLayer, h.colorbar {
            barWidth = max(10, ts.lineHeight * 1.6)
            let target = max(2, pixelIndex(plotHeight / max(1, ts.lineHeight * 5)))
            colorbarTicks = Self.colorbarTicks(h, target: min(target, 6))
            let labelWidth = colorbarTicks.map { ts.length(of: $0.1) }.max() ?? 0
            right -= pad * 1.5 + barWidth + tick + pad / 2 + labelWidth
            if let l = h.colorbarLabel, !l.isEmpty { right -= pad + style.axisLabel.lineHeight }
        } else {
            right -= ts.length(of: "000") / 2  // room for the last x tick label
        }
        if legend == .outsideRight, case let entries = legendEntries, !entries.isEmpty {
            right -= Self.legendMetrics(entries, style: style).width + pad
        }
        let plotWidth = max(10, right - left)
        let plot = Rect(x: left.rounded(), y: top.rounded(), width: plotWidth.rounded(), height: plotHeight.rounded())

        let (xlo, xhi) = limits(horizontal: true)
        var xTarget = max(2, min(12, pixelIndex(plot.width / max(1, ts.length(of: "0.000") + 3 * pad))))
        let xMap = AxisMap(lo: xlo, hi: xhi, p0: plot.minX, p1: plot.maxX, scale: xScale)
        var xTicks = ticks(horizontal: true, lo: xlo, hi: xhi, target: xTarget)
        while xTarget > 2 && xTicks.count > 2 && Self.overlaps(xTicks, map: xMap, style: ts, gap: pad) {
            xTarget -= 1
            xTicks = ticks(horizontal: true, lo: xlo, hi: xhi, target: xTarget)
        }
        let yMap = yInverted
            ? AxisMap(lo: ylo, hi: yhi, p0: plot.minY, p1: plot.maxY, scale: yScale)
            : AxisMap(lo: ylo, hi: yhi, p0: plot.maxY, p1: plot.minY, scale: yScale)

        var bar: Rect?
        if heatmapLayer?.colorbar == true {
            bar = Rect(x: plot.maxX + pad * 1.5, y: plot.minY, width: barWidth.rounded(), height: plot.height)
        }
        return AxesLayout(panel: panel, plot: plot, x: xMap, y: yMap, xTicks: xTicks, yTicks: yTicks,
                          colorbar: bar, colorbarTicks: colorbarTicks)
    }

    /// Whether neighbouring x tick labels would touch.
    static func overlaps(_ ticks: [(Double, String)], map: AxisMap, style: TextStyle, gap: Double) -> Bool {
        for i in 1..<max(1, ticks.count) {
            let a = map.pixel(ticks[i - 1].0), b = map.pixel(ticks[i].0)
            let need = (style.length(of: ticks[i - 1].1) + style.length(of: ticks[i].1)) / 2 + gap
            if abs(b - a) < need { return true }
        }
        return false
    }

    /// Colour-bar ticks; the top label gets "≥" when data above `vmax` were clipped to it.
    static func colorbarTicks(_ h: Heatmap, target: Int) -> [(Double, String)] {
        let positions = NiceTicks.ticks(from: h.vmin, to: h.vmax, target: target)
        var labels = TickFormat.automatic.labels(for: positions)
        let clippedAbove = h.values.contains { $0.isFinite && $0 > h.vmax }
        if clippedAbove, let last = positions.last, abs(last - h.vmax) <= (h.vmax - h.vmin) * 1e-9 {
            labels[labels.count - 1] = "≥" + labels[labels.count - 1]
        }
        return Array(zip(positions, labels))
    }
}
