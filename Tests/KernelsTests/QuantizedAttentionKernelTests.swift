import Foundation
import GGUF
import Testing
@testable import Kernels
import ScopeTestSupport

/// The attention kernels reading q8_0 / q4_0 rows in place against two-pass float64 attention over
/// the same rows dequantized by the scalar reference (`GGUF.Dequantize.row`).
@Suite("Attention over q8_0/q4_0 rows equals attention over the dequantized float rows")
struct QuantizedAttentionKernelTests {
    /// `n` random rows of `d` values of `type`, laid out `stride` bytes apart (padding zeroed), and
    /// their reference dequantization (`[n][d]`).
    static func rows(_ type: GGMLType, n: Int, d: Int, stride: Int, _ rng: inout SeededRandom) throws -> (bytes: [UInt8], floats: [Float]) {
        let packed = randomRows(type, rows: n, cols: d, &rng)
        let rowBytes = rowByteCount(type, elements: d)
        var bytes = [UInt8](repeating: 0, count: n * stride)
        var floats = [Float](repeating: 0, count: n * d)
        for j in 0..<n {
            for b in 0..<rowBytes { bytes[j * stride + b] = packed[j * rowBytes + b] }
            try packed.withUnsafeBytes { p in
                try floats.withUnsafeMutableBufferPointer {
                    try Dequantize.row(type, from: p.baseAddress! + j * rowBytes, into: $0.baseAddress! + j * d, count: d)
                }
            }
        }
        return (bytes, floats)
    }

    static func layout(_ type: GGMLType, stride: Int) -> KVRowLayout { type == .q8_0 ? .q8_0(rowStride: stride) : .q4_0(rowStride: stride) }

    static let cases: [(GGMLType, Int, Int, Int)] = [
        (.q8_0, 64, 200, 68), (.q4_0, 64, 200, 36), (.q8_0, 128, 70, 136), (.q4_0, 128, 9, 72),
        (.q8_0, 96, 33, 104), (.q4_0, 32, 65, 20),   // odd block counts: rows padded to 4-byte slots
    ]

    @Test("scores and the two-pass value sum", arguments: cases)
    func twoPass(type: GGMLType, d: Int, n: Int, stride: Int) throws {
        var rng = SeededRandom(seed: UInt64(d * 31 + n + (type == .q8_0 ? 0 : 5)))
        let (kb, k) = try Self.rows(type, n: n, d: d, stride: stride, &rng)
        let (vb, v) = try Self.rows(type, n: n, d: d, stride: stride, &rng)
        let q = randomFloats(d, &rng).map { $0 * 40 }      // scales are ≤ 0.05: make the scores matter
        let pos = (0..<n).map { Int32($0 * 2) }
        let qpos = Int32(n)
        let scale = 1 / Float(d).squareRoot()
        let expected = referenceAttention(q, qpos, k, v, pos, d: d, scale: scale)
        let layout = Self.layout(type, stride: stride)
        var p = [Float](repeating: 0, count: n)
        let m = kb.withUnsafeBytes { AttentionKernel.maskedScores(query: q, position: qpos, keys: $0.baseAddress!, layout: layout,
                                                                  positions: pos, count: n, headDim: d, scale: scale, into: &p) }
        let sum = VectorMath.expShifted(&p, n: n, shift: m)
        for j in 0..<n { p[j] /= sum }
        for j in 0..<n { #expect(abs(Double(p[j]) - expected.p[j]) <= 1e-5, "\(type) d=\(d) probability \(j)") }
        var o = [Float](repeating: 0, count: d)
        vb.withUnsafeBytes { AttentionKernel.accumulateValues(p, values: $0.baseAddress!, layout: layout, count: n, headDim: d, into: &o) }
        let magnitude = v.map { Double(abs($0)) }.max()!
        for c in 0..<d { #expect(abs(Double(o[c]) - expected.o[c]) <= 1e-5 * max(1, magnitude), "\(type) d=\(d) dim \(c)") }
    }

    @Test("streaming over key blocks equals two-pass attention", arguments: cases)
    func streaming(type: GGMLType, d: Int, n: Int, stride: Int) throws {
        var rng = SeededRandom(seed: UInt64(d * 17 + n + (type == .q8_0 ? 1 : 9)))
        let (kb, k) = try Self.rows(type, n: n, d: d, stride: stride, &rng)
        let (vb, v) = try Self.rows(type, n: n, d: d, stride: stride, &rng)
        let q = randomFloats(d, &rng).map { $0 * 40 }
        let pos = (0..<n).map { Int32($0 * 2) }
        let qpos = Int32(n)
        let scale = 1 / Float(d).squareRoot()
        let expected = referenceAttention(q, qpos, k, v, pos, d: d, scale: scale)
        let layout = Self.layout(type, stride: stride)
        var m = -Float.infinity, l: Float = 0
        var o = [Float](repeating: 0, count: d)
        var scratch = [Float](repeating: 0, count: AttentionKernel.blockSize)
        kb.withUnsafeBytes { kr in
            vb.withUnsafeBytes { vr in
                var start = 0
                while start < n {
                    let c = min(AttentionKernel.blockSize, n - start)
                    AttentionKernel.accumulate(query: q, position: qpos, keys: kr.baseAddress! + start * stride,
                                               values: vr.baseAddress! + start * stride, layout: layout, positions: Array(pos[start...]),
                                               count: c, headDim: d, scale: scale, maximum: &m, sum: &l, out: &o, scratch: &scratch)
                    start += c
                }
            }
        }
        var out = [Float](repeating: .nan, count: d)
        AttentionKernel.merge(maxima: [m], sums: [l], outs: o, parts: 1, headDim: d, into: &out)
        let magnitude = v.map { Double(abs($0)) }.max()!
        for c in 0..<d { #expect(abs(Double(out[c]) - expected.o[c]) <= 1e-5 * max(1, magnitude), "\(type) d=\(d) dim \(c)") }
    }
}
