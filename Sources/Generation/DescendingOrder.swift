/// Token ids in descending order of logit (equal logits: lower id first), sorted only as far as a
/// sampler reads: first the tokens whose logit is within 2·T of the largest (weight ≥ e^−2), then
/// within 4·T, 8·T, … 64·T, then every token that is not NaN. Each extension is one pass over the
/// logits and a sort of the tokens it adds (which all rank after those already there) as packed
/// integer keys. A draw past the first levels needs r in the little weight they leave, so the
/// expected cost stays a pass or two over the logits and a sort of a few tokens.
struct DescendingOrder: Sendable {
    private var ids: [Int32] = []
    private var keys: [UInt64] = []
    private var maxLogit: Float = 0, temperature: Float = 1
    /// Every token with a logit ≥ `floor` is in `ids` (+∞ before the first extension).
    private var floor = Float.infinity
    private var level = 0

    /// Starts a new order for logits whose (finite) largest is `maxLogit`, at `temperature`.
    mutating func reset(maxLogit: Float, temperature: Float) {
        ids.removeAll(keepingCapacity: true)
        self.maxLogit = maxLogit
        self.temperature = temperature
        floor = .infinity
        level = 0
    }

    /// Tokens ordered so far.
    var count: Int { ids.count }

    subscript(j: Int) -> Int32 { ids[j] }

    /// Whether position `j` exists, extending the order as far as needed (a level may add nothing).
    mutating func reaches(_ j: Int, _ l: UnsafeBufferPointer<Float>) -> Bool {
        while ids.count <= j {
            guard extend(l) else { return false }
        }
        return true
    }

    /// Adds the tokens of `l` (the logits of the reset) at the next level; false when every token
    /// is already ordered.
    mutating func extend(_ l: UnsafeBufferPointer<Float>) -> Bool {
        guard level <= 6 else { return false }
        // Levels 0…5: within 2·T, 4·T, … 64·T of the largest logit; level 6: every logit.
        let bound = level < 6 ? maxLogit - Float(2 << level) * temperature : -.infinity, floor = self.floor
        level += 1
        self.floor = bound
        keys.removeAll(keepingCapacity: true)
        for i in 0..<l.count where l[i] >= bound && l[i] < floor { keys.append(Self.key(l[i], Int32(i))) }
        keys.sort()
        for k in keys { ids.append(Int32(truncatingIfNeeded: k)) }
        return true
    }

    /// A key whose ascending order is descending logit, then ascending id: the logit's bits mapped
    /// to an order-preserving unsigned integer (−0 taken as +0) and complemented, above the id.
    @inline(__always)
    static func key(_ logit: Float, _ id: Int32) -> UInt64 {
        let bits = (logit + 0).bitPattern   // −0 + 0 = +0
        let ascending = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        return UInt64(~ascending) << 32 | UInt64(UInt32(bitPattern: id))
    }
}
