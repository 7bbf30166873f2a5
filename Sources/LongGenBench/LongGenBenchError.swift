/// An error from building, running or scoring LongGenBench; the message names the file, line or field.
public struct LongGenBenchError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    /// An error located at `file:line`.
    public static func at(_ file: String, line: Int, _ message: String) -> LongGenBenchError {
        LongGenBenchError("\(file):\(line): \(message)")
    }
}
