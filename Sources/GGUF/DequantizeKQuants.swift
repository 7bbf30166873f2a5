/// Scalar reference dequantizers for the 256-element K-quant blocks (ggml `dequantize_row_q*_K`).
extension Dequantize {
    /// Q2_K: scales[16] · qs[64] · d · dmin.
    static func q2_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = f16(x, 80), dmin = f16(x, 82)
        var out = 0, scaleIndex = 0
        for half in 0..<2 {
            let q = 16 + 32 * half
            for shift in stride(from: 0, to: 8, by: 2) {
                for part in 0..<2 {
                    let sc = u8(x, scaleIndex); scaleIndex += 1
                    let dl = d * Float(sc & 0xF), ml = dmin * Float(sc >> 4)
                    for l in 0..<16 {
                        y[out] = dl * Float((u8(x, q + 16 * part + l) >> UInt8(shift)) & 3) - ml
                        out += 1
                    }
                }
            }
        }
    }

    /// Q3_K scale `i` (0..<16): six bits unpacked from the 12 bytes at `x + 96`, minus the offset 32.
    @inline(__always) static func q3_KScale(_ x: UnsafeRawPointer, _ i: Int) -> Int {
        let low = i < 8 ? Int(u8(x, 96 + i) & 0xF) : Int(u8(x, 96 + i - 8) >> 4)
        let high = Int(u8(x, 96 + 8 + i % 4) >> UInt8(2 * (i / 4))) & 3
        return (low | high << 4) - 32
    }

    /// Q3_K: hmask[32] · qs[64] · scales[12] · d.
    static func q3_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = f16(x, 108)
        var out = 0, scaleIndex = 0
        var m: UInt8 = 1
        for half in 0..<2 {
            let q = 32 + 32 * half
            for shift in stride(from: 0, to: 8, by: 2) {
                for part in 0..<2 {
                    let dl = d * Float(q3_KScale(x, scaleIndex)); scaleIndex += 1
                    for l in 0..<16 {
                        let low = Int((u8(x, q + 16 * part + l) >> UInt8(shift)) & 3)
                        let h = u8(x, 16 * part + l) & m != 0 ? 0 : 4
                        y[out] = dl * Float(low - h)
                        out += 1
                    }
                }
                m <<= 1
            }
        }
    }

    /// Scale and min of sub-block `j` (0..<8) from the 12 packed bytes at `x + 4` (ggml `get_scale_min_k4`).
    @inline(__always) static func scaleMinK4(_ x: UnsafeRawPointer, _ j: Int) -> (Float, Float) {
        let s = { (i: Int) in u8(x, 4 + i) }
        if j < 4 {
            return (Float(s(j) & 63), Float(s(j + 4) & 63))
        }
        let sc = (s(j + 4) & 0xF) | ((s(j - 4) >> 6) << 4)
        let m = (s(j + 4) >> 4) | ((s(j) >> 6) << 4)
        return (Float(sc), Float(m))
    }

    /// Q4_K: d · dmin · scales[12] · qs[128].
    static func q4_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = f16(x, 0), dmin = f16(x, 2)
        for c in 0..<4 {
            let (sc1, m1) = scaleMinK4(x, 2 * c), (sc2, m2) = scaleMinK4(x, 2 * c + 1)
            let d1 = d * sc1, mn1 = dmin * m1, d2 = d * sc2, mn2 = dmin * m2
            let q = 16 + 32 * c
            for l in 0..<32 {
                let b = u8(x, q + l)
                y[64 * c + l] = d1 * Float(b & 0xF) - mn1
                y[64 * c + 32 + l] = d2 * Float(b >> 4) - mn2
            }
        }
    }

    /// Q5_K: d · dmin · scales[12] · qh[32] · qs[128].
    static func q5_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = f16(x, 0), dmin = f16(x, 2)
        for c in 0..<4 {
            let (sc1, m1) = scaleMinK4(x, 2 * c), (sc2, m2) = scaleMinK4(x, 2 * c + 1)
            let d1 = d * sc1, mn1 = dmin * m1, d2 = d * sc2, mn2 = dmin * m2
            let u1 = UInt8(1) << UInt8(2 * c), u2 = UInt8(2) << UInt8(2 * c)
            let q = 48 + 32 * c
            for l in 0..<32 {
                let b = u8(x, q + l), h = u8(x, 16 + l)
                y[64 * c + l] = d1 * Float(Int(b & 0xF) + (h & u1 != 0 ? 16 : 0)) - mn1
                y[64 * c + 32 + l] = d2 * Float(Int(b >> 4) + (h & u2 != 0 ? 16 : 0)) - mn2
            }
        }
    }

    /// Q6_K: ql[128] · qh[64] · scales int8[16] · d.
    static func q6_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = f16(x, 208)
        for half in 0..<2 {
            let ql = 64 * half, qh = 128 + 32 * half, sc = 192 + 8 * half
            let out = y + 128 * half
            for l in 0..<32 {
                let isc = l / 16
                let a = u8(x, ql + l), b = u8(x, ql + l + 32), h = u8(x, qh + l)
                let q1 = Int((a & 0xF) | ((h >> 0) & 3) << 4) - 32
                let q2 = Int((b & 0xF) | ((h >> 2) & 3) << 4) - 32
                let q3 = Int((a >> 4) | ((h >> 4) & 3) << 4) - 32
                let q4 = Int((b >> 4) | ((h >> 6) & 3) << 4) - 32
                out[l] = d * Float(i8(x, sc + isc)) * Float(q1)
                out[l + 32] = d * Float(i8(x, sc + isc + 2)) * Float(q2)
                out[l + 64] = d * Float(i8(x, sc + isc + 4)) * Float(q3)
                out[l + 96] = d * Float(i8(x, sc + isc + 6)) * Float(q4)
            }
        }
    }
}
