#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CFuzzDriver

/// Helpers shared by the libFuzzer entry points in `Fuzz/`: a per-process scratch file on a RAM disk
/// (the readers under test take paths, like the real ones), and a failure that libFuzzer reports.
public enum FuzzInput {
    /// A scratch path unique to this process, under /dev/shm when it exists (else the temp folder).
    public static func scratchPath(_ suffix: String) -> String {
        let dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        return "\(dir)/scope-fuzz-\(getpid())-\(suffix)"
    }

    /// Writes `bytes` to `path` (replacing it). Traps on an I/O failure: that is a harness fault, not a finding.
    public static func store(_ bytes: UnsafeRawBufferPointer, to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { fatalError("fuzz harness: cannot create \(path)") }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            guard n > 0 else { fatalError("fuzz harness: cannot write \(path)") }
            done += n
        }
    }

    /// Reports a violated property: prints it and traps, so libFuzzer saves the input as a crash.
    public static func violated(_ property: String, _ detail: @autoclosure () -> String) -> Never {
        fatalError("fuzz property violated: \(property)\n\(detail())")
    }

    /// The GGUF file whose tokenizer a target uses: `$SCOPE_MODEL`, else the cached default model
    /// (SmolLM2-135M-Instruct Q4_1, byte-level BPE), else the committed fixture vocabulary
    /// `Tests/TokenizerTests/Fixtures/vocab/bpe-smollm.gguf` (same kind, 17 KB, no chat template).
    /// Traps when none is readable: that is a harness fault.
    public static func tokenizerGGUFPath() -> String {
        let env = getenv("SCOPE_MODEL").map { String(cString: $0) }
        let home = getenv("HOME").map { String(cString: $0) } ?? "/root"
        let cache = getenv("XDG_CACHE_HOME").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.cache"
        let fixture = String(#filePath.dropLast("Fuzz/FuzzSupport/FuzzInput.swift".count))
            + "Tests/TokenizerTests/Fixtures/vocab/bpe-smollm.gguf"
        let candidates = [env, cache + "/scope/models/SmolLM2-135M-Instruct.Q4_1.gguf", fixture]
        for case let path? in candidates where access(path, R_OK) == 0 { return path }
        fatalError("fuzz harness: neither the default model nor the fixture vocabulary \(fixture) is readable")
    }

    /// Splits the input at the first occurrence of `separator` (a byte): (before, after), or (all, nil).
    public static func split(_ bytes: UnsafeRawBufferPointer, at separator: UInt8) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer?) {
        guard let i = bytes.firstIndex(of: separator) else { return (bytes, nil) }
        return (UnsafeRawBufferPointer(rebasing: bytes[..<i]), UnsafeRawBufferPointer(rebasing: bytes[(i + 1)...]))
    }
}

/// Runs libFuzzer on `testOneInput` with this process's arguments and exits with libFuzzer's status.
/// Each fuzz target's `main.swift` calls it: SwiftPM links executables with their own entry point, so
/// libFuzzer's `main` is not used and its driver is called instead.
public enum FuzzDriver {
    public static func run(_ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Never {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        let status = LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
        exit(status)
    }
}
