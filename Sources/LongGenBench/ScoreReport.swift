import Foundation

/// Scores of one run on each dataset.
public struct RunScores: Sendable {
    public var key: RunKey
    /// Dataset score (`round(100·mean accuracy, 4)`), −1 when the run has no file for the dataset.
    public var scores: [LongGenBenchDataset: Double]
    /// Accuracy (%) of question position i (0-based) over the examples that have it.
    public var byPosition: [LongGenBenchDataset: [Double]]
    /// Examples scored per dataset.
    public var examples: [LongGenBenchDataset: Int]
}

/// Scoring of whole result folders and rendering as Markdown, CSV and JSON.
public enum ScoreReport {
    /// Scores every run found under `paths`.
    public static func score(paths: [String], scorer: ScorerKind) throws -> [RunScores] {
        try score(files: ResultsDiscovery.discover(paths), scorer: scorer)
    }

    /// Scores every run among `files` (`ResultsDiscovery.discover`).
    public static func score(files: [ResultFile], scorer: ScorerKind) throws -> [RunScores] {
        let runs = Dictionary(grouping: files) { $0.key }
        let scored: [RunScores] = try runs.keys.sorted().map { key in
            var run = RunScores(key: key, scores: [:], byPosition: [:], examples: [:])
            for ds in LongGenBenchDataset.allCases {
                let paths = runs[key]!.filter { $0.dataset == ds }.map(\.path).sorted()
                guard !paths.isEmpty else { run.scores[ds] = -1; run.byPosition[ds] = []; run.examples[ds] = 0; continue }
                let examples = try ResultsReader.merge(paths)
                let scored = examples.map { LongGenBenchScorer.score(dataset: ds, pred: $0.pred, answers: $0.answers, scorer: scorer) }
                run.scores[ds] = LongGenBenchScorer.datasetScore(scored.map(\.accuracy)) ?? -1
                run.byPosition[ds] = positionAccuracy(scored)
                run.examples[ds] = examples.count
            }
            return run
        }
        guard files.isEmpty || scored.contains(where: { $0.examples.values.contains { $0 > 0 } }) else {
            throw LongGenBenchError("no finished example to score in \(files.map(\.path).sorted().joined(separator: ", ")) (the result files are empty)")
        }
        return scored
    }

    /// Accuracy (%) per question position.
    public static func positionAccuracy(_ scored: [ExampleScore]) -> [Double] {
        let k = scored.map(\.correct.count).max() ?? 0
        return (0..<k).map { i in
            let have = scored.filter { i < $0.correct.count }
            let hits = have.filter { $0.correct[i] }.count
            return have.isEmpty ? 0 : LongGenBenchScorer.pythonRound(100 * Double(hits) / Double(have.count), digits: 4)
        }
    }

    /// The dataset columns of a table. By default the datasets some run has results for; with
    /// `paperFormat` the paper's three always (the reference layout, `-1` where a run has no file)
    /// and the synthetic tasks some run has results for.
    public static func columns(_ runs: [RunScores], paperFormat: Bool = false) -> [LongGenBenchDataset] {
        let present = LongGenBenchDataset.allCases.filter { ds in runs.contains { ($0.examples[ds] ?? 0) > 0 } }
        guard paperFormat else { return present }
        return LongGenBenchDataset.paperDatasets + present.filter(\.isSynthetic)
    }

    static func number(_ x: Double) -> String {
        x == -1 ? "-1" : PythonJSON.formatDouble(x)
    }

    /// A score cell: the number, or for a run without results `-1` (paper format) or `missing`.
    static func cell(_ r: RunScores, _ ds: LongGenBenchDataset, paperFormat: Bool, missing: String) -> String {
        let x = r.scores[ds] ?? -1
        return x == -1 && !paperFormat ? missing : number(x)
    }

    /// A Markdown table like the paper's: one row per prefill+decoding setting, one column per dataset
    /// with results (`–` where a run has none); `paperFormat` keeps the paper's columns and `-1`.
    public static func markdown(_ runs: [RunScores], paperFormat: Bool = false) -> String {
        let cols = columns(runs, paperFormat: paperFormat)
        func row(_ cells: [String]) -> String { "| " + cells.joined(separator: " | ") + " |\n" }
        var s = row(["prefill+decoding", "P", "dw"] + cols.map(\.tableTitle))
        s += "|" + String(repeating: "---|", count: 3 + cols.count) + "\n"
        for r in runs {
            s += row([r.key.label, r.key.prefillBudget.map(String.init) ?? "–", r.key.decodingWindow.map(String.init) ?? "–"]
                     + cols.map { cell(r, $0, paperFormat: paperFormat, missing: "–") })
        }
        return s
    }

