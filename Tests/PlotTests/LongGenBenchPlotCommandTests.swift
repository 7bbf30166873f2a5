import Foundation
import Testing
import ScopeTestSupport
@testable import Plot

/// `scope longgenbench plot` on hand-written recall results (a full-cache run and one method at two
/// budgets, with KV-bytes traces): runs the built executable under .build.
@Suite(.needsScopeExecutable) struct LongGenBenchPlotCommandTests {
    /// Writes one results file of `n` recall examples whose predictions get the first `right` items right.
    func writeResults(_ path: String, label: String, right: Int, trace: [Int], n: Int = 2) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let colours = ["red", "blue", "green", "black"]
        var lines: [String] = []
        for i in 0..<n {
            let answers = colours
            let pred = answers.enumerated().map { j, c in "\(j == 0 ? "" : "Item_\(j + 1):") \(j < right ? c : "pink")" }
                .joined(separator: "\n")
            let record: [String: Any] = [
                "index": i, "dataset": "recall", "prompt": "Here is a list", "length": 14, "label": label,
                "questions": answers.indices.map { "Item_\($0 + 1):" }, "answers": answers, "pred": pred,
                "kv": ["kv_bytes_peak": Double(trace.max() ?? 0), "kv_bytes_trace": trace, "kv_bytes_trace_stride": 8],
            ]
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self))
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test("plot writes valid PNGs: budget lines with the full cache as a level, by-position per budget, KV bytes over the generation")
    func plotsRecallResults() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("scope-plot-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try writeResults("\(root)/full/recall/ALLKV+None.jsonl", label: "ALLKV+None", right: 4, trace: [1_048_576, 2_097_152, 3_145_728])
        for (dw, right) in [(64, 3), (32, 1)] {
            try writeResults("\(root)/P128/H2O+slide_decoding_window_\(dw)_recent_window_\(dw / 2)/smollm2_128/recall/H2O+slide.jsonl",
                             label: "H2O+slide", right: right, trace: [1_048_576, 1_572_864, 1_572_864])
        }
        let out = "\(root)/plots"
        let run = try #require(try ScopeExecutable.run(["longgenbench", "plot", "\(root)/full", "\(root)/P128", "--out", out]))
        #expect(run.status == 0, "\(run.stderr)")
        for name in ["accuracy_vs_budget_recall", "accuracy_by_position_recall_budget32", "accuracy_by_position_recall_budget64",
                     "kv_bytes"] {
            let png = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(out)/\(name).png")))
            let image = try PNGDecoder.decode(png)
            #expect(image.width == 800 && image.height == 500, "\(name)")
            #expect(FileManager.default.fileExists(atPath: "\(out)/\(name).svg"), "\(name).svg")
        }
        let budget = try String(contentsOfFile: "\(out)/accuracy_vs_budget_recall.svg", encoding: .utf8)
        #expect(budget.contains("ALLKV+None (full cache)") && budget.contains("H2O+slide"))
        let kv = try String(contentsOfFile: "\(out)/kv_bytes.svg", encoding: .utf8)
        #expect(kv.contains("KV-cache size over the generation") && kv.contains("Generated tokens"))
        let byPosition = try String(contentsOfFile: "\(out)/accuracy_by_position_recall_budget32.svg", encoding: .utf8)
        #expect(byPosition.contains("budget 32") && byPosition.contains("ALLKV+None (full cache)"))
    }
}
