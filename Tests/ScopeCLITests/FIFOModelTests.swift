import Foundation
import ScopeTestSupport
import Testing

/// Issue 11 item 5: `--model` naming a FIFO used to hang (the file was opened before the regular-file check).
@Suite(.needsScopeExecutable)
struct FIFOModelTests {
    @Test("--model naming a FIFO is refused at once instead of waiting for a writer")
    func fifoModel() throws {
        let t = TemporaryFolder()
        let fifo = t.path + "/model.gguf"
        let mk = Process()
        mk.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        mk.arguments = ["mkfifo", fifo]
        try mk.run(); mk.waitUntilExit()
        try #require(mk.terminationStatus == 0, "mkfifo failed")
        // Before the fix the process blocked in open(2) until a writer came. A watchdog opens the
        // FIFO for writing (non-blocking: it succeeds only while a reader is waiting) after 60 s,
        // which releases such a reader and records that it had to.
        let released = Released()
        let watchdog = Thread {
            Thread.sleep(forTimeInterval: 60)
            guard !released.finished else { return }
            let fd = open(fifo, O_WRONLY | O_NONBLOCK)
            if fd >= 0 { released.mark(); close(fd) }
        }
        watchdog.start()
        let message = try scopeStderr(["generate", "--model", fifo, "--prompt", "Hi"], status: 1)
        released.finish()
        #expect(!released.happened, "scope waited on the FIFO until the watchdog opened it")
        #expect(message.contains("not a regular file"))
    }
}

/// What the FIFO watchdog did (shared between the test and its thread).
final class Released: @unchecked Sendable {
    private let lock = NSLock()
    private var marked = false, done = false
    var happened: Bool { lock.withLock { marked } }
    var finished: Bool { lock.withLock { done } }
    func mark() { lock.withLock { marked = true } }
    func finish() { lock.withLock { done = true } }
}
