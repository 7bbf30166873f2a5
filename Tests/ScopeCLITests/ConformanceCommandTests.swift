import Foundation
import ScopeTestSupport
import Testing

/// Issue 11 item 6: `scope conformance kv` on vectors without cases used to print "1 passed (0 checks)" and exit 0.
@Suite(.needsScopeExecutable)
struct ConformanceCommandTests {
    @Test("conformance kv on a folder with \"cases\": [] fails and says there are no cases")
    func conformanceWithoutCases() throws {
        let t = TemporaryFolder()
        t.write("prefill_cases.json", "{\"inputs\": {}, \"cases\": []}")
        let run = try #require(try ScopeExecutable.run(["conformance", "kv", t.path]))
        #expect(run.status != 0)
        #expect(run.stdout.contains("FAIL prefill_cases.json: no cases (0 checks)"))
    }
}