    /// Accuracy by question position, one Markdown table per run.
    public static func positionMarkdown(_ runs: [RunScores]) -> String {
        var s = ""
        let cols = columns(runs)
        for r in runs {
            s += "\n\(r.key.label)\(r.key.decodingWindow.map { " (dw=\($0))" } ?? ""): accuracy (%) by question position\n\n"
            s += "| position | " + cols.map(\.tableTitle).joined(separator: " | ") + " |\n"
            s += "|---|" + String(repeating: "---|", count: cols.count) + "\n"
            let k = cols.map { r.byPosition[$0]?.count ?? 0 }.max() ?? 0
            for i in 0..<k {
                s += "| \(i + 1) | " + cols.map { ds in
                    let p = r.byPosition[ds] ?? []
                    return i < p.count ? number(p[i]) : ""
                }.joined(separator: " | ") + " |\n"
            }
        }
        return s
    }

    /// CSV: `prefill+decoding,P,dw,dr,<dataset>...` with the datasets that have results (an empty cell
    /// where a run has none); `paperFormat`: `gsm8k,mmlu,csqa` plus the synthetic tasks present, with `-1`, as the reference scripts.
    public static func csv(_ runs: [RunScores], paperFormat: Bool = false) -> String {
        let cols = columns(runs, paperFormat: paperFormat)
        var s = "prefill+decoding,P,dw,dr," + cols.map(\.rawValue).joined(separator: ",") + "\n"
        for r in runs {
            let fields = [r.key.label, r.key.prefillBudget.map(String.init) ?? "", r.key.decodingWindow.map(String.init) ?? "",
                          r.key.recentWindow.map(String.init) ?? ""]
            s += fields.map(csvField).joined(separator: ",") + ","
            s += cols.map { cell(r, $0, paperFormat: paperFormat, missing: "") }.joined(separator: ",") + "\n"
        }
        return s
    }

    /// A CSV field, quoted (with `"` doubled) when it holds a comma, quote or line break. Checked scalar by
    /// scalar: a `"` or `,` followed by a combining mark is a single Character that `contains` would miss.
    static func csvField(_ f: String) -> String {
        guard f.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return f }
        var out = String.UnicodeScalarView()
        out.append("\"")
        for scalar in f.unicodeScalars {
            out.append(scalar)
            if scalar == "\"" { out.append("\"") }
        }
        out.append("\"")
        return String(out)
    }

    static func runJSON(_ r: RunScores, columns ds: [LongGenBenchDataset]) -> [(String, PythonJSON.Value)] {
        var fields: [(String, PythonJSON.Value)] = [
            ("scores", .object(ds.map { ($0.rawValue, jsonNumber(r.scores[$0] ?? -1)) })),
            ("by_position", .object(ds.map { d in (d.rawValue, .array((r.byPosition[d] ?? []).map(jsonNumber))) })),
            ("examples", .object(ds.map { ($0.rawValue, .int(r.examples[$0] ?? 0)) })),
            ("label", .string(r.key.label)),
        ]
        if let dw = r.key.decodingWindow { fields.append(("decoding_window", .int(dw))) }
        if let dr = r.key.recentWindow { fields.append(("recent_window", .int(dr))) }
        if let p = r.key.prefillBudget { fields.append(("prefill_budget", .int(p))) }
        return fields
    }

    static func jsonNumber(_ x: Double) -> PythonJSON.Value {
        x == -1 ? .int(-1) : .double(x)
    }

    /// JSON: for a single run `{"scores":{…},"by_position":{…},…}`; for several `{"runs":[…]}`.
    public static func json(_ runs: [RunScores]) -> String {
        let cols = columns(runs, paperFormat: true)
        if runs.count == 1 { return PythonJSON.encode(.object(runJSON(runs[0], columns: cols))) }
        if runs.isEmpty {
            let ds = cols
            return PythonJSON.encode(.object([("scores", .object(ds.map { ($0.rawValue, .int(-1)) })),
                                              ("by_position", .object(ds.map { ($0.rawValue, .array([])) }))]))
        }
        return PythonJSON.encode(.object([("runs", .array(runs.map { .object(runJSON($0, columns: cols)) }))]))
    }
}
