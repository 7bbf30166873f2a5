import GGUF
import Kernels
import SplitMix

/// Deterministic benchmark inputs (SplitMix64).
struct BenchmarkRandom {
    private var rng: SplitMix64
    init(state: UInt64) { rng = SplitMix64(seed: state) }
    mutating func next() -> UInt64 { rng.next() }
    /// Uniform in [-1, 1).
    mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
}

/// Byte offsets of the f16 scale fields inside one block of `type` (random bytes elsewhere are valid quants).
func halfScaleOffsets(_ type: GGMLType) -> [Int] {
    switch type {
    case .q4_0, .q5_0, .q8_0: return [0]
    case .q4_1, .q5_1, .q4_K, .q5_K: return [0, 2]
    case .q2_K: return [80, 82]
    case .q3_K: return [108]
    case .q6_K: return [208]
    default: return []
    }
}

/// A random `rows × cols` weight matrix of `type` with finite values (deterministic; never freed).
func randomMatrix(_ type: GGMLType, rows: Int, cols: Int, seed: UInt64) -> WeightMatrix {
    var rng = BenchmarkRandom(state: seed)
    let bytes = rowByteCount(type, elements: cols) * rows
    let p = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    for i in 0..<bytes { p.storeBytes(of: UInt8(truncatingIfNeeded: rng.next()), toByteOffset: i, as: UInt8.self) }
    switch type {
    case .f32:
        for i in 0..<(rows * cols) { p.storeBytes(of: rng.unit(), toByteOffset: 4 * i, as: Float.self) }
    case .f16:
        for i in 0..<(rows * cols) { p.storeBytes(of: Float16(rng.unit()).bitPattern, toByteOffset: 2 * i, as: UInt16.self) }
    case .bf16:
        for i in 0..<(rows * cols) {
            p.storeBytes(of: UInt16(rng.unit().bitPattern >> 16), toByteOffset: 2 * i, as: UInt16.self)
        }
    default:
        for b in 0..<(bytes / type.typeSize) {
            for h in halfScaleOffsets(type) {
                p.storeBytes(of: Float16(0.02 * rng.unit()).bitPattern, toByteOffset: b * type.typeSize + h, as: UInt16.self)
            }
        }
    }
    return WeightMatrix(name: type.name, type: type, rows: rows, cols: cols, base: UnsafeRawPointer(p))
}

/// `n` deterministic floats in [-0.5, 0.5) (never freed).
func floats(_ n: Int) -> UnsafeMutablePointer<Float> {
    let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
    for i in 0..<n { p[i] = Float((i * 7919) % 1000) / 1000 - 0.5 }
    return p
}
