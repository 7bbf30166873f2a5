extension Heatmap {
    /// The matrix resampled to `width × height` pixels and coloured; `flipX`/`flipY` reverse the
    /// column/row order. NaN cells are transparent.
    func image(width: Int, height: Int, flipX: Bool, flipY: Bool) -> Canvas {
        var img = Canvas(width: width, height: height, background: .clear)
        let lut = colormap.table(256)
        let span = vmax - vmin
        for iy in 0..<height {
            let r0 = iy * rows / height, r1 = max(r0 + 1, (iy + 1) * rows / height)
            for ix in 0..<width {
                let c0 = ix * columns / width, c1 = max(c0 + 1, (ix + 1) * columns / width)
                var acc = 0.0, count = 0, best = -Double.infinity
                for row in r0..<min(r1, rows) {
                    let base = row * columns
                    for col in c0..<min(c1, columns) {
                        let v = values[base + col]
                        if v.isFinite { acc += v; count += 1; best = Swift.max(best, v) }
                    }
                }
                guard count > 0 else { continue }
                let v = aggregation == .mean ? acc / Double(count) : best
                let t = Swift.min(1, Swift.max(0, (v - vmin) / span))
                let c = lut[Int((t * 255).rounded())]
                let px = flipX ? width - 1 - ix : ix, py = flipY ? height - 1 - iy : iy
                let i = (py * width + px) * 4
                img.pixels[i] = c.r; img.pixels[i + 1] = c.g; img.pixels[i + 2] = c.b; img.pixels[i + 3] = 255
            }
        }
        return img
    }
}

extension Axes {
    func drawHeatmap<R: Renderer>(_ h: Heatmap, layout L: AxesLayout, renderer r: inout R) {
        let x0 = L.x.pixel(0), x1 = L.x.pixel(Double(h.columns))
        let y0 = L.y.pixel(0), y1 = L.y.pixel(Double(h.rows))
        guard x0.isFinite, x1.isFinite, y0.isFinite, y1.isFinite else { return }
        let rect = Rect(x: min(x0, x1), y: min(y0, y1), width: abs(x1 - x0), height: abs(y1 - y0))
        let w = max(1, min(h.columns, pixelIndex(rect.width.rounded()), 4096))
        let hh = max(1, min(h.rows, pixelIndex(rect.height.rounded()), 4096))
        let img = h.image(width: w, height: hh, flipX: x1 < x0, flipY: y1 < y0)
        r.setClip(L.plot)
        r.image(img, in: rect)
        r.setClip(nil)
    }

    func drawColorbar<R: Renderer>(_ h: Heatmap, bar: Rect, ticks: [(Double, String)], style: FigureStyle,
                                   renderer r: inout R) {
        // Several columns wide so SVG viewers that smooth images keep the bar's edges solid.
        let steps = 256, columns = 8
        var img = Canvas(width: columns, height: steps, background: .clear)
        for i in 0..<steps {
            let c = h.colormap.color(at: 1 - Double(i) / Double(steps - 1))
            for x in 0..<columns {
                let o = (i * columns + x) * 4
                img.pixels[o] = c.r; img.pixels[o + 1] = c.g; img.pixels[o + 2] = c.b; img.pixels[o + 3] = 255
            }
        }
        r.image(img, in: bar)
        r.strokeRect(bar, color: style.axisColor, width: style.axisLineWidth)
        var ts = style.tickLabel
        ts.horizontal = .left; ts.vertical = .middle
        var maxLabel = 0.0
        for (v, label) in ticks {
            let y = Self.crisp(bar.maxY - (v - h.vmin) / (h.vmax - h.vmin) * bar.height, width: style.axisLineWidth)
            r.polyline([Point(bar.maxX, y), Point(bar.maxX + style.tickLength, y)], color: style.axisColor, width: style.axisLineWidth, dash: nil)
            r.text(label, at: Point(bar.maxX + style.tickLength + style.padding / 2, y), style: ts)
            maxLabel = max(maxLabel, ts.length(of: label))
        }
        if let label = h.colorbarLabel, !label.isEmpty {
            var s = style.axisLabel
            s.horizontal = .center; s.vertical = .top; s.rotation = .up
            r.text(label, at: Point(bar.maxX + style.tickLength + style.padding * 1.5 + maxLabel, bar.midY), style: s)
        }
    }
}
