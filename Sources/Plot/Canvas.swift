/// A raster image: RGBA8 pixels, row-major, straight alpha, origin at the top left.
///
/// Drawing operations blend "source over" and honour an optional clip rectangle.
public struct Canvas: Sendable {
    public let width: Int
    public let height: Int
    /// `width × height × 4` bytes: R, G, B, A per pixel.
    public var pixels: [UInt8]
    /// Drawing is restricted to this rectangle (in pixels) when set.
    public var clip: Rect?

    /// A canvas filled with `background`.
    public init(width: Int, height: Int, background: Color = .white) {
        precondition(width > 0 && height > 0, "canvas size must be positive, got \(width)×\(height)")
        self.width = width
        self.height = height
        var px = [UInt8](repeating: 0, count: width * height * 4)
        for i in stride(from: 0, to: px.count, by: 4) {
            px[i] = background.r; px[i + 1] = background.g; px[i + 2] = background.b; px[i + 3] = background.a
        }
        self.pixels = px
    }

    /// The colour of the pixel at (x, y).
    public subscript(x: Int, y: Int) -> Color {
        let i = (y * width + x) * 4
        return Color(r: pixels[i], g: pixels[i + 1], b: pixels[i + 2], a: pixels[i + 3])
    }

    /// Integer pixel bounds [x0, x1) × [y0, y1) that drawing may touch.
    var drawableBounds: (x0: Int, y0: Int, x1: Int, y1: Int) {
        guard let c = clip else { return (0, 0, width, height) }
        return (max(0, pixelIndex(c.minX.rounded(.down))), max(0, pixelIndex(c.minY.rounded(.down))),
                min(width, pixelIndex(c.maxX.rounded(.up))), min(height, pixelIndex(c.maxY.rounded(.up))))
    }

    /// Blends `color` into pixel (x, y) with the given coverage (0...1); ignores pixels outside
    /// the canvas or the clip.
    public mutating func blend(x: Int, y: Int, color: Color, coverage: Float = 1) {
        let b = drawableBounds
        guard x >= b.x0, x < b.x1, y >= b.y0, y < b.y1 else { return }
        blendUnchecked(index: (y * width + x) * 4, color: color, coverage: coverage)
    }

    @inline(__always)
    mutating func blendUnchecked(index i: Int, color: Color, coverage: Float) {
        let sa = Float(color.a) / 255 * min(max(coverage, 0), 1)
        guard sa > 0 else { return }
        let da = Float(pixels[i + 3]) / 255
        let oa = sa + da * (1 - sa)
        guard oa > 0 else { return }
        func ch(_ s: UInt8, _ d: UInt8) -> UInt8 {
            let v = (Float(s) * sa + Float(d) * da * (1 - sa)) / oa
            return UInt8(min(255, max(0, v.rounded())))
        }
        pixels[i] = ch(color.r, pixels[i])
        pixels[i + 1] = ch(color.g, pixels[i + 1])
        pixels[i + 2] = ch(color.b, pixels[i + 2])
        pixels[i + 3] = UInt8(min(255, max(0, (oa * 255).rounded())))
    }

    /// Fills a rectangle; fractional edges get partial coverage.
    public mutating func fillRect(_ r: Rect, color: Color) {
        let b = drawableBounds
        let x0 = max(b.x0, pixelIndex(r.minX.rounded(.down))), x1 = min(b.x1, pixelIndex(r.maxX.rounded(.up)))
        let y0 = max(b.y0, pixelIndex(r.minY.rounded(.down))), y1 = min(b.y1, pixelIndex(r.maxY.rounded(.up)))
        guard x0 < x1, y0 < y1 else { return }
        for y in y0..<y1 {
            let cy = min(r.maxY, Double(y + 1)) - max(r.minY, Double(y))
            for x in x0..<x1 {
                let cx = min(r.maxX, Double(x + 1)) - max(r.minX, Double(x))
                blendUnchecked(index: (y * width + x) * 4, color: color, coverage: Float(cx * cy))
            }
        }
    }

    /// Draws the outline of a rectangle with the given line width, inside-aligned on pixel edges.
    public mutating func strokeRect(_ r: Rect, color: Color, lineWidth: Double = 1) {
        let w = lineWidth
        fillRect(Rect(x: r.minX, y: r.minY, width: r.width, height: w), color: color)
        fillRect(Rect(x: r.minX, y: r.maxY - w, width: r.width, height: w), color: color)
        fillRect(Rect(x: r.minX, y: r.minY + w, width: w, height: max(0, r.height - 2 * w)), color: color)
        fillRect(Rect(x: r.maxX - w, y: r.minY + w, width: w, height: max(0, r.height - 2 * w)), color: color)
    }

    /// Draws `image` scaled (nearest neighbour) into `rect`.
    public mutating func drawImage(_ image: Canvas, in rect: Rect) {
        let b = drawableBounds
        let x0 = max(b.x0, pixelIndex(rect.minX.rounded())), x1 = min(b.x1, pixelIndex(rect.maxX.rounded()))
        let y0 = max(b.y0, pixelIndex(rect.minY.rounded())), y1 = min(b.y1, pixelIndex(rect.maxY.rounded()))
        guard x0 < x1, y0 < y1, rect.width > 0, rect.height > 0 else { return }
        for y in y0..<y1 {
            let sy = min(image.height - 1, max(0, pixelIndex((Double(y) + 0.5 - rect.minY) / rect.height * Double(image.height))))
            for x in x0..<x1 {
                let sx = min(image.width - 1, max(0, pixelIndex((Double(x) + 0.5 - rect.minX) / rect.width * Double(image.width))))
                blendUnchecked(index: (y * width + x) * 4, color: image[sx, sy], coverage: 1)
            }
        }
    }
}
