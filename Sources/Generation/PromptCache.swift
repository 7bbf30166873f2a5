import KVCache

/// The states right after the prefill of recent prompts, so that a prompt seen again (the `n`
/// choices of one request, a regenerated answer, the same question sampled again) is not
/// prefilled again: each entry is a fork of the cache taken when its prompt was complete
/// (`KVCache.forked`) and the logits of the prompt's last position, from which the first token is
/// drawn. Exact for every compression method: the prefill is deterministic and a fork continues as
/// the cache that ran it (`KVCacheForkTests`). A FullKV prompt that only starts like a kept one
/// (the next turn of a chat) takes the shared rows its own prefill would compute bit for bit the
/// same (`longestPrefix`) and runs the rest. Entries are keyed by the prompt's tokens and the
/// compression; the least recently used go when the bytes would pass the limit, or when the KV
/// budget's room shrinks under them (`shrink`: the scheduler admits a request). Engine thread only.
final class PromptCache {
    struct Key: Hashable {
        let prompt: [Int32]
        let compression: CompressionConfig
    }

    struct Entry {
        let cache: KVCache
        let logits: [Float]
        /// Allocated K, V and position bytes of the cache plus the logits.
        let bytes: Int
        fileprivate(set) var lastUse: UInt64
    }

    /// Bytes the entries may hold together (an entry larger than this is not kept).
    let limitBytes: Int
    private(set) var bytes = 0
    private var entries: [Key: Entry] = [:]
    private var uses: UInt64 = 0

    init(limitBytes: Int) {
        self.limitBytes = limitBytes
    }

    var count: Int { entries.count }

    /// The entry for `key`, counted as a use.
    func lookup(_ key: Key) -> Entry? {
        guard var e = entries[key] else { return nil }
        uses += 1
        e.lastUse = uses
        entries[key] = e
        return e
    }

    /// The entry whose prompt shares the most reusable leading rows with `key`'s prompt, and that
    /// count: both FullKV (their prefills keep every prompt row in place) of one semantics; of the
    /// common prefix, leaving at least `tail` tokens of the prompt to run, the rows `reusable`
    /// allows (`LayerPass.reusableRows`: those the longer prompt's own prefill computes bit for
    /// bit the same). Counted as a use.
    func longestPrefix(of key: Key, leaving tail: Int, reusable: (_ common: Int, _ promptLength: Int) -> Int) -> (entry: Entry, rows: Int)? {
        guard key.compression.prefill == .fullKV else { return nil }
        var best: (key: Key, rows: Int)?
        for (k, _) in entries where k.compression.prefill == .fullKV && k.compression.semantics == key.compression.semantics {
            var common = 0
            let limit = Swift.min(k.prompt.count, key.prompt.count - tail)
            while common < limit && k.prompt[common] == key.prompt[common] { common += 1 }
            let rows = reusable(common, key.prompt.count)
            if rows > 0 && rows > (best?.rows ?? 0) { best = (k, rows) }
        }
        guard let best, let entry = lookup(best.key) else { return nil }
        return (entry, best.rows)
    }

    /// Keeps a fork of `cache` (whose prompt was just completed, before any decoding step) and the
    /// prompt's last logits under `key`, evicting the least recently used entries to fit within the
    /// limit and within `room` bytes (what the KV budget leaves free).
    func store(_ key: Key, cache: KVCache, logits: UnsafeBufferPointer<Float>, room: Int = .max) throws {
        if let old = entries[key] {
            bytes -= old.bytes
            entries[key] = nil
        }
        let snapshot = try cache.forked(maxNewTokens: 0)
        let size = snapshot.bytesReserved + logits.count * MemoryLayout<Float>.size
        let limit = Swift.min(limitBytes, room)
        guard size <= limit else { return }
        shrink(to: limit - size)
        uses += 1
        entries[key] = Entry(cache: snapshot, logits: Array(logits), bytes: size, lastUse: uses)
        bytes += size
    }

    /// Drops the least recently used entries until the bytes are at most `target`.
    func shrink(to target: Int) {
        while bytes > target, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            bytes -= oldest.value.bytes
            entries[oldest.key] = nil
        }
    }
}
