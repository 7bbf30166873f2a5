extension Axes {
    /// Draws the whole panel into `panel`.
    func draw<R: Renderer>(in panel: Rect, style: FigureStyle, drawLegend withLegend: Bool = true, renderer r: inout R) {
        let L = layout(in: panel, style: style)
        let plot = L.plot
        r.fillRect(plot, color: style.plotBackground)

        if let h = heatmapLayer { drawHeatmap(h, layout: L, renderer: &r) }
        if grid {
            for (v, _) in L.xTicks {
                let p = Self.crisp(L.x.pixel(v), width: style.axisLineWidth)
                r.polyline([Point(p, plot.minY), Point(p, plot.maxY)], color: style.gridColor, width: style.axisLineWidth, dash: nil)
            }
            for (v, _) in L.yTicks {
                let p = Self.crisp(L.y.pixel(v), width: style.axisLineWidth)
                r.polyline([Point(plot.minX, p), Point(plot.maxX, p)], color: style.gridColor, width: style.axisLineWidth, dash: nil)
            }
        }

        r.setClip(plot)
        for item in items { drawItem(item, layout: L, style: style, renderer: &r) }
        r.setClip(nil)

        // Frame, ticks and tick labels.
        r.strokeRect(plot, color: style.axisColor, width: style.axisLineWidth)
        let tick = style.tickLength, pad = style.padding
        var ts = style.tickLabel
        ts.horizontal = .center; ts.vertical = .top
        for (v, label) in L.xTicks {
            let p = Self.crisp(L.x.pixel(v), width: style.axisLineWidth)
            guard p.isFinite else { continue }
            r.polyline([Point(p, plot.maxY), Point(p, plot.maxY + tick)], color: style.axisColor, width: style.axisLineWidth, dash: nil)
            r.text(label, at: Point(p, plot.maxY + tick + pad / 2), style: ts)
        }
        ts.horizontal = .right; ts.vertical = .middle
        for (v, label) in L.yTicks {
            let p = Self.crisp(L.y.pixel(v), width: style.axisLineWidth)
            guard p.isFinite else { continue }
            r.polyline([Point(plot.minX - tick, p), Point(plot.minX, p)], color: style.axisColor, width: style.axisLineWidth, dash: nil)
            r.text(label, at: Point(plot.minX - tick - pad / 2, p), style: ts)
        }

        // Title and axis labels.
        if let title, !title.isEmpty {
            var s = style.title
            s.horizontal = .center; s.vertical = .top
            r.text(title, at: Point(plot.midX, panel.minY + pad), style: s)
        }
        if let xLabel, !xLabel.isEmpty {
            var s = style.axisLabel
            s.horizontal = .center; s.vertical = .bottom
            r.text(xLabel, at: Point(plot.midX, panel.maxY - pad), style: s)
        }
        if let yLabel, !yLabel.isEmpty {
            var s = style.axisLabel
            s.horizontal = .center; s.vertical = .top; s.rotation = .up
            r.text(yLabel, at: Point(panel.minX + pad, plot.midY), style: s)
        }

        if let h = heatmapLayer, let bar = L.colorbar { drawColorbar(h, bar: bar, ticks: L.colorbarTicks, style: style, renderer: &r) }
        if withLegend { drawLegend(layout: L, style: style, renderer: &r) }
    }

    /// A position where a line of the given width covers whole pixels (pixel centres for odd
    /// widths, pixel edges for even ones).
    static func crisp(_ v: Double, width: Double) -> Double {
        guard v.isFinite else { return v }
        return Int(width.rounded()) % 2 == 0 ? v.rounded() : v.rounded(.down) + 0.5
    }

    func drawItem<R: Renderer>(_ item: SeriesItem, layout L: AxesLayout, style: FigureStyle, renderer r: inout R) {
        switch item {
        case .line(let s):
            let pts = zip(s.xs, s.ys).map { Point(L.x.pixel($0), L.y.pixel($1)) }
            let color = s.color ?? .black
            if s.width > 0 { r.polyline(pts, color: color, width: s.width, dash: s.dash.pattern(width: s.width)) }
            if let m = s.marker {
                r.markers(m, at: pts, size: s.markerSize, fill: color, stroke: m.isStrokeOnly ? nil : .white)
            }
        case .scatter(let s):
            let pts = zip(s.xs, s.ys).map { Point(L.x.pixel($0), L.y.pixel($1)) }
            r.markers(s.marker, at: pts, size: s.size, fill: (s.color ?? .black).opacity(s.opacity), stroke: nil)
        case .reference(let ref):
            let color = ref.color ?? .darkGray
            let dash = ref.dash.pattern(width: ref.width)
            switch ref.orientation {
            case .vertical:
                let p = L.x.pixel(ref.value)
                r.polyline([Point(p, L.plot.minY), Point(p, L.plot.maxY)], color: color, width: ref.width, dash: dash)
            case .horizontal:
                let p = L.y.pixel(ref.value)
                r.polyline([Point(L.plot.minX, p), Point(L.plot.maxX, p)], color: color, width: ref.width, dash: dash)
            }
        case .annotation(let a):
            var s = style.legendText
            s.color = a.color; s.horizontal = a.horizontal; s.vertical = a.vertical
            let p = Point(L.x.pixel(a.x), L.y.pixel(a.y))
            if p.x.isFinite && p.y.isFinite { r.text(a.text, at: p, style: s) }
        case .bars(let b):
            let base = L.y.pixel(0).isFinite ? L.y.pixel(0) : (yInverted ? L.plot.minY : L.plot.maxY)
            for (x, h) in zip(b.xs, b.heights) where x.isFinite && h.isFinite {
                let x0 = L.x.pixel(x - b.barWidth / 2), x1 = L.x.pixel(x + b.barWidth / 2), top = L.y.pixel(h)
                guard x0.isFinite, x1.isFinite, top.isFinite else { continue }
                r.fillRect(Rect(x: min(x0, x1), y: min(base, top), width: abs(x1 - x0), height: abs(top - base)),
                           color: b.color ?? .black)
            }
        }
    }
}
