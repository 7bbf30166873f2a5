import Foundation

/// One scored-to-be example read from a results file.
public struct ResultExample: Sendable {
    /// Position in the data file when recorded (our runner writes `index`); nil in the reference files.
    public var index: Int?
    public var pred: String
    public var answers: [String]
    /// The recorded `config` (canonical values), nil when the line has none (reference files).
    public var config: [String: String]? = nil
    /// `file:line`, for messages.
    public var location: String = ""
}

/// Reads results files (`pred`, `answers` per line), merging shards and dropping duplicates.
public enum ResultsReader {
    /// The examples of `path`. A torn last line (no final newline, not valid JSON: a run killed mid-write)
    /// is skipped; any other malformed line is an error naming the file and line.
    public static func read(_ path: String) throws -> [ResultExample] {
        let data = try JSONLines.readData(path)
        let lines = JSONLines.rawLines(data)
        let endsWithNewline = data.last == 0x0A
        var out: [ResultExample] = []
        for (i, (number, bytes)) in lines.enumerated() {
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            let object: [String: Any]
            do {
                object = try JSONLines.parseObject(bytes, file: path, line: number)
            } catch {
                if i == lines.count - 1 && !endsWithNewline { break }
                throw error
            }
            guard let pred = object["pred"] as? String else {
                throw LongGenBenchError.at(path, line: number, "field 'pred' is missing or not a string")
            }
            guard let answers = object["answers"] as? [Any] else {
                throw LongGenBenchError.at(path, line: number, "field 'answers' is missing or not a list")
            }
            let strings = answers.map { ($0 as? String) ?? String(describing: $0) }
            guard !strings.isEmpty else { throw LongGenBenchError.at(path, line: number, "field 'answers' is empty (nothing to score)") }
            if let questions = object["questions"] as? [Any], questions.count != strings.count {
                throw LongGenBenchError.at(path, line: number, "\(questions.count) questions but \(strings.count) answers (they must pair up)")
            }
            out.append(ResultExample(index: (object["index"] as? NSNumber)?.intValue, pred: pred, answers: strings,
                                     config: (object["config"] as? [String: Any]).map(RunConfiguration.canonical),
                                     location: "\(path):\(number)"))
        }
        return out
    }

    /// The examples of several files of one run (e.g. shards): concatenated, duplicates of an `index` dropped
    /// (first kept), and sorted by `index` when every example has one. Every line must carry the same
    /// recorded configuration (or none at all, as the reference files): scores never mix settings.
    public static func merge(_ paths: [String]) throws -> [ResultExample] {
        var all: [ResultExample] = []
        for p in paths { all += try read(p) }
        if let first = all.first {
            for example in all.dropFirst() where example.config != first.config {
                let differences = RunConfiguration.differences(first.config ?? [:], example.config ?? [:])
                let detail = first.config == nil || example.config == nil ? "one records its configuration, the other does not"
                    : differences.joined(separator: "; ")
                throw LongGenBenchError("\(first.location) and \(example.location) were produced with different configurations ("
                                        + detail + "); score them separately")
            }
        }
        guard all.allSatisfy({ $0.index != nil }) else { return all }
        var seen = Set<Int>()
        return all.filter { seen.insert($0.index!).inserted }.sorted { $0.index! < $1.index! }
    }
}
