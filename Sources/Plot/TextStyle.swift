/// Where a text's anchor point sits horizontally along the text.
public enum HorizontalAlignment: Sendable { case left, center, right }

/// Where a text's anchor point sits vertically: the cap top, the middle of the cap height,
/// the baseline, or the bottom of descenders.
public enum VerticalAlignment: Sendable { case top, middle, baseline, bottom }

/// Text direction: normal, or rotated 90° counter-clockwise (reading bottom to top).
public enum TextRotation: Sendable { case none, up }

/// How a text is drawn: size (`scale` pixels per font unit; 1 = 5×7-pixel capitals), colour,
/// alignment around the anchor point, rotation and weight.
public struct TextStyle: Sendable {
    public var scale: Double
    public var color: Color
    public var horizontal: HorizontalAlignment
    public var vertical: VerticalAlignment
    public var rotation: TextRotation
    public var bold: Bool

    public init(scale: Double = 1, color: Color = .black, horizontal: HorizontalAlignment = .left,
                vertical: VerticalAlignment = .baseline, rotation: TextRotation = .none, bold: Bool = false) {
        self.scale = scale; self.color = color; self.horizontal = horizontal; self.vertical = vertical
        self.rotation = rotation; self.bold = bold
    }

    /// Length of `text` along its direction, in pixels.
    public func length(of text: String) -> Double {
        BitmapFont.width(of: text, scale: scale) + (bold ? 1 : 0)
    }

    /// Line height across the text direction, in pixels (cap height + descent).
    public var lineHeight: Double { BitmapFont.height(scale: scale) }

    /// Offset of the anchor inside the text's local box (u along the text, v downwards from the cap top).
    func anchorOffset(length: Double) -> (u: Double, v: Double) {
        let u: Double
        switch horizontal {
        case .left: u = 0
        case .center: u = length / 2
        case .right: u = length
        }
        let v: Double
        switch vertical {
        case .top: v = 0
        case .middle: v = Double(BitmapFont.capHeight) * scale / 2
        case .baseline: v = Double(BitmapFont.capHeight) * scale
        case .bottom: v = Double(BitmapFont.rows) * scale
        }
        return (u, v)
    }

    /// The pixel rectangle a text occupies when drawn at `anchor`.
    public func bounds(of text: String, at anchor: Point) -> Rect {
        let len = length(of: text)
        let (u, v) = anchorOffset(length: len)
        switch rotation {
        case .none: return Rect(x: anchor.x - u, y: anchor.y - v, width: len, height: lineHeight)
        case .up: return Rect(x: anchor.x - v, y: anchor.y - len + u, width: lineHeight, height: len)
        }
    }
}

extension Canvas {
    /// Draws `text` with the built-in bitmap font, anchored at `anchor` according to `style`.
    public mutating func drawText(_ text: String, at anchor: Point, style: TextStyle) {
        let m = BitmapFont.mask(of: text, scale: style.scale)
        guard m.width > 0 else { return }
        let (u, v) = style.anchorOffset(length: style.length(of: text))
        let extra = style.bold ? 1 : 0
        let b = drawableBounds
        switch style.rotation {
        case .none:
            let ox = pixelIndex((anchor.x - u).rounded()), oy = pixelIndex((anchor.y - v).rounded())
            for my in 0..<m.height {
                let y = oy + my
                guard y >= b.y0, y < b.y1 else { continue }
                for mx in 0..<(m.width + extra) {
                    let x = ox + mx
                    guard x >= b.x0, x < b.x1 else { continue }
                    var c = mx < m.width ? m.coverage[my * m.width + mx] : 0
                    if extra > 0 && mx > 0 { c = max(c, m.coverage[my * m.width + mx - 1]) }
                    if c > 0 { blendUnchecked(index: (y * width + x) * 4, color: style.color, coverage: c) }
                }
            }
        case .up:
            // Local (u, v) maps to canvas (ox + v, oy - 1 - u).
            let ox = pixelIndex((anchor.x - v).rounded()), oy = pixelIndex((anchor.y + u).rounded())
            for my in 0..<m.height {
                let x = ox + my
                guard x >= b.x0, x < b.x1 else { continue }
                for mx in 0..<(m.width + extra) {
                    let y = oy - 1 - mx
                    guard y >= b.y0, y < b.y1 else { continue }
                    var c = mx < m.width ? m.coverage[my * m.width + mx] : 0
                    if extra > 0 && mx > 0 { c = max(c, m.coverage[my * m.width + mx - 1]) }
                    if c > 0 { blendUnchecked(index: (y * width + x) * 4, color: style.color, coverage: c) }
                }
            }
        }
    }
}
