// Kernel micro-benchmarks: quantized matrix-vector products per weight type, the prefill GEMM, and
// streaming attention over f32 and f16 keys. Shapes are SmolLM2-135M's (dim 576, ffn 1536,
// vocab 49152, head dim 64). Run: SCOPE_BENCHMARKS=1 swift package benchmark --target KernelBenchmarks
import Benchmark
import GGUF
import Kernels

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal, .throughput, .mallocCountTotal],
                                           maxDuration: .seconds(2), maxIterations: 200)
    let pool1 = ThreadPool(threads: 1)
    let poolN = ThreadPool.shared

    // Decode matrix-vector products, one per weight type, on SmolLM2's down projection shape
    // (576 outputs x 1536 inputs: 1536 is a multiple of the K-quants' 256). The name carries the
    // weight bytes so GB/s = bytes / time.
    let matvecTypes: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1,
                                   .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]
    for type in matvecTypes {
        let rows = 576, cols = 1536
        let w = randomMatrix(type, rows: rows, cols: cols, seed: UInt64(type.rawValue))
        let x = floats(cols), y = UnsafeMutablePointer<Float>.allocate(capacity: rows)
        let kib = rows * w.rowBytes / 1024
        for (label, pool) in [("1 thread", pool1), ("\(poolN.threadCount) threads", poolN)] {
            Benchmark("matvec \(type.name) 576x1536 \(kib) KiB (\(label))") { benchmark in
                for _ in benchmark.scaledIterations { MatMul.matvec(w, x, y, pool: pool); blackHole(y[0]) }
            }
        }
    }
    do {
        // The output projection (vocabulary 49152 x 576), the largest matrix of a decode step.
        let w = randomMatrix(.q8_0, rows: 49152, cols: 576, seed: 1)
        let x = floats(576), y = UnsafeMutablePointer<Float>.allocate(capacity: 49152)
        Benchmark("matvec Q8_0 49152x576 \(49152 * w.rowBytes / 1024) KiB (\(poolN.threadCount) threads)") { benchmark in
            for _ in benchmark.scaledIterations { MatMul.matvec(w, x, y, pool: poolN); blackHole(y[0]) }
        }
    }

    // Row dequantization (what the prefill panels cost per weight matrix), one thread.
    for type in matvecTypes {
        let w = randomMatrix(type, rows: 576, cols: 1536, seed: 5 &+ UInt64(type.rawValue))
        let panel = UnsafeMutablePointer<Float>.allocate(capacity: 1536)
        Benchmark("dequantize \(type.name) 576x1536 \(576 * w.rowBytes / 1024) KiB (1 thread)") { benchmark in
            for _ in benchmark.scaledIterations {
                for r in 0..<w.rows { w.dequantizeRow(r, into: panel) }
                blackHole(panel[0])
            }
        }
    }

    // Prefill: dequantized weight panels x token tiles.
    for (type, n) in [(GGMLType.q4_1, 64), (.q4_1, 512), (.q4_K, 64), (.q6_K, 64)] {
        let w = randomMatrix(type, rows: 576, cols: 1536, seed: 3)
        let x = floats(n * w.cols), y = UnsafeMutablePointer<Float>.allocate(capacity: n * w.rows)
        for (label, pool) in [("1 thread", pool1), ("\(poolN.threadCount) threads", poolN)] {
            Benchmark("matmul \(type.name) \(w.rows)x\(w.cols) x \(n) tokens (\(label))",
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
