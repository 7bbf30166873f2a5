import Foundation
import Testing
@testable import LongGenBench

/// A generator whose answers carry a KV-bytes trace.
final class TracingGenerator: LongGenBenchGenerator, @unchecked Sendable {
    func generate(prompt: String, maxNewTokens: Int) throws -> GeneratedAnswer {
        GeneratedAnswer(text: "The answer is 1.", promptTokens: 10, generatedTokens: 9, prefillSeconds: 0.01, decodeSeconds: 0.02,
                        kvStats: ["kv_bytes_peak": 4096], kvBytesTrace: [1024, 2048, 4096], kvTraceStride: 4)
    }
}

struct KVTraceTests {
    @Test("a generator's KV-bytes trace is stored under kv as kv_bytes_trace with its stride")
    func traceIsStoredWithStride() throws {
        let t = TempFolder()
        let runner = LongGenBenchRunner(data: RunnerTests.data(2), options: .init(label: "H2O+slide", maxNewTokens: 12))
        let s = try runner.run(outDir: t.path, generator: TracingGenerator(), progress: RunnerTests.quiet)
        let lines = try JSONLines.readObjects(s.resultsPath)
        #expect(lines.count == 2)
        let kv = try #require(lines[0].object["kv"] as? [String: Any])
        #expect((kv["kv_bytes_trace"] as? [NSNumber])?.map(\.intValue) == [1024, 2048, 4096])
        #expect((kv["kv_bytes_trace_stride"] as? NSNumber)?.intValue == 4)
        #expect((kv["kv_bytes_peak"] as? NSNumber)?.doubleValue == 4096)
    }

    @Test("without a trace the kv object holds only the generator's statistics")
    func noTraceNoKeys() throws {
        let t = TempFolder()
        let runner = LongGenBenchRunner(data: RunnerTests.data(1), options: .init(label: "ALLKV+None", maxNewTokens: 8))
        let s = try runner.run(outDir: t.path, generator: FakeGenerator(), progress: RunnerTests.quiet)
        let kv = try #require(try JSONLines.readObjects(s.resultsPath)[0].object["kv"] as? [String: Any])
        #expect(kv["kv_bytes_trace"] == nil && kv["kv_bytes_trace_stride"] == nil)
    }
}
