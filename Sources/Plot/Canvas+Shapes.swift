extension Canvas {
    /// Draws an antialiased straight line.
    public mutating func drawLine(from a: Point, to b: Point, color: Color, width: Double = 1, dash: [Double]? = nil) {
        drawPolyline([a, b], color: color, width: width, dash: dash)
    }

    /// Draws connected segments through `points`, optionally dashed (`dash` = on, off, on, … lengths
    /// in pixels). Non-finite points break the line.
    public mutating func drawPolyline(_ points: [Point], color: Color, width: Double = 1, dash: [Double]? = nil) {
        let runs = Self.finiteRuns(points)
        guard !runs.isEmpty else { return }
        let all = runs.flatMap { $0 }
        let xs = all.map(\.x), ys = all.map(\.y)
        let bounds = Rect(x: xs.min()!, y: ys.min()!, width: xs.max()! - xs.min()!, height: ys.max()! - ys.min()!)
        var layer = CoverageLayer(canvas: self, bounds: bounds, pad: width + 2)
        guard !layer.isEmpty else { return }
        for run in runs {
            let pieces = (dash.map { Self.dashed(run, pattern: $0) }) ?? [run]
            for piece in pieces {
                if piece.count == 1 { layer.addSegment(piece[0], piece[0], width: width) }
                for i in 0..<max(0, piece.count - 1) { layer.addSegment(piece[i], piece[i + 1], width: width) }
            }
        }
        layer.composite(onto: &self, color: color)
    }

    /// Fills a disc.
    public mutating func fillCircle(center: Point, radius: Double, color: Color) {
        var layer = CoverageLayer(canvas: self, bounds: Rect(x: center.x, y: center.y, width: 0, height: 0), pad: radius + 2)
        layer.addDisc(center: center, radius: radius)
        layer.composite(onto: &self, color: color)
    }

    /// Draws a circle outline.
    public mutating func strokeCircle(center: Point, radius: Double, color: Color, width: Double = 1) {
        var layer = CoverageLayer(canvas: self, bounds: Rect(x: center.x, y: center.y, width: 0, height: 0), pad: radius + width + 2)
        layer.addRing(center: center, inner: radius - width / 2, outer: radius + width / 2)
        layer.composite(onto: &self, color: color)
    }

    /// Fills a polygon (even-odd rule), antialiased.
    public mutating func fillPolygon(_ points: [Point], color: Color) {
        guard points.count >= 3 else { return }
        let xs = points.map(\.x), ys = points.map(\.y)
        var layer = CoverageLayer(canvas: self, bounds: Rect(x: xs.min()!, y: ys.min()!, width: xs.max()! - xs.min()!,
                                                             height: ys.max()! - ys.min()!), pad: 1)
        layer.addPolygon(points)
        layer.composite(onto: &self, color: color)
    }

    /// Draws a marker of overall size `size` pixels centred at `center`.
    public mutating func drawMarker(_ shape: MarkerShape, at center: Point, size: Double, fill: Color,
                                    stroke: Color? = nil, strokeWidth: Double = 1) {
        switch shape {
        case .circle:
            fillCircle(center: center, radius: size / 2, color: fill)
            if let stroke { strokeCircle(center: center, radius: size / 2, color: stroke, width: strokeWidth) }
        case .plus, .cross:
            var layer = CoverageLayer(canvas: self, bounds: Rect(x: center.x, y: center.y, width: 0, height: 0), pad: size + 2)
            for (a, b) in shape.strokes(at: center, size: size) { layer.addSegment(a, b, width: max(1.5, strokeWidth)) }
            layer.composite(onto: &self, color: stroke ?? fill)
        case .square, .triangle, .diamond:
            let poly = shape.polygon(at: center, size: size)
            fillPolygon(poly, color: fill)
            if let stroke { drawPolyline(poly + [poly[0]], color: stroke, width: strokeWidth) }
        }
    }

    /// Splits a polyline into runs of finite points.
    static func finiteRuns(_ points: [Point]) -> [[Point]] {
        var runs: [[Point]] = [], current: [Point] = []
        for p in points {
            if p.x.isFinite && p.y.isFinite { current.append(p) } else if !current.isEmpty { runs.append(current); current = [] }
        }
        if !current.isEmpty { runs.append(current) }
        return runs
    }

    /// The "on" pieces of a polyline under a dash pattern (lengths in pixels, alternating on/off).
    static func dashed(_ run: [Point], pattern: [Double]) -> [[Point]] {
        let pattern = pattern.filter { $0 > 0 }
        guard pattern.count >= 2 else { return [run] }
        var pieces: [[Point]] = []
        var current: [Point] = []
        var index = 0, remaining = pattern[0]
        var on = true
        if on { current = [run[0]] }
        for i in 0..<(run.count - 1) {
            var a = run[i]
            let b = run[i + 1]
            var segLen = ((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y)).squareRoot()
            while segLen > 0 {
                let step = min(segLen, remaining)
                let t = step / segLen
                let p = Point(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t)
                if on { current.append(p) }
                segLen -= step; remaining -= step; a = p
                if remaining <= 1e-9 {
                    if on { if current.count >= 2 { pieces.append(current) }; current = [] } else { current = [p] }
                    on.toggle()
                    index = (index + 1) % pattern.count
                    remaining = pattern[index]
                }
            }
        }
        if on && current.count >= 2 { pieces.append(current) }
        return pieces
    }
}
