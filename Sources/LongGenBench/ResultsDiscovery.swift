import Foundation

/// Identifies one run (a prefill+decoding setting) among result files.
public struct RunKey: Hashable, Sendable, Comparable {
    /// `<Prefill>+<decoding>` (or the file/folder name when the files do not say).
    public var label: String
    /// Decoding window `dw` and recent window `dr`, from the reference layout's folder name.
    public var decodingWindow: Int?
    public var recentWindow: Int?
    /// Prefill budget P, from the reference layout's `<model>_<P>` folder.
    public var prefillBudget: Int?
    /// The folder holding the dataset folders (distinguishes equal labels from different sweeps).
    public var group: String

    static let paperOrder = ["ALLKV+None", "StreamingLLM+slm", "H2O+h2o", "PyramidInfer+pyramidinfer",
                             "H2O+slide", "H2O+adaptive", "H2O+discontinuous"]

    public static func < (a: RunKey, b: RunKey) -> Bool {
        func rank(_ k: RunKey) -> (Int, Int, Int, String, String) {
            (k.prefillBudget ?? 0, k.label.hasSuffix("+None") ? -Int.max : -(k.decodingWindow ?? Int.max),
             paperOrder.firstIndex(of: k.label) ?? paperOrder.count, k.label, k.group)
        }
        return rank(a) < rank(b)
    }
}

/// One results file: JSON lines with at least `pred` and `answers`.
public struct ResultFile: Sendable {
    public var path: String
    public var dataset: LongGenBenchDataset
    public var key: RunKey
}

/// Finds result files in the reference layout
/// (`<P>+<d>_decoding_window_<dw>_recent_window_<dr>/<model>_<P>/<dataset>/<Prefill>.json[l]`) and in ours
/// (`DIR/<dataset>/<Prefill>+<decoding>[.shard-I-of-N].jsonl`).
public enum ResultsDiscovery {
    static let referenceFolder = try! NSRegularExpression(pattern: "^(.+\\+.+)_decoding_window_(\\d+)_recent_window_(\\d+)$")
    static let budgetFolder = try! NSRegularExpression(pattern: "_(\\d+)$")

