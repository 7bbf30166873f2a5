/// A legend shared by all panels, laid out in rows centred below them.
struct FigureLegendLayout {
    struct Item { let entry: LegendEntry; let x: Double; let row: Int }
    let items: [Item]
    let rowHeight: Double
    let sampleWidth: Double
    let height: Double

    /// Places the distinct entries (first occurrence of each label) of `axes` in rows no wider
    /// than `width`.
    init(axes: [Axes], width: Double, style: FigureStyle) {
        var seen = Set<String>(), entries: [LegendEntry] = []
        for ax in axes { for e in ax.legendEntries where seen.insert(e.label).inserted { entries.append(e) } }
        let pad = style.padding, ts = style.legendText
        let sample = max(24, ts.lineHeight * 2.6)
        sampleWidth = sample
        rowHeight = max(ts.lineHeight, 8) + pad / 2
        let widths = entries.map { sample + pad * 0.75 + ts.length(of: $0.label) }
        // Greedy rows, then centre each row.
        var rows: [[Int]] = [[]], used = 0.0
        for (i, w) in widths.enumerated() {
            let need = (rows[rows.count - 1].isEmpty ? 0 : pad * 2.5) + w
            if !rows[rows.count - 1].isEmpty && used + need > width - 2 * pad { rows.append([]); used = 0 }
            used += (rows[rows.count - 1].isEmpty ? 0 : pad * 2.5) + w
            rows[rows.count - 1].append(i)
        }
        var items: [Item] = []
        for (r, row) in rows.enumerated() where !row.isEmpty {
            let total = row.map { widths[$0] }.reduce(0, +) + pad * 2.5 * Double(row.count - 1)
            var x = ((width - total) / 2).rounded()
            for i in row {
                items.append(Item(entry: entries[i], x: x, row: r))
                x += widths[i] + pad * 2.5
            }
        }
        self.items = items
        height = entries.isEmpty ? 0 : rowHeight * Double(rows.count) + pad
    }

    func draw<R: Renderer>(bottom: Double, style: FigureStyle, renderer r: inout R) {
        let rows = (items.map(\.row).max() ?? -1) + 1
        let top = bottom - rowHeight * Double(rows)
        for item in items {
            let cy = (top + rowHeight * Double(item.row) + rowHeight / 2).rounded(.down) + 0.5
            Axes.drawLegendEntry(item.entry, x: item.x, centerY: cy, sampleWidth: sampleWidth, rowHeight: rowHeight,
                                 style: style, renderer: &r)
        }
    }
}
