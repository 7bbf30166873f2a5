import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Progress with ETA: a redrawn bar when the output is a terminal, plain lines otherwise.
public final class ProgressReporter {
    public let total: Int
    public let label: String
    private let isTerminal: Bool
    private let write: (String) -> Void
    private let start = Date()
    private var done = 0
    private var timed = 0
    private var timedSeconds = 0.0

    /// - Parameters:
    ///   - total: examples to run in this process.
    ///   - isTerminal: draw a bar (default: whether stdout is a terminal).
    ///   - write: where text goes (default: stdout, flushed).
    public init(total: Int, label: String, isTerminal: Bool = isatty(STDOUT_FILENO) == 1,
                write: @escaping (String) -> Void = { s in FileHandle.standardOutput.write(Data(s.utf8)) }) {
        self.total = total
        self.label = label
        self.isTerminal = isTerminal
        self.write = write
    }

    /// Records one finished example that took `seconds`.
    public func step(seconds: Double, detail: String = "") {
        done += 1
        timed += 1
        timedSeconds += seconds
        let remaining = Double(total - done) * (timedSeconds / Double(max(timed, 1)))
        let elapsed = Date().timeIntervalSince(start)
        if isTerminal {
            let width = 30
            let filled = total == 0 ? width : width * done / total
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            write("\r\(label) [\(bar)] \(done)/\(total) elapsed \(Self.clock(elapsed)) ETA \(Self.clock(remaining)) \(detail)\u{1B}[K")
            if done == total { write("\n") }
        } else {
            write("\(label): \(done)/\(total) done, elapsed \(Self.clock(elapsed)), ETA \(Self.clock(remaining))\(detail.isEmpty ? "" : ", " + detail)\n")
        }
    }

    /// `1h02m03s`, `4m05s` or `6s`.
    public static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm%02ds", s / 3600, (s % 3600) / 60, s % 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }
}
