import SplitMix

/// The tests' generator: SplitMix64, so a failure reproduces from its seed.
public typealias SeededRandom = SplitMix64
