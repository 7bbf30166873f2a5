import Foundation

/// Runs a program to completion for a test. Both output streams go to temporary files, so that
/// neither can fill a pipe and block the child.
public enum ChildProcess {
    /// Exit status and both outputs of `executable arguments…`; `environment` is merged over this
    /// process's environment (the child inherits it unchanged when empty).
    public static func run(_ executable: String, _ arguments: [String],
                           environment: [String: String] = [:]) throws -> (status: Int32, stdout: Data, stderr: Data) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scope-child-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let outURL = dir.appendingPathComponent("stdout"), errURL = dir.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        p.standardOutput = out
        p.standardError = err
        try p.run()
        p.waitUntilExit()
        return (p.terminationStatus, try readAll(outURL), try readAll(errURL))
    }

    /// The whole file. Not `Data(contentsOf:)`: in this Foundation it leaks a 4,096-byte buffer for every
    /// empty file it reads (a child's empty stdout; LeakSanitizer reports each one).
    private static func readAll(_ url: URL) throws -> Data {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        return try handle.readToEnd() ?? Data()
    }
}
