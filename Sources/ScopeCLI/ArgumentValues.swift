import ArgumentParser
import Kernels
import KVCache

// Values of the shared option groups, parsed by ArgumentParser from their names (invalid values
// are rejected with the list of valid ones, exit code 64 like every other validation error).

extension PrefillMethodKind: ExpressibleByArgument {
    /// Case-insensitive; `allkv` is an alias of `fullkv`.
    public init?(argument: String) { self.init(name: argument) }
}

extension DecodingMethodKind: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
}

extension Pooling: ExpressibleByArgument {
    /// `max`/`maxpool`, `avg`/`avgpool`/`mean`.
    public init?(argument: String) { self.init(name: argument) }
}

extension Semantics: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

extension GroupReduce: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

extension KVElementType: ExpressibleByArgument {}

extension ActivationPrecision: ExpressibleByArgument {}
