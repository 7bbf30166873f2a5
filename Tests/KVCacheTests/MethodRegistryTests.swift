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
}