    /// The shard suffix our runner adds, `<label>.shard-I-of-N`: the label, I and N (nil without one).
    static func shard(of stem: String) -> (label: String, index: Int, count: Int)? {
        guard let r = stem.range(of: #"\.shard-\d+-of-\d+$"#, options: .regularExpression) else { return nil }
        let numbers = stem[r].split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        guard numbers.count == 2 else { return nil }
        return (String(stem[..<r.lowerBound]), numbers[0], numbers[1])
    }

    /// `stem` without our runner's shard suffix.
    public static func stripShardSuffix(_ stem: String) -> String { shard(of: stem)?.label ?? stem }

    /// One warning per run and dataset whose files are shards of our runner (`.shard-I-of-N`) with some
    /// of the N missing, or of different N: its score covers only the shards present.
    public static func incompleteShards(_ files: [ResultFile]) -> [String] {
        struct Run: Hashable { var dataset: LongGenBenchDataset; var key: RunKey }
        var shards: [Run: [(index: Int, count: Int)]] = [:]
        for f in files {
            let stem = ((f.path as NSString).lastPathComponent as NSString).deletingPathExtension
            guard let s = shard(of: stem) else { continue }
            shards[Run(dataset: f.dataset, key: f.key), default: []].append((s.index, s.count))
        }
        var warnings: [String] = []
        for (run, present) in shards.sorted(by: { ($0.key.dataset.rawValue, $0.key.key) < ($1.key.dataset.rawValue, $1.key.key) }) {
            let counts = Set(present.map(\.count))
            let where_ = "\(run.dataset.rawValue) \(run.key.label) (\(run.key.group))"
            guard counts.count == 1, let n = counts.first else {
                warnings.append("\(where_): shard files of different splits (of \(counts.sorted().map(String.init).joined(separator: ", "))) are merged")
                continue
            }
            let missing = Set(0..<n).subtracting(present.map(\.index)).sorted()
            if !missing.isEmpty {
                warnings.append("\(where_): \(n - missing.count) of \(n) shard files; missing \(missing.map { "shard-\($0)-of-\(n)" }.joined(separator: ", ")): the score covers only the shards present")
            }
        }
        return warnings
    }

    /// All result files under the given paths (files or folders), grouped into runs.
    public static func discover(_ paths: [String]) throws -> [ResultFile] {
        var files: [ResultFile] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw LongGenBenchError("\(path): no such file or folder")
            }
            if isDir.boolValue {
                guard let walker = FileManager.default.enumerator(atPath: path) else {
                    throw LongGenBenchError("\(path): cannot list the folder")
                }
                var found: [String] = []
                while let rel = walker.nextObject() as? String {
                    let full = (path as NSString).appendingPathComponent(rel)
                    let ext = (rel as NSString).pathExtension
                    guard ext == "jsonl" || ext == "json", (rel as NSString).lastPathComponent != "metrics.json" else { continue }
                    let parent = ((full as NSString).deletingLastPathComponent as NSString).lastPathComponent
                    guard LongGenBenchDataset(rawValue: parent) != nil else { continue }
                    found.append(full)
                }
                files += found.sorted().map { classify($0, dataset: nil) }
            } else {
                let parent = ((path as NSString).deletingLastPathComponent as NSString).lastPathComponent
                let name = (path as NSString).lastPathComponent
                guard let ds = LongGenBenchDataset(rawValue: parent)
                        ?? LongGenBenchDataset.allCases.first(where: { name.hasPrefix($0.rawValue) }) else {
                    throw LongGenBenchError("\(path): cannot tell the dataset (put the file in a gsm8k/, mmlu/, csqa/, recall/ or repeats/ folder)")
                }
                files.append(classify(path, dataset: ds))
            }
        }
        return mergeSingleLabelFolders(files)
    }

    static func classify(_ path: String, dataset: LongGenBenchDataset?) -> ResultFile {
        let datasetDir = (path as NSString).deletingLastPathComponent
        let ds = dataset ?? LongGenBenchDataset(rawValue: (datasetDir as NSString).lastPathComponent)!
        let group = (datasetDir as NSString).deletingLastPathComponent
        let components = (group as NSString).pathComponents
        // The nearest ancestor named like the reference layout gives label, dw and dr.
        for (i, c) in components.enumerated().reversed() {
            let ns = c as NSString
            if let m = referenceFolder.firstMatch(in: c, range: NSRange(location: 0, length: ns.length)) {
                var budget: Int? = nil
                if i + 1 < components.count {
                    let next = components[i + 1] as NSString
                    if let b = budgetFolder.firstMatch(in: next as String, range: NSRange(location: 0, length: next.length)) {
                        budget = Int(next.substring(with: b.range(at: 1)))
                    }
                }
                let key = RunKey(label: ns.substring(with: m.range(at: 1)), decodingWindow: Int(ns.substring(with: m.range(at: 2))),
                                 recentWindow: Int(ns.substring(with: m.range(at: 3))), prefillBudget: budget, group: group)
                return ResultFile(path: path, dataset: ds, key: key)
            }
        }
        let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return ResultFile(path: path, dataset: ds, key: RunKey(label: stripShardSuffix(stem), group: group))
    }

    /// In our layout, a folder whose dataset folders each hold files of a single (but differently named) run
    /// is one run, named after the folder.
    static func mergeSingleLabelFolders(_ files: [ResultFile]) -> [ResultFile] {
        var out = files
        let byGroup = Dictionary(grouping: files.indices.filter { files[$0].key.decodingWindow == nil }) { files[$0].key.group }
        for (group, idx) in byGroup {
            let labels = Set(idx.map { files[$0].key.label })
            guard labels.count > 1 else { continue }
            let perDataset = Dictionary(grouping: idx) { files[$0].dataset }
            guard perDataset.values.allSatisfy({ Set($0.map { files[$0].key.label }).count == 1 }) else { continue }
            let name = (group as NSString).lastPathComponent
            for i in idx { out[i].key.label = name.isEmpty ? group : name }
        }
        return out
    }
}
