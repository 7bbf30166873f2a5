import ArgumentParser
import Foundation
import LongGenBench
import Plot

/// `scope longgenbench plot PATH... --out DIR`: accuracy vs budget per method, accuracy by question
/// position (one picture per budget when several are given), and KV bytes over the generation
/// (from the records' `kv_bytes_trace`; older records without it give each example's peak) — PNG and SVG.
struct LongGenBenchPlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot", abstract: "Plot scored LongGenBench results (accuracy vs budget, by position, KV bytes).")

    @Argument(help: "Result files or folders (as for `score`).") var paths: [String]
    @Option(name: .long, help: "Output directory.") var out: String
    @Option(name: .long, help: "Scorer: paper, by-index or corrected.") var scorer: String = "corrected"

    func run() throws {
        guard let kind = ScorerKind(rawValue: scorer) else { throw ValidationError("--scorer: expected \(ScorerKind.allCases.map(\.rawValue).joined(separator: ", ")), got '\(scorer)'") }
        let runs = try ScoreReport.score(paths: paths, scorer: kind)
        guard !runs.isEmpty else { throw CLIError("no result files under \(paths.joined(separator: ", "))") }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let datasets = LongGenBenchDataset.allCases.filter { ds in runs.contains { ($0.scores[ds] ?? -1) >= 0 } }
        for ds in datasets {
            try save(accuracyVsBudget(runs, ds), "accuracy_vs_budget_\(ds.rawValue)")
            let budgets = Set(runs.compactMap { r in (r.scores[ds] ?? -1) >= 0 ? Self.budget(r.key) : nil }).sorted()
            if budgets.count <= 1 {
                try save(accuracyByPosition(runs, ds, budget: nil), "accuracy_by_position_\(ds.rawValue)")
            } else {
                for b in budgets {
                    try save(accuracyByPosition(runs, ds, budget: b), "accuracy_by_position_\(ds.rawValue)_budget\(Int(b))")
                }
            }
        }
        try save(kvBytes(), "kv_bytes")
        print("wrote plots for \(datasets.map(\.rawValue).joined(separator: ", ")) to \(out)")
    }

    func save(_ fig: Figure, _ name: String) throws {
        try fig.write(to: out + "/" + name + ".png")
        try fig.write(to: out + "/" + name + ".svg")
    }

    /// The budget of a run: its decoding window, else its prefill budget, else the last number in its
    /// folder name; nil for the full cache (ALLKV).
    static func budget(_ key: RunKey) -> Double? {
        if key.label.hasPrefix("ALLKV") { return nil }   // the full cache has no budget
        if let dw = key.decodingWindow { return Double(dw) }
        if let p = key.prefillBudget { return Double(p) }
        let last = (key.group as NSString).lastPathComponent
        guard let r = last.range(of: #"\d+"#, options: [.regularExpression, .backwards]) else { return nil }
        return Double(last[r])
    }

    func accuracyVsBudget(_ runs: [RunScores], _ ds: LongGenBenchDataset) throws -> Figure {
        let fig = Figure(width: 800, height: 500)
        let ax = fig[0, 0]
        ax.title = "\(ds.rawValue): accuracy vs budget"
        ax.xLabel = "Budget (decoding window, else prefill budget)"
        ax.yLabel = "Accuracy (%)"
        ax.legend = .outsideRight
        var byLabel: [String: [(Double, Double)]] = [:]
        var full: [(String, Double)] = []
        for r in runs {
            guard let s = r.scores[ds], s >= 0 else { continue }
            if let b = Self.budget(r.key) { byLabel[r.key.label, default: []].append((b, s)) } else { full.append((r.key.label, s)) }
        }
        for label in byLabel.keys.sorted() {
            let pts = byLabel[label]!.sorted { $0.0 < $1.0 }
            try ax.plot(pts.map(\.0), pts.map(\.1), label: label, marker: .circle)
        }
        // Runs without a budget (the full cache) are a reference level, not a point at budget 0.
        for (label, score) in full { ax.horizontalLine(at: score, label: "\(label) (full cache)") }
        return fig
    }

    /// Accuracy by question position of the runs at `budget` plus the full-cache runs (all runs when nil).
    func accuracyByPosition(_ runs: [RunScores], _ ds: LongGenBenchDataset, budget: Double?) throws -> Figure {
        let fig = Figure(width: 800, height: 500)
        let ax = fig[0, 0]
        ax.title = "\(ds.rawValue): accuracy by question position" + (budget.map { " (budget \(Int($0)))" } ?? "")
        ax.xLabel = "Question position"
        ax.yLabel = "Accuracy (%)"
        ax.legend = .outsideRight
        for r in runs {
            guard let ys = r.byPosition[ds], !ys.isEmpty else { continue }
            let b = Self.budget(r.key)
            if let budget, let b, b != budget { continue }
            let full = b == nil
            try ax.plot(ys.indices.map { Double($0 + 1) }, ys, label: r.key.label + (full ? " (full cache)" : ""),
                        width: full ? 2.5 : 1.5, dash: full ? .dashed : .solid)
        }
        return fig
    }

    /// KV-cache size over the generation, per results file: the mean over its examples of the
    /// records' `kv_bytes_trace` (x = generated tokens). When no record has a trace (older runs),
    /// each example's peak instead (x = example index); files without a trace are left out of a
    /// traced plot (named on stderr).
    func kvBytes() throws -> Figure {
        let fig = Figure(width: 800, height: 500)
        let ax = fig[0, 0]
        ax.yLabel = "KV cache (MiB)"
        ax.legend = .outsideRight
        var traces: [(String, [Double], [Double])] = [], peaks: [(String, [Double])] = []
        for file in try ResultsDiscovery.discover(paths).sorted(by: { $0.path < $1.path }) {
            var sums: [Double] = [], counts: [Int] = [], stride = 1
            var ys: [Double] = []
            for line in try JSONLines.readObjects(file.path) {
                guard let kv = line.object["kv"] as? [String: Any] else { continue }
                if let trace = kv["kv_bytes_trace"] as? [Double], !trace.isEmpty {
                    stride = (kv["kv_bytes_trace_stride"] as? Int) ?? 1
                    for (j, v) in trace.enumerated() {
                        if j == sums.count { sums.append(0); counts.append(0) }
                        sums[j] += v / 1_048_576; counts[j] += 1
                    }
                } else if let peak = kv["kv_bytes_peak"] as? Double {
                    ys.append(peak / 1_048_576)
                }
            }
            let budget = Self.budget(file.key).map { " (\(Int($0)))" } ?? " (full cache)"
            let label = "\(file.dataset.rawValue) \(file.key.label)\(budget)"
            if !sums.isEmpty {
                traces.append((label, sums.indices.map { Double($0 * stride) }, zip(sums, counts).map { $0 / Double($1) }))
            } else if !ys.isEmpty {
                peaks.append((label, ys))
            }
        }
        if !traces.isEmpty {
            ax.title = "KV-cache size over the generation"
            ax.xLabel = "Generated tokens"
            for (label, xs, ys) in traces { try ax.plot(xs, ys, label: label) }
            for (label, _) in peaks {
                FileHandle.standardError.write(Data("kv_bytes: \(label) has no kv_bytes_trace (older run); left out\n".utf8))
            }
        } else {
            ax.title = "Peak KV-cache size per example"
            ax.xLabel = "Example"
            for (label, ys) in peaks { try ax.plot(ys.indices.map { Double($0) }, ys, label: label, marker: .circle) }
        }
        return fig
    }
}
