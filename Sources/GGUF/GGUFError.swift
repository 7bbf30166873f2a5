/// An error reading or interpreting a GGUF file. The message names what is wrong and where
/// (file path, byte offset, metadata key or tensor name).
public struct GGUFError: Error, CustomStringConvertible, Sendable {
    /// Human-readable explanation, including the location of the problem.
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
