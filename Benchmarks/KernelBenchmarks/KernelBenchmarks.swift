// Kernel micro-benchmarks: quantized matrix-vector products per weight type, the prefill GEMM, and
// streaming attention over f32 and f16 keys. Shapes are SmolLM2-135M's (dim 576, ffn 1536,
// vocab 49152, head dim 64). Run: SCOPE_BENCHMARKS=1 swift package benchmark --target KernelBenchmarks
import Benchmark
import GGUF
import Kernels

/// Random weights of `type` with finite f16 scales (deterministic).
func randomMatrix(_ type: GGMLType, rows: Int, cols: Int, seed: UInt64) -> WeightMatrix {
    var state = seed
    func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    let bytes = rowByteCount(type, elements: cols) * rows
    let p = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    for i in 0..<bytes { p.storeBytes(of: UInt8(truncatingIfNeeded: next()), toByteOffset: i, as: UInt8.self) }
    let halves: [Int]
    switch type {
    case .q4_0, .q8_0: halves = [0]
    case .q4_1: halves = [0, 2]
    case .f16: halves = Array(stride(from: 0, to: type.typeSize, by: 2))
    default: halves = []
    }
    for b in 0..<(bytes / type.typeSize) {
        for h in halves { p.storeBytes(of: Float16(0.01).bitPattern, toByteOffset: b * type.typeSize + h, as: UInt16.self) }
    }
    if type == .f32 { for i in 0..<(bytes / 4) { p.storeBytes(of: Float(i % 7) * 0.01, toByteOffset: 4 * i, as: Float.self) } }
    return WeightMatrix(name: "\(type.name)", type: type, rows: rows, cols: cols, base: UnsafeRawPointer(p))
}

func floats(_ n: Int) -> UnsafeMutablePointer<Float> {
    let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
    for i in 0..<n { p[i] = Float((i * 7919) % 1000) / 1000 - 0.5 }
    return p
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal, .throughput, .mallocCountTotal],
                                           maxDuration: .seconds(2), maxIterations: 200)
    let pool1 = ThreadPool(threads: 1)
    let poolN = ThreadPool.shared

    for (type, rows) in [(GGMLType.q4_1, 1536), (.q8_0, 1536), (.f16, 1536), (.q4_0, 1536), (.q8_0, 49152)] {
        let w = randomMatrix(type, rows: rows, cols: 576, seed: UInt64(rows))
        let x = floats(576), y = UnsafeMutablePointer<Float>.allocate(capacity: rows)
        for (label, pool) in [("1 thread", pool1), ("\(poolN.threadCount) threads", poolN)] {
            Benchmark("matvec \(type.name) \(rows)x576 (\(label))") { benchmark in
                for _ in benchmark.scaledIterations { MatMul.matvec(w, x, y, pool: pool); blackHole(y[0]) }
            }
        }
    }

    for n in [64, 512] {
        let w = randomMatrix(.q4_1, rows: 1536, cols: 576, seed: 3)
        let x = floats(n * 576), y = UnsafeMutablePointer<Float>.allocate(capacity: n * 1536)
        for (label, pool) in [("1 thread", pool1), ("\(poolN.threadCount) threads", poolN)] {
            Benchmark("matmul q4_1 1536x576 x \(n) tokens (\(label))",
                      configuration: .init(maxDuration: .seconds(3), maxIterations: n == 512 ? 20 : 100)) { benchmark in
                for _ in benchmark.scaledIterations { MatMul.matmul(w, x, n: n, y, pool: pool); blackHole(y[0]) }
            }
        }
    }

    // Decode attention of 3 query heads (one GQA group) over 4096 keys, f32 and f16 storage.
    let d = 64, count = 4096, blockSize = AttentionKernel.blockSize
    let keys = floats(count * d), values = floats(count * d)
    let halfKeys = UnsafeMutablePointer<UInt16>.allocate(capacity: count * d), halfValues = UnsafeMutablePointer<UInt16>.allocate(capacity: count * d)
    for i in 0..<(count * d) { halfKeys[i] = Float16(keys[i]).bitPattern; halfValues[i] = Float16(values[i]).bitPattern }
    let positions = UnsafeMutablePointer<Int32>.allocate(capacity: count)
    for i in 0..<count { positions[i] = Int32(i) }
    let q = floats(3 * d)
    for half in [false, true] {
        Benchmark("attention decode 3 heads x 4096 keys d64 \(half ? "f16" : "f32") (1 thread)") { benchmark in
            let kb = UnsafeMutablePointer<Float>.allocate(capacity: 2 * blockSize * d), vb = kb + blockSize * d
            let s = UnsafeMutablePointer<Float>.allocate(capacity: blockSize), o = UnsafeMutablePointer<Float>.allocate(capacity: 3 * d)
            defer { kb.deallocate(); s.deallocate(); o.deallocate() }
            for _ in benchmark.scaledIterations {
                var m = [Float](repeating: -.infinity, count: 3), l = [Float](repeating: 0, count: 3)
                o.update(repeating: 0, count: 3 * d)
                var start = 0
                while start < count {
                    var k = UnsafePointer(keys + start * d), v = UnsafePointer(values + start * d)
                    if half {
                        VectorMath.halfToFloat(halfKeys + start * d, kb, count: blockSize * d)
                        VectorMath.halfToFloat(halfValues + start * d, vb, count: blockSize * d)
                        k = UnsafePointer(kb); v = UnsafePointer(vb)
                    }
                    for r in 0..<3 {
                        AttentionKernel.accumulate(query: q + r * d, position: Int32(count), keys: k, values: v,
                                                   positions: positions + start, count: blockSize, headDim: d, scale: 0.125,
                                                   maximum: &m[r], sum: &l[r], out: o + r * d, scratch: s)
                    }
                    start += blockSize
                }
                blackHole(o[0])
            }
        }
    }
}
