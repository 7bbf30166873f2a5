import CPrefetch

/// 32 consecutive float32 values of an output row held in four registers while the value kernels
/// add weighted rows to them (`o += w · x`, 8 lanes at a time).
struct OutputLanes {
    /// 32 values as four vectors of 8.
    typealias Values = (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)

    var a0: SIMD8<Float>, a1: SIMD8<Float>, a2: SIMD8<Float>, a3: SIMD8<Float>

    /// The 32 floats at `o + byteOffset`.
    @inline(__always)
    init(_ o: UnsafeMutableRawPointer, _ byteOffset: Int) {
        a0 = o.loadUnaligned(fromByteOffset: byteOffset, as: SIMD8<Float>.self)
        a1 = o.loadUnaligned(fromByteOffset: byteOffset + 32, as: SIMD8<Float>.self)
        a2 = o.loadUnaligned(fromByteOffset: byteOffset + 64, as: SIMD8<Float>.self)
        a3 = o.loadUnaligned(fromByteOffset: byteOffset + 96, as: SIMD8<Float>.self)
    }

    @inline(__always)
    func store(_ o: UnsafeMutableRawPointer, _ byteOffset: Int) {
        o.storeBytes(of: a0, toByteOffset: byteOffset, as: SIMD8<Float>.self)
        o.storeBytes(of: a1, toByteOffset: byteOffset + 32, as: SIMD8<Float>.self)
        o.storeBytes(of: a2, toByteOffset: byteOffset + 64, as: SIMD8<Float>.self)
        o.storeBytes(of: a3, toByteOffset: byteOffset + 96, as: SIMD8<Float>.self)
    }

    /// `a += w · x`, lane by lane (fused multiply-adds).
    @inline(__always)
    mutating func add(_ w: SIMD8<Float>, _ x: Values) {
        a0.addProduct(w, x.0); a1.addProduct(w, x.1); a2.addProduct(w, x.2); a3.addProduct(w, x.3)
    }

    /// `o += Σ_j (row j's contribution)` for rows `j = 0 ..< count`, walking the output row `o` of
    /// `d` floats (`d` a multiple of 32) in spans starting at value `c`: 64 values (`wide`, two sets
    /// of lanes) while at least 64 remain, then 32 (`narrow`). Each span is loaded into registers,
    /// every row's body adds to it, and it is stored back. With `next`, the first span's pass also
    /// prefetches row `j` of `next` (rows `rowBytes` apart) into the second-level cache before row
    /// `j`'s body; no result depends on it.
    ///
    /// The prefetching loop is written apart from the plain one: with eight accumulators, a weight
    /// and a converted vector the wide body uses eleven of AVX2's sixteen registers, and a branch
    /// inside the loop made the compiler keep one accumulator on the stack (a store-to-load round
    /// trip in its chain every row).
    @inline(__always)
    static func accumulate(into o: UnsafeMutableRawPointer, headDim d: Int, rows count: Int,
                           prefetching next: UnsafeRawPointer?, rowBytes: Int,
                           wide: (_ c: Int, _ j: Int, _ low: inout OutputLanes, _ high: inout OutputLanes) -> Void,
                           narrow: (_ c: Int, _ j: Int, _ low: inout OutputLanes) -> Void) {
        @inline(__always) func forEachRow(_ c: Int, _ body: (Int) -> Void) {
            if c == 0, let next {
                for j in 0..<count { scope_prefetch_range_l2(next + j * rowBytes, rowBytes); body(j) }
            } else {
                for j in 0..<count { body(j) }
            }
        }
        var c = 0
        while c < d {
            var low = OutputLanes(o, 4 * c)
            if d - c >= 64 {
                var high = OutputLanes(o, 4 * c + 128)
                forEachRow(c) { j in wide(c, j, &low, &high) }
                high.store(o, 4 * c + 128)
                low.store(o, 4 * c)
                c += 64
            } else {
                forEachRow(c) { j in narrow(c, j, &low) }
                low.store(o, 4 * c)
                c += 32
            }
        }
    }
}
