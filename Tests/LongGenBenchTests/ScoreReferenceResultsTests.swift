import Foundation
import Testing
import ScopeTestSupport
@testable import LongGenBench

/// `score` on the paper's own predictions reproduces every results.csv and the by-index numbers of methods.md §5.5.
struct ScoreReferenceResultsTests {
    @Test("paper scorer reproduces every number of every results.csv to 4 decimals", .needsShared("data/reference_results"))
    func paperScorerReproducesResultsCSV() throws {
        let root = try #require(SharedData.path("data/reference_results"))
        let walker = try #require(FileManager.default.enumerator(atPath: root.path))
        var csvs: [String] = []
        while let rel = walker.nextObject() as? String {
            if rel.hasSuffix("results.csv") { csvs.append(rel) }
        }
        #expect(csvs.count >= 40)
        var checked = 0
        for rel in csvs.sorted() {
            let csv = root.appendingPathComponent(rel)
            let runDir = csv.deletingLastPathComponent().path
            let lines = try String(contentsOf: csv, encoding: .utf8).split(whereSeparator: \.isNewline).map { $0.split(separator: ",").map(String.init) }
            try #require(lines.count >= 2 && lines[0] == ["dataset", "gsm8k", "mmlu", "csqa"], "\(rel) header")
            let runs = try ScoreReport.score(paths: [runDir], scorer: .paper)
            try #require(runs.count == 1, "\(rel): expected one run, found \(runs.count)")
            #expect(runs[0].key.label == lines[1][0], "\(rel) label")
            for (i, ds) in [LongGenBenchDataset.gsm8k, .mmlu, .csqa].enumerated() {
                let want = try #require(Double(lines[1][i + 1]))
                #expect(runs[0].scores[ds] == want, "\(rel) \(ds): got \(runs[0].scores[ds] ?? .nan), want \(want)")
                checked += 1
            }
        }
        #expect(checked == csvs.count * 3)
    }

    @Test("by-index scorer gives the numbers of methods.md §5.5", .needsShared("data/reference_results"))
    func byIndexGivesMethodsNumbers() throws {
        let root = try #require(SharedData.path("data/reference_results"))
        let cases: [(String, LongGenBenchDataset, Double)] = [
            ("results_longgenbench_4K/ALLKV+None_decoding_window_512_recent_window_256", .gsm8k, 62.6357),
            ("results_longgenbench_4K/StreamingLLM+slm_decoding_window_512_recent_window_256", .gsm8k, 33.5659),
            ("results_longgenbench_4K/StreamingLLM+slm_decoding_window_512_recent_window_256", .csqa, 55.4167),
            ("results_longgenbench_8K/ALLKV+None_decoding_window_512_recent_window_256", .gsm8k, 53.7302),
        ]
        for (dir, ds, want) in cases {
            let runs = try ScoreReport.score(paths: [root.appendingPathComponent(dir).path], scorer: .byIndex)
            try #require(runs.count == 1)
            #expect(runs[0].scores[ds] == want, "\(dir) \(ds)")
            let k = dir.contains("8K") ? (ds == .csqa ? 80 : 60) : (ds == .csqa ? 40 : 30)
            #expect(runs[0].byPosition[ds]?.count == k)
        }
    }
}
