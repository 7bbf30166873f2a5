/// One legend row: what to draw as the sample and the text.
struct LegendEntry {
    enum Sample { case line(Color, Double, LineDash, MarkerShape?, Double), marker(Color, MarkerShape, Double), patch(Color) }
    let sample: Sample
    let label: String
}

extension Axes {
    var legendEntries: [LegendEntry] {
        items.compactMap { item in
            switch item {
            case .line(let s):
                guard let l = s.label, !l.isEmpty else { return nil }
                return LegendEntry(sample: .line(s.color ?? .black, s.width, s.dash, s.marker, s.markerSize), label: l)
            case .scatter(let s):
                guard let l = s.label, !l.isEmpty else { return nil }
                return LegendEntry(sample: .marker(s.color ?? .black, s.marker, max(s.size, 6)), label: l)
            case .reference(let ref):
                guard let l = ref.label, !l.isEmpty else { return nil }
                return LegendEntry(sample: .line(ref.color ?? .darkGray, ref.width, ref.dash, nil, 0), label: l)
            case .bars(let b):
                guard let l = b.label, !l.isEmpty else { return nil }
                return LegendEntry(sample: .patch(b.color ?? .black), label: l)
            case .annotation:
                return nil
            }
        }
    }

    /// Pixel positions of the data, used to choose the least crowded legend corner.
    func occupiedPoints(_ L: AxesLayout) -> [Point] {
        var pts: [Point] = []
        for item in items {
            switch item {
            case .line(let s):
                let mapped = zip(s.xs, s.ys).map { Point(L.x.pixel($0), L.y.pixel($1)) }
                pts += mapped
                for i in 1..<max(1, mapped.count) {  // interior samples so long segments count too
                    let a = mapped[i - 1], b = mapped[i]
                    let n = min(50, pixelIndex((abs(b.x - a.x) + abs(b.y - a.y)) / 8))
                    if n > 1 { for k in 1..<n { let t = Double(k) / Double(n); pts.append(Point(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t)) } }
                }
            case .scatter(let s):
                pts += zip(s.xs, s.ys).map { Point(L.x.pixel($0), L.y.pixel($1)) }
            case .bars(let b):
                pts += zip(b.xs, b.heights).map { Point(L.x.pixel($0), L.y.pixel($1)) }
            case .reference(let ref):
                let p = ref.orientation == .vertical ? L.x.pixel(ref.value) : L.y.pixel(ref.value)
                for k in 0...20 {
                    let t = Double(k) / 20
                    pts.append(ref.orientation == .vertical
                               ? Point(p, L.plot.minY + t * L.plot.height)
                               : Point(L.plot.minX + t * L.plot.width, p))
                }
            case .annotation(let a):
                pts.append(Point(L.x.pixel(a.x), L.y.pixel(a.y)))
            }
        }
        return pts.filter { $0.x.isFinite && $0.y.isFinite }
    }

    /// Size of the legend box and of its rows.
    static func legendMetrics(_ entries: [LegendEntry], style: FigureStyle)
        -> (width: Double, height: Double, sampleWidth: Double, rowHeight: Double) {
        let ts = style.legendText, pad = style.padding
        let sampleWidth = max(24, ts.lineHeight * 2.6)
        let rowHeight = max(ts.lineHeight, 8) + pad / 2
        let textWidth = entries.map { ts.length(of: $0.label) }.max() ?? 0
        return (pad + sampleWidth + pad * 0.75 + textWidth + pad,
                pad * 0.75 * 2 + rowHeight * Double(entries.count) - pad / 2, sampleWidth, rowHeight)
    }

    func drawLegend<R: Renderer>(layout L: AxesLayout, style: FigureStyle, renderer r: inout R) {
        guard legend != .hidden else { return }
        let entries = legendEntries
        guard !entries.isEmpty else { return }
        let pad = style.padding
        let m = Self.legendMetrics(entries, style: style)
        let (sampleWidth, rowHeight) = (m.sampleWidth, m.rowHeight)
        let box = (w: m.width, h: m.height)
        let inset = pad
        let plot = L.plot
        func corner(_ p: LegendPlacement) -> Rect {
            switch p {
            case .upperLeft: return Rect(x: plot.minX + inset, y: plot.minY + inset, width: box.w, height: box.h)
            case .lowerLeft: return Rect(x: plot.minX + inset, y: plot.maxY - inset - box.h, width: box.w, height: box.h)
            case .lowerRight: return Rect(x: plot.maxX - inset - box.w, y: plot.maxY - inset - box.h, width: box.w, height: box.h)
            default: return Rect(x: plot.maxX - inset - box.w, y: plot.minY + inset, width: box.w, height: box.h)
            }
        }
        var rect: Rect
        if legend == .outsideRight {
            rect = Rect(x: L.panel.maxX - pad - box.w, y: plot.minY, width: box.w, height: box.h)
        } else if legend == .best {
            let pts = occupiedPoints(L)
            let candidates: [LegendPlacement] = [.upperRight, .upperLeft, .lowerRight, .lowerLeft]
            rect = corner(.upperRight)
            var bestCount = Int.max
            for c in candidates {
                let rc = corner(c)
                let n = pts.reduce(0) { $0 + (rc.contains($1) ? 1 : 0) }
                if n < bestCount { bestCount = n; rect = rc }
            }
        } else {
            rect = corner(legend)
        }
        rect = Rect(x: rect.x.rounded(), y: rect.y.rounded(), width: rect.width.rounded(), height: rect.height.rounded())
        r.fillRect(rect, color: Color.white.opacity(0.9))
        r.strokeRect(rect, color: Color(hex: 0xB0B0B0), width: style.axisLineWidth)
        for (i, e) in entries.enumerated() {
            let cy = (rect.minY + pad * 0.75 + rowHeight * Double(i) + (rowHeight - pad / 2) / 2).rounded(.down) + 0.5
            Self.drawLegendEntry(e, x: rect.minX + pad, centerY: cy, sampleWidth: sampleWidth, rowHeight: rowHeight,
                                 style: style, renderer: &r)
        }
    }

    /// Draws one entry's sample and label starting at `x`, centred vertically on `centerY`.
    static func drawLegendEntry<R: Renderer>(_ e: LegendEntry, x x0: Double, centerY cy: Double, sampleWidth: Double,
                                             rowHeight: Double, style: FigureStyle, renderer r: inout R) {
        let x1 = x0 + sampleWidth
        switch e.sample {
        case .line(let c, let w, let dash, let marker, let msize):
            r.polyline([Point(x0, cy), Point(x1, cy)], color: c, width: w, dash: dash.pattern(width: w))
            if let marker { r.markers(marker, at: [Point((x0 + x1) / 2, cy)], size: msize, fill: c, stroke: marker.isStrokeOnly ? nil : .white) }
        case .marker(let c, let shape, let size):
            r.markers(shape, at: [Point((x0 + x1) / 2, cy)], size: size, fill: c, stroke: nil)
        case .patch(let c):
            r.fillRect(Rect(x: x0 + sampleWidth * 0.2, y: cy - rowHeight * 0.35, width: sampleWidth * 0.6, height: rowHeight * 0.7), color: c)
        }
        var s = style.legendText
        s.horizontal = .left; s.vertical = .middle
        r.text(e.label, at: Point(x1 + style.padding * 0.75, cy), style: s)
    }
}
