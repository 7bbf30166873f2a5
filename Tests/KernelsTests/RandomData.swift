import GGUF
import ScopeTestSupport

/// Random floats in [-1, 1).
func randomFloats(_ n: Int, _ rng: inout SeededRandom) -> [Float] {
    (0..<n).map { _ in Float.random(in: -1..<1, using: &rng) }
}

/// Random bytes of `rows` rows of `cols` elements of `type`, with every f16 scale field set to a
/// finite value (random bytes elsewhere, which every quant format accepts).
func randomRows(_ type: GGMLType, rows: Int, cols: Int, _ rng: inout SeededRandom) -> [UInt8] {
    let rowBytes = rowByteCount(type, elements: cols)
    var bytes = (0..<(rows * rowBytes)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    func putHalf(_ offset: Int, _ value: Float) {
        let bits = Float16(value).bitPattern
        bytes[offset] = UInt8(bits & 0xFF)
        bytes[offset + 1] = UInt8(bits >> 8)
    }
    switch type {
    case .f32:
        for i in 0..<(rows * cols) {
            let bits = Float.random(in: -1..<1, using: &rng).bitPattern
            for b in 0..<4 { bytes[4 * i + b] = UInt8((bits >> (8 * UInt32(b))) & 0xFF) }
        }
    case .f16:
        for i in 0..<(rows * cols) { putHalf(2 * i, Float.random(in: -1..<1, using: &rng)) }
    default:
        // Offsets of the f16 fields inside one block.
        let halves: [Int]
        switch type {
        case .q4_0, .q5_0, .q8_0: halves = [0]
        case .q4_1, .q5_1, .q4_K, .q5_K, .q2_K: halves = type == .q2_K ? [80, 82] : [0, 2]
        case .q6_K: halves = [208]
        case .q3_K: halves = [108]
        default: halves = []
        }
        let blocks = rows * cols / type.blockSize
        for b in 0..<blocks {
            for h in halves { putHalf(b * type.typeSize + h, Float.random(in: -0.05..<0.05, using: &rng)) }
        }
    }
    return bytes
}

/// The scalar reference: dequantize with `GGUF.Dequantize.row`, then a float64 dot product.
func referenceDot(_ type: GGMLType, _ row: UnsafeRawPointer, _ x: [Float]) throws -> (dot: Double, magnitude: Double) {
    var w = [Float](repeating: 0, count: x.count)
    try w.withUnsafeMutableBufferPointer { try Dequantize.row(type, from: row, into: $0.baseAddress!, count: x.count) }
    var s = 0.0, m = 0.0
    for i in 0..<x.count {
        s += Double(w[i]) * Double(x[i])
        m += abs(Double(w[i]) * Double(x[i]))
    }
    return (s, m)
}
