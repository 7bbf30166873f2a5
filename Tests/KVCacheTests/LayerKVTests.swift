import Testing
@testable import KVCache
import ScopeTestSupport

@Suite("Layer storage")
struct LayerKVTests {
    func key(_ pos: Int, _ g: Int, _ d: Int) -> [Float] { (0..<d).map { Float(pos * 100 + g * 10 + $0) } }

    func makeCache(semantics: Semantics, kvHeads: Int = 2, group: Int = 3, d: Int = 4) throws -> KVCache {
        try KVCache(shape: CacheShape(layers: 1, queryHeads: kvHeads * group, kvHeads: kvHeads, headDim: d),
                    config: CompressionConfig(semantics: semantics), maxNewTokens: 10)
    }

    /// Appends rows holding key and value `key(p, 0, 4)` at positions `ps` to head 0 of a one-head layer.
    func append(_ layer: LayerKV, _ ps: some Sequence<Int>, positionOffset: Int = 0) {
        for p in ps { layer.append(kvHead: 0, key: key(p, 0, 4), value: key(p, 0, 4), position: Int32(p + positionOffset)) }
    }

    /// Row `row` of storage head 0 holds key and value `key(p, 0, 4)`.
    func expectRow(_ layer: LayerKV, _ row: Int, holds p: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Array(UnsafeBufferPointer(start: layer.keys(0) + row * 4, count: 4)) == key(p, 0, 4), sourceLocation: sourceLocation)
        #expect(Array(UnsafeBufferPointer(start: layer.values(0) + row * 4, count: 4)) == key(p, 0, 4), sourceLocation: sourceLocation)
    }

    @Test("append writes one row per KV head (corrected) or one copy per query head (reference)")
    func appendFeedsStorageHeads() throws {
        for semantics in Semantics.allCases {
            let cache = try makeCache(semantics: semantics)
            let layer = cache.layers[0]
            #expect(layer.storageHeads == (semantics == .reference ? 6 : 2))
            for pos in 0..<200 {   // crosses the initial capacity: growth keeps the rows
                for g in 0..<2 { layer.append(kvHead: g, key: key(pos, g, 4), value: key(pos, g, 4).map { -$0 }, position: Int32(pos)) }
            }
            for h in 0..<6 {
                let s = layer.storageHead(forQueryHead: h)
                let g = h / 3
                #expect(layer.count(s) == 200)
                for row in [0, 63, 64, 199] {
                    #expect(Array(UnsafeBufferPointer(start: layer.keys(s) + row * 4, count: 4)) == key(row, g, 4))
                    #expect(layer.values(s)[row * 4 + 1] == -key(row, g, 4)[1])
                    #expect(layer.positions(s)[row] == Int32(row))
                }
            }
            #expect(cache.bytesCurrent == 200 * layer.storageHeads * 2 * 4 * 4)
            #expect(cache.bytesPeak == cache.bytesCurrent)
        }
    }

    @Test("compact keeps exactly the listed rows in the listed order, ascending or permuted")
    func compactGathersRows() throws {
        var rng = SeededRandom(seed: 5)
        for trial in 0..<200 {
            let cache = try makeCache(semantics: .corrected, kvHeads: 1, group: 1)
            let layer = cache.layers[0]
            let n = Int.random(in: 1...90, using: &rng)
            append(layer, 0..<n, positionOffset: 1000)
            var rows = Array((0..<n).shuffled(using: &rng).prefix(Int.random(in: 0...n, using: &rng)))
            if trial % 2 == 0 { rows.sort() }
            let peak = cache.bytesPeak
            layer.compact(0, keeping: rows)
            #expect(layer.count(0) == rows.count)
            for (i, r) in rows.enumerated() {
                #expect(layer.positions(0)[i] == Int32(r + 1000))
                expectRow(layer, i, holds: r)
            }
            #expect(cache.bytesCurrent == rows.count * 2 * 4 * 4)
            #expect(cache.bytesPeak == peak)
        }
    }

    @Test("remove drops exactly the listed rows, moving tail rows into the holes")
    func removeFillsHoles() throws {
        var rng = SeededRandom(seed: 6)
        for _ in 0..<200 {
            let cache = try makeCache(semantics: .corrected, kvHeads: 1, group: 1)
            let layer = cache.layers[0]
            let n = Int.random(in: 1...90, using: &rng)
            append(layer, 0..<n)
            let evict = Array((0..<n).shuffled(using: &rng).prefix(Int.random(in: 0...n, using: &rng))).sorted()
            layer.remove(0, rows: evict)
            let kept = (0..<layer.count(0)).map { Int(layer.positions(0)[$0]) }
            #expect(Set(kept) == Set(0..<n).subtracting(evict))
            #expect(kept.count == n - evict.count)
            for (row, p) in kept.enumerated() { expectRow(layer, row, holds: p) }
            #expect(cache.bytesCurrent == kept.count * 32)
        }
    }

    @Test("reference order tracking: repeated compactions keep the logical order without moving kept rows' data apart from their positions")
    func trackedCompaction() throws {
        var rng = SeededRandom(seed: 8)
        for _ in 0..<100 {
            let cache = try makeCache(semantics: .reference, kvHeads: 1, group: 1)
            let layer = cache.layers[0]
            #expect(layer.tracksOrder)
            var logical: [Int] = []
            var next = 0
            for _ in 0..<4 {
                let added = next..<(next + Int.random(in: 1...30, using: &rng))
                append(layer, added)
                logical += added; next = added.upperBound
                let slots = Array((0..<logical.count).shuffled(using: &rng).prefix(Int.random(in: 0...logical.count, using: &rng)))
                layer.compact(0, keeping: slots)
                logical = slots.map { logical[$0] }
                #expect(layer.orderedPositions(0) == logical)
                #expect(layer.count(0) == logical.count)
                for row in 0..<layer.count(0) { expectRow(layer, row, holds: Int(layer.positions(0)[row])) }
                #expect(cache.bytesCurrent == logical.count * 32)
            }
        }
    }
}
