import Foundation

/// Renders into SVG markup (vector lines and text; raster images embedded as PNG data URIs).
struct SVGRenderer: Renderer {
    let width: Int
    let height: Int
    private var body: [String] = []
    private var clipCount = 0
    private var clipOpen = false
    private var defs: [String] = []

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// The finished document.
    func document() -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
        out += "width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">\n"
        if !defs.isEmpty { out += "<defs>\n" + defs.joined(separator: "\n") + "\n</defs>\n" }
        out += body.joined(separator: "\n")
        if clipOpen { out += "\n</g>" }
        out += "\n</svg>\n"
        return out
    }

    /// A coordinate with at most two decimals; values far outside any image are saturated
    /// (they are clipped anyway) so the output never needs exponent notation.
    static func num(_ v: Double) -> String {
        guard !v.isNaN else { return "0" }
        let r = (min(max(v, -1e7), 1e7) * 100).rounded() / 100
        if r == r.rounded() { return String(Int(r)) }
        var s = TickFormat.fixed(r, decimals: 2)
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                if let a = ch.asciiValue, a < 32 { out += " " } else { out.append(ch) }
            }
        }
        return out
    }

    static func paint(_ attr: String, _ c: Color) -> String {
        var s = "\(attr)=\"\(c.hexString)\""
        if c.a < 255 { s += " \(attr)-opacity=\"\(num(Double(c.a) / 255))\"" }
        return s
    }

    mutating func fillRect(_ r: Rect, color: Color) {
        guard r.width > 0, r.height > 0 else { return }
        body.append("<rect x=\"\(Self.num(r.x))\" y=\"\(Self.num(r.y))\" width=\"\(Self.num(r.width))\" height=\"\(Self.num(r.height))\" \(Self.paint("fill", color))/>")
    }

    mutating func strokeRect(_ r: Rect, color: Color, width: Double) {
        let h = width / 2
        body.append("<rect x=\"\(Self.num(r.x + h))\" y=\"\(Self.num(r.y + h))\" width=\"\(Self.num(r.width - width))\" height=\"\(Self.num(r.height - width))\" fill=\"none\" \(Self.paint("stroke", color)) stroke-width=\"\(Self.num(width))\"/>")
    }

    mutating func polyline(_ points: [Point], color: Color, width: Double, dash: [Double]?) {
        for run in Canvas.finiteRuns(points) {
            let pts = run.map { "\(Self.num($0.x)),\(Self.num($0.y))" }.joined(separator: " ")
            var el = "<polyline points=\"\(pts)\" fill=\"none\" \(Self.paint("stroke", color)) stroke-width=\"\(Self.num(width))\" stroke-linejoin=\"round\" stroke-linecap=\"round\""
            if let dash, !dash.isEmpty {
                el += " stroke-dasharray=\"\(dash.map(Self.num).joined(separator: ","))\""
            }
            body.append(el + "/>")
        }
    }

    mutating func markers(_ shape: MarkerShape, at points: [Point], size: Double, fill: Color, stroke: Color?) {
        let strokeAttr = stroke.map { " " + Self.paint("stroke", $0) + " stroke-width=\"1\"" } ?? ""
        var group = "<g \(Self.paint("fill", fill))\(strokeAttr)>"
        for p in points where p.x.isFinite && p.y.isFinite {
            switch shape {
            case .circle:
                group += "<circle cx=\"\(Self.num(p.x))\" cy=\"\(Self.num(p.y))\" r=\"\(Self.num(size / 2))\"/>"
            case .plus, .cross:
                let d = shape.strokes(at: p, size: size).map {
                    "M\(Self.num($0.0.x)) \(Self.num($0.0.y))L\(Self.num($0.1.x)) \(Self.num($0.1.y))"
                }.joined()
                group += "<path d=\"\(d)\" fill=\"none\" \(Self.paint("stroke", stroke ?? fill)) stroke-width=\"1.5\"/>"
            case .square, .triangle, .diamond:
                let pts = shape.polygon(at: p, size: size).map { "\(Self.num($0.x)),\(Self.num($0.y))" }.joined(separator: " ")
                group += "<polygon points=\"\(pts)\"/>"
            }
        }
        body.append(group + "</g>")
    }

    mutating func text(_ s: String, at anchor: Point, style: TextStyle) {
        guard !s.isEmpty else { return }
        let length = style.length(of: s)
        let (u, v) = style.anchorOffset(length: length)
        let baselineV = Double(BitmapFont.capHeight) * style.scale
        // Position of the text start on its baseline, in canvas coordinates.
        let x: Double, y: Double, transform: String
        switch style.rotation {
        case .none:
            x = anchor.x - u; y = anchor.y - v + baselineV; transform = ""
        case .up:
            x = anchor.x - v + baselineV; y = anchor.y + u
            transform = " transform=\"rotate(-90 \(Self.num(x)) \(Self.num(y)))\""
        }
        // A monospace face whose advance (0.6 em) matches the bitmap font's 6 units.
        let size = Double(BitmapFont.advance) * style.scale / 0.6
        let weight = style.bold ? " font-weight=\"bold\"" : ""
        body.append("<text x=\"\(Self.num(x))\" y=\"\(Self.num(y))\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"\(Self.num(size))\"\(weight) textLength=\"\(Self.num(length))\" lengthAdjust=\"spacingAndGlyphs\" \(Self.paint("fill", style.color))\(transform) xml:space=\"preserve\">\(Self.escape(s))</text>")
    }

    mutating func image(_ image: Canvas, in rect: Rect) {
        guard let png = try? PNGEncoder.encode(image, compressionLevel: 9) else { return }
        let b64 = Data(png).base64EncodedString()
        body.append("<image x=\"\(Self.num(rect.x))\" y=\"\(Self.num(rect.y))\" width=\"\(Self.num(rect.width))\" height=\"\(Self.num(rect.height))\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" xlink:href=\"data:image/png;base64,\(b64)\"/>")
    }

    mutating func setClip(_ rect: Rect?) {
        if clipOpen { body.append("</g>"); clipOpen = false }
        guard let rect else { return }
        clipCount += 1
        defs.append("<clipPath id=\"clip\(clipCount)\"><rect x=\"\(Self.num(rect.x))\" y=\"\(Self.num(rect.y))\" width=\"\(Self.num(rect.width))\" height=\"\(Self.num(rect.height))\"/></clipPath>")
        body.append("<g clip-path=\"url(#clip\(clipCount))\">")
        clipOpen = true
    }
}
