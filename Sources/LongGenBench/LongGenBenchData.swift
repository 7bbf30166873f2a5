import Foundation

/// A LongGenBench data file loaded for a run.
public struct LongGenBenchData: Sendable {
    public var path: String
    public var dataset: LongGenBenchDataset
    public var records: [BenchmarkRecord]

    /// Questions per prompt (K), the same for every record (`load` checks it).
    public var k: Int { records.first?.questions.count ?? 0 }

    /// Loads `path`; the dataset is `dataset` if given, else taken from the file name (`gsm8k_30.jsonl`),
    /// its folder (`gsm8k/`), or the records (MMLU records have `task`; GSM8K answers contain `####`).
    public static func load(_ path: String, dataset: LongGenBenchDataset? = nil) throws -> LongGenBenchData {
        let lines = try JSONLines.readObjects(path)
        let records = try lines.map { try BenchmarkRecord.parse($0.object, file: path, line: $0.number) }
        guard !records.isEmpty else { throw LongGenBenchError("\(path): no records") }
        // One dataset per file: MMLU records carry 'task', the others do not (a mixed file would be
        // prompted and scored as the first record's dataset).
        if let j = records.indices.first(where: { (records[$0].task != nil) != (records[0].task != nil) }) {
            throw LongGenBenchError.at(path, line: lines[j].number, records[0].task != nil
                ? "no field 'task', but the file's first record is MMLU (has 'task'); one dataset per file"
                : "field 'task' (MMLU), but the file's first record has none; one dataset per file")
        }
        // One K per file: the default --max-new-tokens and the accuracy by position are the first record's K's.
        if let j = records.indices.first(where: { records[$0].questions.count != records[0].questions.count }) {
            throw LongGenBenchError.at(path, line: lines[j].number,
                "\(records[j].questions.count) questions, but the file's first record has \(records[0].questions.count); one K per file")
        }
        let name = (path as NSString).lastPathComponent
        let folder = ((path as NSString).deletingLastPathComponent as NSString).lastPathComponent
        let inferred = dataset
            ?? LongGenBenchDataset.allCases.first { name.hasPrefix($0.rawValue) }
            ?? LongGenBenchDataset(rawValue: folder)
            ?? (records[0].task != nil ? .mmlu : records[0].answers.allSatisfy { $0.contains("####") } ? .gsm8k : .csqa)
        return LongGenBenchData(path: path, dataset: inferred, records: records)
    }
}
