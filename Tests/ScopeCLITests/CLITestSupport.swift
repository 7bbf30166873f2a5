import Foundation
import ScopeTestSupport
import Testing

/// The built `scope` and the default model are both present (CLI tests that run the model need them);
/// always true under SCOPE_REQUIRE_PREREQUISITES=1 (CI), where a missing one fails the test instead.
let scopeAndModel = Prerequisites.required || (ScopeExecutable.path != nil && DefaultModel.path() != nil)
let scopeAndModelReason: Comment = "needs the built scope executable (swift build -c release) and the default model (scripts/fetch-model.sh)"

/// Runs `scope arguments`, expects exit status `status`, and returns what it wrote to standard error.
func scopeStderr(_ arguments: [String], status: Int32, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let run = try #require(try ScopeExecutable.run(arguments), sourceLocation: sourceLocation)
    #expect(run.status == status, "\(arguments.joined(separator: " ")): exit \(run.status): \(run.stderr)", sourceLocation: sourceLocation)
    return run.stderr
}

/// A fresh temporary folder, removed when the value goes away.
final class TemporaryFolder {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("scope-cli-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `relative` (folders created) and returns the full path.
    @discardableResult
    func write(_ relative: String, _ text: String) -> String {
        let full = (path as NSString).appendingPathComponent(relative)
        try? FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: full, contents: Data(text.utf8))
        return full
    }

    /// Every file below the folder (relative paths, sorted).
    var files: [String] {
        let walker = FileManager.default.enumerator(atPath: path)
        var out: [String] = []
        while let rel = walker?.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent(rel), isDirectory: &isDir), !isDir.boolValue {
                out.append(rel)
            }
        }
        return out.sorted()
    }
}

/// One LongGenBench data line with `k` GSM8K-style questions.
func gsm8kRecord(prompt: String, k: Int) -> String {
    let questions = (0..<k).map { "\"Question \($0)?\"" }.joined(separator: ", ")
    let answers = (0..<k).map { "\"#### \($0)\"" }.joined(separator: ", ")
    return "{\"prompt\": \"\(prompt)\", \"questions\": [\(questions)], \"answers\": [\(answers)]}\n"
}
