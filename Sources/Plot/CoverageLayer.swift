/// Antialiasing coverage accumulated over a region before it is composited once, so that
/// overlapping pieces of one shape (polyline joints, dashes) do not darken where they meet.
struct CoverageLayer {
    let x0: Int, y0: Int, width: Int, height: Int
    var values: [Float]

    /// A layer covering `bounds` (padded by `pad` pixels), limited to the canvas's drawable area.
    init(canvas: Canvas, bounds: Rect, pad: Double) {
        let b = canvas.drawableBounds
        let x0 = max(b.x0, pixelIndex((bounds.minX - pad).rounded(.down)))
        let y0 = max(b.y0, pixelIndex((bounds.minY - pad).rounded(.down)))
        let x1 = min(b.x1, pixelIndex((bounds.maxX + pad).rounded(.up)) + 1)
        let y1 = min(b.y1, pixelIndex((bounds.maxY + pad).rounded(.up)) + 1)
        self.x0 = x0; self.y0 = y0
        self.width = max(0, x1 - x0); self.height = max(0, y1 - y0)
        self.values = [Float](repeating: 0, count: width * height)
    }

    var isEmpty: Bool { width == 0 || height == 0 }

    /// Adds a round-capped segment of the given width.
    mutating func addSegment(_ a: Point, _ b: Point, width lineWidth: Double) {
        guard !isEmpty else { return }
        let hw = max(lineWidth, 1) / 2
        let alphaScale = Float(min(lineWidth, 1))
        let lx0 = max(x0, pixelIndex((min(a.x, b.x) - hw - 1).rounded(.down)))
        let lx1 = min(x0 + width, pixelIndex((max(a.x, b.x) + hw + 1).rounded(.up)))
        let ly0 = max(y0, pixelIndex((min(a.y, b.y) - hw - 1).rounded(.down)))
        let ly1 = min(y0 + height, pixelIndex((max(a.y, b.y) + hw + 1).rounded(.up)))
        guard lx0 < lx1, ly0 < ly1 else { return }
        let dx = b.x - a.x, dy = b.y - a.y
        let len2 = dx * dx + dy * dy
        for y in ly0..<ly1 {
            let py = Double(y) + 0.5
            for x in lx0..<lx1 {
                let px = Double(x) + 0.5
                var t = len2 > 0 ? ((px - a.x) * dx + (py - a.y) * dy) / len2 : 0
                t = min(1, max(0, t))
                let ex = a.x + t * dx - px, ey = a.y + t * dy - py
                let d = (ex * ex + ey * ey).squareRoot()
                let c = Float(min(1, max(0, hw + 0.5 - d))) * alphaScale
                if c > 0 {
                    let i = (y - y0) * width + (x - x0)
                    if c > values[i] { values[i] = c }
                }
            }
        }
    }

    /// Adds a filled disc.
    mutating func addDisc(center: Point, radius: Double) {
        addRing(center: center, inner: -1, outer: radius)
    }

    /// Adds the annulus between `inner` and `outer` radii (a circle outline when they are close).
    mutating func addRing(center: Point, inner: Double, outer: Double) {
        guard !isEmpty else { return }
        let lx0 = max(x0, pixelIndex((center.x - outer - 1).rounded(.down)))
        let lx1 = min(x0 + width, pixelIndex((center.x + outer + 1).rounded(.up)))
        let ly0 = max(y0, pixelIndex((center.y - outer - 1).rounded(.down)))
        let ly1 = min(y0 + height, pixelIndex((center.y + outer + 1).rounded(.up)))
        guard lx0 < lx1, ly0 < ly1 else { return }
        for y in ly0..<ly1 {
            for x in lx0..<lx1 {
                let ex = Double(x) + 0.5 - center.x, ey = Double(y) + 0.5 - center.y
                let d = (ex * ex + ey * ey).squareRoot()
                let c = Float(min(1, max(0, outer + 0.5 - d)) * min(1, max(0, d - inner + 0.5)))
                if c > 0 {
                    let i = (y - y0) * width + (x - x0)
                    if c > values[i] { values[i] = c }
                }
            }
        }
    }

    /// Adds a filled convex or concave polygon (even-odd rule), 4×4 supersampled.
    mutating func addPolygon(_ pts: [Point]) {
        guard !isEmpty, pts.count >= 3 else { return }
        let xs = pts.map(\.x), ys = pts.map(\.y)
        let lx0 = max(x0, pixelIndex(xs.min()!.rounded(.down))), lx1 = min(x0 + width, pixelIndex(xs.max()!.rounded(.up)))
        let ly0 = max(y0, pixelIndex(ys.min()!.rounded(.down))), ly1 = min(y0 + height, pixelIndex(ys.max()!.rounded(.up)))
        guard lx0 < lx1, ly0 < ly1 else { return }
        for y in ly0..<ly1 {
            for x in lx0..<lx1 {
                var inside = 0
                for sy in 0..<4 {
                    for sx in 0..<4 {
                        let p = Point(Double(x) + (Double(sx) + 0.5) / 4, Double(y) + (Double(sy) + 0.5) / 4)
                        if Self.contains(pts, p) { inside += 1 }
                    }
                }
                let c = Float(inside) / 16
                if c > 0 {
                    let i = (y - y0) * width + (x - x0)
                    if c > values[i] { values[i] = c }
                }
            }
        }
    }

    static func contains(_ pts: [Point], _ p: Point) -> Bool {
        var inside = false
        var j = pts.count - 1
        for i in 0..<pts.count {
            let a = pts[i], b = pts[j]
            if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x { inside.toggle() }
            j = i
        }
        return inside
    }

    /// Blends `color` into the canvas weighted by the accumulated coverage.
    func composite(onto canvas: inout Canvas, color: Color) {
        for y in 0..<height {
            for x in 0..<width {
                let c = values[y * width + x]
                if c > 0 { canvas.blendUnchecked(index: ((y + y0) * canvas.width + x + x0) * 4, color: color, coverage: c) }
            }
        }
    }
}
