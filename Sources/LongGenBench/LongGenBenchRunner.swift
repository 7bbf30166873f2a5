import Foundation

/// Runs a generator over a LongGenBench data file, one results line per example, resumable and shardable.
public struct LongGenBenchRunner {
    /// What to run.
    public struct Options: Sendable {
        /// `<Prefill>+<decoding>` naming the results file (e.g. `ALLKV+None`, `H2O+slide`).
        public var label: String
        public var maxNewTokens: Int
        public var template: LongGenBenchTemplate
        /// Run only the first N selected examples (before sharding, so shards of a limited run cover it).
        public var limit: Int?
        public var shard: ShardSpec
        /// Keep the four MMLU tasks the paper drops "to avoid OOM" (methods.md §5.4).
        public var keepAllMMLUTasks: Bool
        /// The settings recorded under `config` in every results line (nil: none recorded).
        public var configuration: RunConfiguration?

        public init(label: String, maxNewTokens: Int, template: LongGenBenchTemplate = .paper, limit: Int? = nil,
                    shard: ShardSpec = .whole, keepAllMMLUTasks: Bool = false, configuration: RunConfiguration? = nil) {
            self.label = label
            self.maxNewTokens = maxNewTokens
            self.template = template
            self.limit = limit
            self.shard = shard
            self.keepAllMMLUTasks = keepAllMMLUTasks
            self.configuration = configuration
        }
    }

    /// What a run did.
    public struct Summary: Sendable, Equatable {
        public var resultsPath: String
        /// Examples this shard owns, already finished before this run, and run now.
        public var assigned: Int
        public var skipped: Int
        public var ran: Int
        public var droppedTornBytes: Int
    }

    public let data: LongGenBenchData
    public let options: Options

    public init(data: LongGenBenchData, options: Options) {
        self.data = data
        self.options = options
    }

    /// The results file: `<outDir>/<dataset>/<label>[.shard-I-of-N].jsonl`.
    public func resultsPath(outDir: String) -> String {
        ((outDir as NSString).appendingPathComponent(data.dataset.rawValue) as NSString)
            .appendingPathComponent(options.label + options.shard.fileSuffix + ".jsonl")
    }

    /// Indices (in the data file) of the examples the whole run covers, in order: MMLU's four OOM tasks dropped
    /// unless kept, then the first `limit`.
    public var selection: [Int] {
        var idx = Array(data.records.indices)
        if data.dataset == .mmlu && !options.keepAllMMLUTasks {
            idx = idx.filter { !LongGenBenchDataset.paperDroppedMMLUTasks.contains(data.records[$0].task ?? "") }
        }
        if let limit = options.limit { idx = Array(idx.prefix(max(0, limit))) }
        return idx
    }

    /// The indices this shard runs.
    public var assigned: [Int] { options.shard.slice(selection) }

    /// An example `generator.check` refused (nothing was generated or written).
    public struct CheckFailed: Error, CustomStringConvertible {
        public var path: String
        public var index: Int
        public var underlying: any Error
        public var description: String { "\(path): example \(index): \(underlying)" }
    }

    /// Runs every assigned example not yet in the results file, appending one fsynced line per example.
    /// Every example to run is checked (`generator.check`) before the first is generated, and the
    /// results file is created only with its first line.
    public func run(outDir: String, generator: any LongGenBenchGenerator,
                    progress: ((Int) -> ProgressReporter)? = nil) throws -> Summary {
        let (store, mine, todo) = try prepare(outDir: outDir, check: generator.check)
        let reporter = progress?(todo.count)
            ?? ProgressReporter(total: todo.count, label: "\(data.dataset.rawValue) \(options.label)\(options.shard.fileSuffix)")
        for index in todo {
            let record = data.records[index]
            let prompt = options.template.prompt(dataset: data.dataset, record: record)
            let t0 = Date()
            let answer = try generator.generate(prompt: prompt, maxNewTokens: options.maxNewTokens)
            let seconds = Date().timeIntervalSince(t0)
            try store.append(index: index, jsonLine: resultLine(index: index, record: record, prompt: prompt, answer: answer, seconds: seconds))
            reporter.step(seconds: seconds, detail: "example \(index): \(answer.generatedTokens) tokens")
        }
        return Summary(resultsPath: store.path, assigned: mine.count, skipped: mine.count - todo.count, ran: todo.count,
                       droppedTornBytes: store.droppedTornBytes)
    }

    /// The results store, the examples this shard owns, and those still to run, each checked by
    /// `check(prompt, maxNewTokens)` before anything is generated.
    func prepare(outDir: String, check: (String, Int) throws -> Void) throws -> (store: ResultsStore, mine: [Int], todo: [Int]) {
        guard options.label.range(of: #"^[^/\\]+$"#, options: .regularExpression) != nil,
              !options.label.hasPrefix(".") else {
            throw LongGenBenchError("label '\(options.label)' cannot name a results file")
        }
        let store = try ResultsStore(path: resultsPath(outDir: outDir), configuration: options.configuration)
        if let stray = store.finished.filter({ !data.records.indices.contains($0) }).min() {
            throw LongGenBenchError("\(store.path): has a result for example \(stray), but \(data.path) has \(data.records.count) examples (results of another data file?); use another --out")
        }
        let mine = assigned
        let todo = mine.filter { !store.finished.contains($0) }
        for index in todo {
            let prompt = options.template.prompt(dataset: data.dataset, record: data.records[index])
            do {
                try check(prompt, options.maxNewTokens)
            } catch {
                throw CheckFailed(path: data.path, index: index, underlying: error)
            }
        }
        return (store, mine, todo)
    }

    /// One results line: the paper's fields (`prompt`, `questions`, `answers`, `length`, `pred`) plus our own.
    func resultLine(index: Int, record: BenchmarkRecord, prompt: String, answer: GeneratedAnswer, seconds: Double) -> String {
        var fields: [(String, PythonJSON.Value)] = [("index", .int(index)), ("dataset", .string(data.dataset.rawValue))]
        if let task = record.task { fields.append(("task", .string(task))) }
        fields += [
            ("prompt", .string(prompt)),
            ("questions", .array(record.questions.map { .string($0) })),
            ("answers", .array(record.answers.map { .string($0) })),
            ("length", .int(prompt.unicodeScalars.count)),
            ("pred", .string(answer.text)),
            ("label", .string(options.label)),
            ("template", .string(options.template.name)),
            ("max_new_tokens", .int(options.maxNewTokens)),
            ("prompt_tokens", .int(answer.promptTokens)),
            ("generated_tokens", .int(answer.generatedTokens)),
            ("prefill_seconds", .double(answer.prefillSeconds)),
            ("decode_seconds", .double(answer.decodeSeconds)),
            ("wall_seconds", .double(seconds)),
            ("kv", .object(kvFields(answer))),
        ]
        if let configuration = options.configuration { fields.append(("config", configuration.json)) }
        return PythonJSON.encode(.object(fields))
    }

    /// The `kv` object: the generator's statistics, plus the KV-bytes trace when it recorded one.
    func kvFields(_ answer: GeneratedAnswer) -> [(String, PythonJSON.Value)] {
        var kv: [(String, PythonJSON.Value)] = answer.kvStats.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value)) }
        if !answer.kvBytesTrace.isEmpty {
            kv.append(("kv_bytes_trace", .array(answer.kvBytesTrace.map { .int(Int($0)) })))
            kv.append(("kv_bytes_trace_stride", .int(answer.kvTraceStride)))
        }
        return kv
    }
}
