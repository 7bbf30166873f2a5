import CPrefetch
import Foundation

/// How the attention kernels read 8 consecutive values of a stored key/value row as float32:
/// float32 rows as they are, f16 rows widened in registers (a vector conversion), so an f16
/// cache needs no float32 copy of its blocks. The kernels below are written once for both.
protocol KVRowFormat {
    /// Bytes per stored value.
    static var valueBytes: Int { get }
    /// Values `i ..< i + 8` of the rows at `p`, where `byteOffset = i · valueBytes`.
    static func load8(_ p: UnsafeRawPointer, _ byteOffset: Int) -> SIMD8<Float>
}

enum F32Rows: KVRowFormat {
    static var valueBytes: Int { @inline(__always) get { 4 } }
    @inline(__always)
    static func load8(_ p: UnsafeRawPointer, _ byteOffset: Int) -> SIMD8<Float> {
        p.loadUnaligned(fromByteOffset: byteOffset, as: SIMD8<Float>.self)
    }
}

enum F16Rows: KVRowFormat {
    static var valueBytes: Int { @inline(__always) get { 2 } }
    @inline(__always)
    static func load8(_ p: UnsafeRawPointer, _ byteOffset: Int) -> SIMD8<Float> {
        // One vector conversion: vcvtph2ps with F16C (x86-64), fcvtl/fcvtl2 on ARM64.
        halfFloats(p, byteOffset)
    }
}

extension AttentionKernel {
    /// `s[j] = q · k_j` for `count` contiguous key rows of `d` values in format `R` (`d` a multiple of 8).
    /// With `next`, the `count` rows there (same format) are prefetched into the second-level cache
    /// along the way (`scope_prefetch_range_l2`: the first level holds the block being worked on), as
    /// many as each step reads.
    @inline(__always)
    static func scores<R: KVRowFormat>(_: R.Type, query q: UnsafePointer<Float>, keys k: UnsafeRawPointer, count: Int,
                                       headDim d: Int, into s: UnsafeMutablePointer<Float>, prefetch next: UnsafeRawPointer? = nil) {
        let rq = UnsafeRawPointer(q)
        let rs = R.valueBytes * d
        var j = 0
        while j + 8 <= count {
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            var a4 = SIMD8<Float>(), a5 = SIMD8<Float>(), a6 = SIMD8<Float>(), a7 = SIMD8<Float>()
            let kb = k + j * rs
            if let next { scope_prefetch_range_l2(next + j * rs, 8 * rs) }
            var c = 0
            while c < d {
                let qv = rq.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self)
                let o = R.valueBytes * c
                a0.addProduct(qv, R.load8(kb, o))
                a1.addProduct(qv, R.load8(kb, rs + o))
                a2.addProduct(qv, R.load8(kb, 2 * rs + o))
                a3.addProduct(qv, R.load8(kb, 3 * rs + o))
                a4.addProduct(qv, R.load8(kb, 4 * rs + o))
                a5.addProduct(qv, R.load8(kb, 5 * rs + o))
                a6.addProduct(qv, R.load8(kb, 6 * rs + o))
                a7.addProduct(qv, R.load8(kb, 7 * rs + o))
                c += 8
            }
            UnsafeMutableRawPointer(s + j).storeBytes(of: VectorMath.sums(a0, a1, a2, a3, a4, a5, a6, a7), as: SIMD8<Float>.self)
            j += 8
        }
        while j < count {
            if let next { scope_prefetch_range_l2(next + j * rs, rs) }
            var a = SIMD8<Float>()
            var c = 0
            while c < d {
                a.addProduct(rq.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self), R.load8(k, j * rs + R.valueBytes * c))
                c += 8
            }
            s[j] = a.sum()
            j += 1
        }
    }

    /// `o += Σ_j p[j] · v_j` over `count` contiguous value rows of `d` values in format `R` (`d` a
    /// multiple of 32): the output stays in registers, 64 (or 32) dimensions at a time. With `next`,
    /// the `count` rows there (same format) are prefetched, one per value row.
    @inline(__always)
    static func accumulateValues<R: KVRowFormat>(_: R.Type, _ p: UnsafePointer<Float>, values v: UnsafeRawPointer, count: Int,
                                                 headDim d: Int, into o: UnsafeMutablePointer<Float>,
                                                 prefetch next: UnsafeRawPointer? = nil) {
        let ro = UnsafeMutableRawPointer(o)
        let rs = R.valueBytes * d, w = R.valueBytes * 8
        // Values c..<c+32 of the row whose span starts at byte r.
        @inline(__always) func lanes(_ r: Int) -> OutputLanes.Values {
            (R.load8(v, r), R.load8(v, r + w), R.load8(v, r + 2 * w), R.load8(v, r + 3 * w))
        }
        OutputLanes.accumulate(into: ro, headDim: d, rows: count, prefetching: next, rowBytes: rs, wide: { c, j, low, high in
            // One conversion per lane right before its multiply-add (registers: see `accumulate`).
            let pj = SIMD8<Float>(repeating: p[j]), r = j * rs + R.valueBytes * c
            low.a0.addProduct(pj, R.load8(v, r)); low.a1.addProduct(pj, R.load8(v, r + w))
            low.a2.addProduct(pj, R.load8(v, r + 2 * w)); low.a3.addProduct(pj, R.load8(v, r + 3 * w))
            high.a0.addProduct(pj, R.load8(v, r + 4 * w)); high.a1.addProduct(pj, R.load8(v, r + 5 * w))
            high.a2.addProduct(pj, R.load8(v, r + 6 * w)); high.a3.addProduct(pj, R.load8(v, r + 7 * w))
        }, narrow: { c, j, low in
            low.add(SIMD8(repeating: p[j]), lanes(j * rs + R.valueBytes * c))
        })
    }
}
