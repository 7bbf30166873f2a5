import Foundation
import Testing

/// Locates the read-only `../shared` folder (LongGenBench data, conformance references) and the
/// default model for tests. Tests that need them declare it with `.needsShared(…)` / `.needsDefaultModel`
/// (Prerequisites.swift): a visible skip with the reason when absent, a failure under .ci/run.
public enum SharedData {
    /// The package root (the folder holding Package.swift).
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url
            }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()

    /// `$SCOPE_SHARED`, else `<package root>/../shared`; nil when it does not exist.
    public static let root: URL? = {
        let candidate: URL
        if let env = ProcessInfo.processInfo.environment["SCOPE_SHARED"], !env.isEmpty {
            candidate = URL(fileURLWithPath: env)
        } else {
            candidate = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
        }
        return FileManager.default.fileExists(atPath: candidate.path) ? candidate : nil
    }()

    /// A file or folder under shared/, or nil when shared/ or the item is absent (then, under
    /// `SCOPE_REQUIRE_PREREQUISITES=1`, also a recorded issue, so no caller can pass by returning early).
    public static func path(_ relative: String) -> URL? {
        let url = root?.appendingPathComponent(relative)
        guard let url, FileManager.default.fileExists(atPath: url.path) else {
            if Prerequisites.required {
                Issue.record("../shared/\(relative) is missing (SCOPE_REQUIRE_PREREQUISITES=1: ../shared must be complete)")
            }
            return nil
        }
        return url
    }
}

/// The default model, fetched by scripts/fetch-model.sh into the cache folder when missing.
public enum DefaultModel {
    public static let fileName = "SmolLM2-135M-Instruct.Q4_1.gguf"

    public static var cachePath: String {
        let env = ProcessInfo.processInfo.environment
        let cache = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (env["HOME"] ?? NSHomeDirectory()) + "/.cache"
        return cache + "/scope/models/" + fileName
    }

    nonisolated(unsafe) private static var fetched: String??
    private static let lock = NSLock()

    /// Path of the default model, fetching it once per process if needed; nil on failure (then, under
    /// `SCOPE_REQUIRE_PREREQUISITES=1`, also a recorded issue).
    public static func path() -> String? {
        let result = locate()
        if result == nil, Prerequisites.required {
            Issue.record("the default model \(fileName) is missing and could not be fetched (SCOPE_REQUIRE_PREREQUISITES=1)")
        }
        return result
    }

    private static func locate() -> String? {
        lock.lock(); defer { lock.unlock() }
        if let fetched { return fetched }
        var result: String? = nil
        if let env = ProcessInfo.processInfo.environment["SCOPE_MODEL"], FileManager.default.fileExists(atPath: env) {
            result = env
        } else if FileManager.default.fileExists(atPath: cachePath) {
            result = cachePath
        } else {
            let script = SharedData.packageRoot.appendingPathComponent("scripts/fetch-model.sh").path
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = [script]
            do {
                try p.run(); p.waitUntilExit()
                if p.terminationStatus == 0, FileManager.default.fileExists(atPath: cachePath) { result = cachePath }
            } catch {}
        }
        fetched = .some(result)
        return result
    }
}
