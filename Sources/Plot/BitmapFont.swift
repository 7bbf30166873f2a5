/// The built-in 5×7 bitmap font (with 2 descender rows) used for all raster text.
///
/// Metrics are in font units; a text drawn at scale `s` is `s` pixels per unit. Each glyph
/// advances 6 units (5 columns of ink plus 1 of spacing); the cap height is 7 units and
/// descenders reach 2 units below the baseline.
public enum BitmapFont {
    public static let glyphWidth = 5
    public static let advance = 6
    public static let capHeight = 7
    public static let descent = 2
    /// Rows stored per glyph (cap height + descent).
    public static let rows = 9

    /// Glyph rows, one `UInt8` per row, bit 4 = leftmost column.
    public static let glyphs: [Character: [UInt8]] = parseSheet(bitmapFontSheet)

    /// The glyph drawn for characters the font lacks.
    public static let replacement: Character = "\u{FFFD}"

    /// The rows of `c`'s glyph (the replacement glyph when `c` is not in the font).
    public static func glyph(for c: Character) -> [UInt8] {
        glyphs[c] ?? glyphs[replacement]!
    }

    /// Width in pixels of `text` drawn at `scale` (ink extent; no trailing spacing).
    public static func width(of text: String, scale: Double) -> Double {
        let n = text.count
        return n == 0 ? 0 : Double(n * advance - 1) * scale
    }

    /// Height in pixels of a text line at `scale` (cap height plus descent).
    public static func height(scale: Double) -> Double { Double(rows) * scale }

    /// A coverage mask (0...1 per pixel, row-major) of `text` at `scale`, with the top of the
    /// cap height at row 0. Fractional scales are area-sampled, so they come out antialiased.
    public static func mask(of text: String, scale: Double) -> (width: Int, height: Int, coverage: [Float]) {
        let chars = Array(text)
        guard !chars.isEmpty, scale > 0, scale <= 200 else { return (0, 0, []) }
        let srcW = chars.count * advance - 1, srcH = rows
        var src = [Float](repeating: 0, count: srcW * srcH)
        for (i, c) in chars.enumerated() {
            let g = glyph(for: c)
            for row in 0..<srcH {
                let bits = g[row]
                for col in 0..<glyphWidth where bits & (0x10 >> UInt8(col)) != 0 {
                    src[row * srcW + i * advance + col] = 1
                }
            }
        }
        let w = Int((Double(srcW) * scale).rounded(.up)), h = Int((Double(srcH) * scale).rounded(.up))
        var out = [Float](repeating: 0, count: w * h)
        let inv = 1 / scale
        for py in 0..<h {
            let y0 = Double(py) * inv, y1 = Double(py + 1) * inv
            for px in 0..<w {
                let x0 = Double(px) * inv, x1 = Double(px + 1) * inv
                var acc = 0.0
                var sy = Int(y0)
                while Double(sy) < y1 && sy < srcH {
                    let oy = min(y1, Double(sy + 1)) - max(y0, Double(sy))
                    var sx = Int(x0)
                    while Double(sx) < x1 && sx < srcW {
                        if src[sy * srcW + sx] != 0 {
                            acc += oy * (min(x1, Double(sx + 1)) - max(x0, Double(sx)))
                        }
                        sx += 1
                    }
                    sy += 1
                }
                out[py * w + px] = Float(min(1, acc * scale * scale))
            }
        }
        return (w, h, out)
    }

    static func parseSheet(_ sheet: String) -> [Character: [UInt8]] {
        var result: [Character: [UInt8]] = [:]
        var current: Character?
        var rowsSoFar: [UInt8] = []
        func flush() {
            guard let c = current else { return }
            precondition(rowsSoFar.count <= rows, "glyph \(c) has more than \(rows) rows")
            result[c] = rowsSoFar + [UInt8](repeating: 0, count: rows - rowsSoFar.count)
        }
        for line in sheet.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("== ") {
                flush()
                let name = line.dropFirst(3)
                current = name == "space" ? " " : name.first
                rowsSoFar = []
            } else {
                precondition(line.count == glyphWidth, "glyph row '\(line)' is not \(glyphWidth) wide")
                var bits: UInt8 = 0
                for ch in line { bits = (bits << 1) | (ch == "#" ? 1 : 0) }
                rowsSoFar.append(bits)
            }
        }
        flush()
        return result
    }
}
