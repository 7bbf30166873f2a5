import ArgumentParser
import Foundation
import LongGenBench
import Plot

/// `scope longgenbench plot PATH... --out DIR`: accuracy vs budget per method, accuracy by question
/// position, and KV bytes (peak per example: the records hold no per-step KV bytes) — PNG and SVG.
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
            try save(accuracyByPosition(runs, ds), "accuracy_by_position_\(ds.rawValue)")
        }
        try save(kvBytes(), "kv_bytes_peak")
        print("wrote plots for \(datasets.map(\.rawValue).joined(separator: ", ")) to \(out)")
    }

    func save(_ fig: Figure, _ name: String) throws {
        try fig.write(to: out + "/" + name + ".png")
        try fig.write(to: out + "/" + name + ".svg")
    }

    /// The budget of a run: its decoding window, else its prefill budget, else the last number in its folder name.
    static func budget(_ key: RunKey) -> Double? {
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
        for r in runs { if let s = r.scores[ds], s >= 0 { byLabel[r.key.label, default: []].append((Self.budget(r.key) ?? 0, s)) } }
        for label in byLabel.keys.sorted() {
            let pts = byLabel[label]!.sorted { $0.0 < $1.0 }
            try ax.plot(pts.map(\.0), pts.map(\.1), label: label, marker: .circle)
        }
        return fig
    }

    func accuracyByPosition(_ runs: [RunScores], _ ds: LongGenBenchDataset) throws -> Figure {
        let fig = Figure(width: 800, height: 500)
        let ax = fig[0, 0]
        ax.title = "\(ds.rawValue): accuracy by question position"
        ax.xLabel = "Question position"
        ax.yLabel = "Accuracy (%)"
        ax.legend = .outsideRight
        for r in runs {
            guard let ys = r.byPosition[ds], !ys.isEmpty else { continue }
            let b = Self.budget(r.key).map { " (\(Int($0)))" } ?? ""
            try ax.plot(ys.indices.map { Double($0 + 1) }, ys, label: r.key.label + b)
        }
        return fig
    }

    /// Peak KV bytes of every example, per results file (x = example index).
    func kvBytes() throws -> Figure {
        let fig = Figure(width: 800, height: 500)
        let ax = fig[0, 0]
        ax.title = "Peak KV-cache size per example (per-step sizes are not recorded)"
        ax.xLabel = "Example"
        ax.yLabel = "kv_bytes_peak (MiB)"
        ax.legend = .outsideRight
        for file in try ResultsDiscovery.discover(paths).sorted(by: { $0.path < $1.path }) {
            guard let text = try? String(contentsOfFile: file.path, encoding: .utf8) else { continue }
            var ys: [Double] = []
            for (i, line) in text.split(separator: "\n").enumerated() {
                guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw CLIError("\(file.path): line \(i + 1) is not a JSON object")
                }
                if let kv = obj["kv"] as? [String: Any], let peak = kv["kv_bytes_peak"] as? Double { ys.append(peak / 1_048_576) }
            }
            if !ys.isEmpty {
                try ax.plot(ys.indices.map { Double($0) }, ys, label: "\(file.dataset.rawValue) \(file.key.label)", marker: .circle)
            }
        }
        return fig
    }
}
