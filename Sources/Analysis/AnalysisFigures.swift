import Foundation
import Plot

/// Figures of the analyses, drawn with the Plot module.
public enum AnalysisFigures {
    /// Paper Figure 2b: one panel per layer; x = key position, y = decoding step; one colour per
    /// step; a dashed line at the end of the prefill; shared legend.
    public static func heavyHitters(_ report: HeavyHitterReport) throws -> Figure {
        let layers = Array(Set(report.steps.map(\.layer))).sorted()
        let steps = Array(Set(report.steps.map(\.step))).sorted()
        guard !layers.isEmpty else { throw AnalysisError("heavy-hitter report has no recorded steps to plot") }
        let fig = Figure(width: 900, height: 260 * layers.count + 80, rows: layers.count, columns: 1)
        fig.title = "Top-\(Int((report.topkFraction * 100).rounded()))% keys of the head-averaged attention"
        fig.sharedLegend = true
        let colors: [Color] = [.blue, .green, .red, .orange, .darkGray]
        let maxX = Double(report.steps.map(\.visibleKeys).max() ?? 1)
        for (i, l) in layers.enumerated() {
            let ax = fig[i, 0]
            ax.title = "Layer \(l)"
            ax.xLabel = "Key Position Index"
            ax.yLabel = "Decoding Step"
            ax.xLimits = 0...maxX
            for (j, s) in steps.enumerated() {
                guard let st = report.steps.first(where: { $0.layer == l && $0.step == s }) else { continue }
                try ax.scatter(st.keyIndices.map(Double.init), Array(repeating: Double(s), count: st.keyIndices.count),
                               label: i == 0 ? "decoding\(s)" : nil, color: colors[j % colors.count], size: 4, opacity: 0.6)
            }
            ax.verticalLine(at: Double(report.promptTokens), label: i == 0 ? "End of Prefill" : nil, color: .black)
            let lo = Double(steps.first ?? 1), hi = Double(steps.last ?? 1)
            let pad = max((hi - lo) * 0.1, 10)
            ax.yLimits = (lo - pad)...(hi + pad)
        }
        return fig
    }

    /// The per-step fraction of top-k keys in the generated region, one line per layer.
    public static func generatedFraction(_ report: HeavyHitterReport) throws -> Figure {
        let fig = Figure(width: 700, height: 420)
        let ax = fig[0, 0]
        ax.title = "Top-k keys in the generated region"
        ax.xLabel = "Decoding step"
        ax.yLabel = "Fraction of top-k keys"
        ax.yLimits = 0...1
        for l in Array(Set(report.steps.map(\.layer))).sorted() {
            let rows = report.steps.filter { $0.layer == l }.sorted { $0.step < $1.step }
            try ax.plot(rows.map { Double($0.step) }, rows.map(\.fractionGenerated), label: "layer \(l)", marker: .circle)
        }
        return fig
    }

    /// Heatmap of an attention matrix clipped at `clip` (paper: 0.01), with colour bar and labels.
    public static func attentionMap(_ m: AttentionMatrix, layer: Int, head: Int, clip: Double = 0.01) throws -> Figure {
        let fig = Figure(width: 760, height: 660)
        let ax = fig[0, 0]
        ax.title = "Attention Weights Heatmap Layer \(layer) Head \(head)"
        ax.xLabel = "Key Positions"
        ax.yLabel = "Query Positions"
        try ax.heatmap(m.values.map(Double.init), rows: m.size, columns: m.size, colormap: .viridis, vmin: 0, vmax: clip,
                       colorbarLabel: "probability (clipped at \(clip))", aggregation: .max)
        if m.size > m.promptTokens {
            ax.verticalLine(at: Double(m.promptTokens), label: "End of Prefill", color: .white)
        }
        return fig
    }
}
