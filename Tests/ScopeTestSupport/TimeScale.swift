import Foundation

/// How much slower than normal the code under test runs: `$SCOPE_TIME_SCALE` (scripts/sanitize sets it,
/// since instrumented steps take 10–50× longer), 1 otherwise. Tests that wait for something with a
/// deadline (a server's shutdown grace, a number of polls) multiply the deadline by it; what they
/// check stays the same.
public enum TimeScale {
    public static let factor: Int = {
        guard let text = ProcessInfo.processInfo.environment["SCOPE_TIME_SCALE"], let value = Int(text), value >= 1 else { return 1 }
        return value
    }()
}
