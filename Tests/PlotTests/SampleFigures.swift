import Foundation
@testable import Plot

/// Figures resembling the project's analyses, shared by the tests and written to a folder for
/// visual inspection.
enum SampleFigures {
    /// Deterministic pseudo-random numbers (xorshift) so the figures are reproducible.
    struct Rng {
        var state: UInt64
        mutating func next() -> Double {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Double(state >> 11) / Double(1 << 53)
        }
    }

    /// Three panels of heavy-hitter positions per decoding step with an end-of-prefill line.
    static func heavyHitters() throws -> Figure {
        let fig = Figure(width: 1200, height: 420, rows: 1, columns: 3)
        fig.title = "Heavy hitters move into the generated text"
        fig.sharedLegend = true
        var rng = Rng(state: 0x9E3779B97F4A7C15)
        let prefill = 600.0
        for (i, layer) in [0, 13, 29].enumerated() {
            let ax = fig[0, i]
            ax.title = "Layer \(layer)"
            ax.xLabel = "key position"
            if i == 0 { ax.yLabel = "decoding step" }
            var xs: [Double] = [], ys: [Double] = []
            var gx: [Double] = [], gy: [Double] = []
            for step in stride(from: 1, through: 500, by: 25) {
                let visible = prefill + Double(step)
                for _ in 0..<Int(visible * 0.02) {
                    let pos = (rng.next() * visible).rounded(.down)
                    if pos < prefill { xs.append(pos); ys.append(Double(step)) } else { gx.append(pos); gy.append(Double(step)) }
                }
            }
            try ax.scatter(xs, ys, label: "prompt keys", size: 3)
            try ax.scatter(gx, gy, label: "generated keys", size: 3)
            ax.verticalLine(at: prefill, label: "end of prefill")
        }
        return fig
    }

    /// An attention-like matrix with clipping at 0.01 and a colour bar.
    static func attentionMap(size n: Int = 300) throws -> Figure {
        let fig = Figure(width: 640, height: 560)
        let ax = fig[0, 0]
        var values = [Double](repeating: .nan, count: n * n)
        for q in 0..<n {
            var row = [Double](repeating: 0, count: q + 1)
            for k in 0...q { row[k] = k < 4 ? 8 : (k >= q - 3 ? 4 : (k % 37 == 0 ? 2 : 0.02)) }
            let sum = row.reduce(0, +)
            for k in 0...q { values[q * n + k] = row[k] / sum }
        }
        try ax.heatmap(values, rows: n, columns: n, vmin: 0, vmax: 0.01, colorbarLabel: "attention probability",
                       aggregation: .max)
        ax.title = "Layer 13, head 2 (prefill)"
        ax.xLabel = "key position"
        ax.yLabel = "query position"
        return fig
    }

    /// Accuracy against budget for several methods, with markers and a dashed reference.
    static func accuracyVsBudget() throws -> Figure {
        let fig = Figure(width: 760, height: 480)
        let ax = fig[0, 0]
        let budgets = [128.0, 256, 512, 1024, 2048]
        ax.xScale = .log(base: 2)
        try ax.plot(budgets, [0.21, 0.28, 0.35, 0.41, 0.44], label: "StreamingLLM", marker: .circle)
        try ax.plot(budgets, [0.25, 0.33, 0.39, 0.43, 0.45], label: "H2O", marker: .square)
        try ax.plot(budgets, [0.30, 0.37, 0.42, 0.45, 0.46], label: "SCOPE (slide)", marker: .diamond)
        try ax.plot(budgets, [0.31, 0.38, 0.43, 0.45, 0.47], label: "SCOPE (adaptive)", dash: .dashed, marker: .triangle)
        ax.horizontalLine(at: 0.47, label: "FullKV")
        ax.annotate("budget 512: +7 points", x: 512, y: 0.15, color: .darkGray, horizontal: .center)
        ax.yLimits = 0...0.6
        ax.yTickFormat = .percent
        ax.title = "GSM8K+ accuracy vs decoding budget"
        ax.xLabel = "decoding budget (tokens)"
        ax.yLabel = "accuracy"
        return fig
    }

    /// Two panels: KV bytes over generation (byte-formatted ticks) and accuracy by position (bars).
    static func bytesAndPositions() throws -> Figure {
        let fig = Figure(width: 1000, height: 400, rows: 1, columns: 2)
        let a = fig[0, 0]
        let steps = (0...1000).map(Double.init)
        try a.plot(steps, steps.map { 1_200_000 + $0 * 9216 }, label: "FullKV")
        try a.plot(steps, steps.map { 1_200_000 + min($0, 256) * 9216 }, label: "SCOPE slide", dash: .dashed)
        a.yTickFormat = .bytes
        a.title = "KV cache size"
        a.xLabel = "generated tokens"
        a.yLabel = "KV bytes"
        a.yLimits = 0...11_000_000
        let b = fig[0, 1]
        try b.bar((1...10).map(Double.init), [0.9, 0.85, 0.8, 0.7, 0.65, 0.6, 0.5, 0.45, 0.4, 0.3], label: "FullKV")
        b.title = "Accuracy by question position"
        b.xLabel = "question index"
        b.yLabel = "accuracy"
        b.yLimits = 0...1
        b.xTicks = (1...10).map(Double.init)
        return fig
    }

    /// The accuracy figure at twice the resolution with every size doubled.
    static func accuracyHighResolution() throws -> Figure {
        let base = try accuracyVsBudget()
        let fig = Figure(width: base.width * 2, height: base.height * 2)
        fig.style = base.style.scaled(by: 2)
        try fig[0, 0].plot([128, 256, 512, 1024, 2048], [0.21, 0.28, 0.35, 0.41, 0.44], label: "StreamingLLM",
                           width: 4, marker: .circle, markerSize: 12)
        fig[0, 0].xScale = .log(base: 2)
        fig[0, 0].title = "High-resolution output"
        fig[0, 0].xLabel = "decoding budget"
        fig[0, 0].yLabel = "accuracy"
        return fig
    }

    static let all: [(String, @Sendable () throws -> Figure)] = [
        ("accuracy-2x", accuracyHighResolution),
        ("heavy-hitters", heavyHitters), ("attention-map", { try attentionMap() }),
        ("accuracy-vs-budget", accuracyVsBudget), ("bytes-and-positions", bytesAndPositions),
    ]
}
