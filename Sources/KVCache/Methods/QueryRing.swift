/// The `recentQueries` statistic: the last `capacity` post-RoPE queries of one layer (all query
/// heads, `[queryHeads × headDim]` floats each) with their positions, in arrival order. The model
/// records them (`KVCache.recordQueries`) only when a configured method asked for a window.
struct QueryRing {
    let capacity: Int
    let width: Int
    private var storage: [Float]
    private var positions: [Int32]
    /// Queries recorded so far (the ring holds the last `min(count, capacity)`).
    private(set) var count = 0

    /// The storage grows with the queries recorded, up to `capacity` of them: a window larger than
    /// the sequence costs only the queries the sequence has.
    init(capacity: Int, width: Int) {
        self.capacity = capacity
        self.width = width
        storage = []
        positions = []
    }

    /// Queries held now.
    var held: Int { Swift.min(count, capacity) }

    mutating func append(_ q: UnsafePointer<Float>, position: Int32) {
        guard capacity > 0 else { return }
        if count < capacity {
            storage.append(contentsOf: UnsafeBufferPointer(start: q, count: width))
            positions.append(position)
        } else {
            let slot = count % capacity
            storage.withUnsafeMutableBufferPointer { ($0.baseAddress! + slot * width).update(from: q, count: width) }
            positions[slot] = position
        }
        count += 1
    }

    /// The `i`-th held query, oldest first (`0..<held`): its floats and position.
    func query(_ i: Int, _ body: (UnsafePointer<Float>, Int32) -> Void) {
        let slot = (count - held + i) % capacity
        storage.withUnsafeBufferPointer { body($0.baseAddress! + slot * width, positions[slot]) }
    }

    mutating func removeAll() {
        count = 0
        storage.removeAll(keepingCapacity: true)
        positions.removeAll(keepingCapacity: true)
    }
}
