import Foundation

/// The built `scope` executable, for tests of the command-line tool (they declare `.needsScopeExecutable`:
/// a visible skip when it has not been built, a failure under .ci/run).
public enum ScopeExecutable {
    /// `$SCOPE_EXECUTABLE` when set (scripts/sanitize points it at the instrumented build; it must be an
    /// executable file, otherwise nil, so the tests skip or fail with the reason), else the executable
    /// under `<package root>/.build` (release preferred), or nil.
    public static let path: String? = {
        if let override = ProcessInfo.processInfo.environment["SCOPE_EXECUTABLE"], !override.isEmpty {
            return FileManager.default.isExecutableFile(atPath: override) ? override : nil
        }
        let root = SharedData.packageRoot
        for config in ["release", "debug"] {
            for dir in [".build/\(config)", ".build/x86_64-unknown-linux-gnu/\(config)", ".build/aarch64-unknown-linux-gnu/\(config)"] {
                let candidate = root.appendingPathComponent(dir).appendingPathComponent("scope").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }()

    /// Why `path` is nil, naming where it looked (read from the same environment, once, as `path`).
    public static let missingReason: String = {
        if let override = ProcessInfo.processInfo.environment["SCOPE_EXECUTABLE"], !override.isEmpty {
            return "SCOPE_EXECUTABLE=\(override) is not an executable file"
        }
        return "no built scope executable under \(SharedData.packageRoot.path)/.build (swift build -c release, or set SCOPE_EXECUTABLE)"
    }()

    /// The exit status and both output streams of one run.
    public struct Run: Sendable {
        public let status: Int32
        public let stdoutData: Data
        public let stderr: String
        public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    }

    /// Runs `scope arguments…` to completion. Throws `MissingExecutable` when the executable is absent
    /// (the result is never nil; it stays optional so that older `guard let … else { return }` call
    /// sites still compile, and they now fail instead of passing silently).
    public static func run(_ arguments: [String]) throws -> Run? {
        guard let path else { throw MissingExecutable() }
        let run = try ChildProcess.run(path, arguments)
        return Run(status: run.status, stdoutData: run.stdout, stderr: String(decoding: run.stderr, as: UTF8.self))
    }
}

/// The `scope` executable has not been built (tests that need it declare `.needsScopeExecutable`).
public struct MissingExecutable: Error, CustomStringConvertible {
    public var description: String { ScopeExecutable.missingReason }
}
