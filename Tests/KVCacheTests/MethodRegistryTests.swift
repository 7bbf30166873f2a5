import Foundation
import Testing
@testable import KVCache

@Suite("Method registry")
struct MethodRegistryTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The backticked names of the README line starting with `prefix`.
    static func readmeNames(_ prefix: String) throws -> [String] {
        let text = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }), "README.md has no line starting with \(prefix)")
        return line.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    @Test("the README's method lists are the registry's")
    func readmeMatchesRegistry() throws {
        #expect(try Self.readmeNames("- Prefill:") == MethodRegistry.prefillNames)
        #expect(try Self.readmeNames("- Decoding:") == MethodRegistry.decodingNames)
    }

    @Test("every method has a unique name in its stage, an arXiv id, a rule, and is documented in docs/methods.md")
    func descriptions() throws {
        let docs = try String(contentsOf: Self.root.appendingPathComponent("docs/methods.md"), encoding: .utf8)
        for stage in [MethodStage.prefill, .decoding] {
            let names = MethodRegistry.all.filter { $0.stage == stage }.map(\.name)
            #expect(Set(names).count == names.count, "duplicate \(stage) name in \(names)")
        }
        for m in MethodRegistry.all {
            #expect(m.paper.wholeMatch(of: /[0-9]{4}\.[0-9]{4,5}/) != nil, "\(m.name): paper '\(m.paper)' is not an arXiv id")
            #expect(!m.rule.isEmpty)
            #expect(docs.contains("`\(m.name)`") && docs.contains(m.paper), "docs/methods.md does not describe \(m.stage) \(m.name) (arXiv \(m.paper))")
            #expect(Set(m.parameters.map(\.name)).count == m.parameters.count, "\(m.name): a parameter is listed twice")
        }
    }

    @Test("names parse case-insensitively, aliases included, and unknown names do not")
    func kinds() {
        #expect(PrefillMethodKind(name: "ALLKV") == .fullKV)
        #expect(PrefillMethodKind(name: "SnapKV") == .snapKV)
        #expect(DecodingMethodKind(name: "None") == DecodingMethodKind.none)
        #expect(PrefillMethodKind(name: "nope") == nil && DecodingMethodKind(name: "nope") == nil)
        #expect(PrefillMethodKind.allCases.map(\.rawValue) == MethodRegistry.prefillNames)
    }

    @Test("method parameters without a field: declared ones are read, unknown or malformed ones are rejected")
    func parameters() throws {
        var config = CompressionConfig(prefill: .snapKV, prefillBudget: 64)
        config.parameters = ["nope": "1"]
        #expect(throws: KVCacheError.self) { try config.validate() }
        config.parameters = ["window": "4"]   // has a flag of its own
        #expect(throws: KVCacheError.self) { try config.validate() }
        let p = MethodParameter("interval", default: "16", "")
        config.parameters = ["interval": "x"]
        #expect(throws: KVCacheError.self) { _ = try config.intParameter(p) }
        config.parameters = [:]
        #expect(try config.intParameter(p) == 16)
    }

    @Test("integer fields and numeric parameters past CompressionConfig.maxInteger are refused, naming the flag")
    func integerLimit() throws {
        let limit = CompressionConfig.maxInteger
        func message(_ config: CompressionConfig) -> String? {
            do { try config.validate(); return nil } catch { return "\(error)" }
        }
        var slide = CompressionConfig(prefill: .snapKV, decoding: .slide, prefillBudget: 64, decodingWindow: limit, recent: 8)
        #expect(message(slide) == nil)
        slide.decodingWindow = limit + 1
        #expect(message(slide)?.contains("--decoding-window must be at most \(limit), got \(limit + 1)") == true)
        slide.decodingWindow = 512
        slide.prefillBudget = Int.max
        #expect(message(slide)?.contains("--prefill-budget must be at most \(limit)") == true)
        slide.prefillBudget = 64
        slide.delta = Int.min
        #expect(message(slide)?.contains("--delta must be at most \(limit)") == true)
        var rkv = CompressionConfig(decoding: try #require(DecodingMethodKind(name: "rkv")))
        for bad in ["\(limit + 1)", "\(Int.max)", "1e300", "nan", "-inf"] {
            rkv.parameters = ["query-window": bad]
            #expect(message(rkv)?.contains("--param query-window=\(bad): must be a finite number of magnitude at most \(limit)") == true, "\(bad)")
        }
        rkv.parameters = ["query-window": "\(limit)"]
        #expect(message(rkv) == nil)
    }

    @Test("the query ring holds the last min(n, capacity) queries in order, growing only with the queries it gets")
    func queryRing() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let capacity = Int.random(in: 0...9, using: &rng), width = Int.random(in: 1...5, using: &rng)
            var ring = QueryRing(capacity: capacity, width: width)
            for round in 0..<2 {
                let n = Int.random(in: 0...25, using: &rng)
                for i in 0..<n {
                    let q = (0..<width).map { Float(1000 * round + 10 * i + $0) }
                    q.withUnsafeBufferPointer { ring.append($0.baseAddress!, position: Int32(i)) }
                }
                let held = min(n, capacity)
                #expect(ring.held == held)
                for j in 0..<held {
                    let i = n - held + j   // the j-th held query is the (n − held + j)-th appended
                    ring.query(j) { q, position in
                        #expect(position == Int32(i))
                        #expect((0..<width).allSatisfy { q[$0] == Float(1000 * round + 10 * i + $0) })
                    }
                }
                ring.removeAll()
                #expect(ring.held == 0)
            }
        }
    }
}
