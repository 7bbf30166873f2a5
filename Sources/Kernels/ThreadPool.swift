import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A persistent pool of worker threads for data-parallel loops (llama.cpp style).
///
/// `parallelFor(count)` splits `0..<count` into items that threads claim with an atomic counter;
/// the calling thread participates. Workers spin briefly on a generation number between jobs (a
/// decode step issues hundreds of small jobs) and then sleep on a semaphore, so an idle pool costs
/// nothing. Every wait is bounded: a short spin with `pause`, then `sched_yield`, then short sleeps,
/// so a pool on an oversubscribed machine never burns a core waiting for a descheduled peer.
/// One job runs at a time; calls from several threads are serialised.
public final class ThreadPool: @unchecked Sendable {
    /// Threads that run work, the caller included.
    public let threadCount: Int

    /// Shared with the worker threads, which hold it strongly: a worker that starts (or wakes)
    /// after the pool was released still finds valid state and exits.
    private let state: PoolState
    private let callerLock = NSLock()

    /// The number of physical cores (distinct `thread_siblings` sets on Linux), at least 1.
    public static var physicalCores: Int {
        #if os(Linux)
        var seen = Set<String>()
        for cpu in 0..<ProcessInfo.processInfo.activeProcessorCount {
            let path = "/sys/devices/system/cpu/cpu\(cpu)/topology/thread_siblings"
            if let s = try? String(contentsOfFile: path, encoding: .utf8) { seen.insert(s) }
        }
        if !seen.isEmpty { return seen.count }
        #endif
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// A shared pool sized to the physical cores, or `SCOPE_THREADS` when set.
    public static let shared: ThreadPool = {
        if let s = ProcessInfo.processInfo.environment["SCOPE_THREADS"], let n = Int(s), n > 0 {
            return ThreadPool(threads: n)
        }
        return ThreadPool(threads: physicalCores)
    }()

    public init(threads: Int) {
        threadCount = max(1, threads)
        let state = PoolState(workers: threadCount - 1)
        self.state = state
        for worker in 1..<threadCount {
            let t = Thread { state.workerLoop() }
            t.name = "scope-worker-\(worker)"
            t.stackSize = 1 << 20
            t.start()
        }
    }

    deinit { state.stop() }

    /// Runs `body(i)` for every `i` in `0..<count`, spread over the pool; returns when all are done.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        if threadCount == 1 || count == 1 {
            for i in 0..<count { body(i) }
            return
        }
        callerLock.lock()
        defer { callerLock.unlock() }
        withoutActuallyEscaping(body) { state.run($0, count: count) }
    }

    /// Runs `body(start, end)` over contiguous ranges of `0..<count`, about `chunk` items each.
    public func parallelRanges(_ count: Int, chunk: Int, _ body: (Int, Int) -> Void) {
        let c = max(1, chunk)
        let chunks = (count + c - 1) / c
        parallelFor(chunks) { i in body(i * c, min(count, (i + 1) * c)) }
    }
}

/// The job slot, counters and wake-up semaphore shared by a pool and its workers.
///
/// Items are claimed with a compare-and-swap on `claim` (job generation in the high 32 bits, next
/// index in the low 32), and the caller waits only for `remaining` items, i.e. for items a worker
/// actually claimed. A worker that is descheduled or wakes late claims nothing from a finished job
/// (its generation no longer matches), so the caller never waits for an idle peer to be scheduled.
private final class PoolState: @unchecked Sendable {
    let workers: Int
    let generation = Atomic<Int>(0)
    let claim = Atomic<UInt64>(0)
    let count = Atomic<Int>(0)
    let remaining = Atomic<Int>(0)
    let sleepers = Atomic<Int>(0)
    let stopping = Atomic<Bool>(false)
    let wake = DispatchSemaphore(value: 0)
    var job: ((Int) -> Void)?

    init(workers: Int) { self.workers = workers }

    /// Posts a job, joins it, and waits (bounded spin, then yield, then sleep) for claimed items.
    func run(_ body: @escaping (Int) -> Void, count n: Int) {
        job = body
        let g = generation.load(ordering: .relaxed) + 1
        count.store(n, ordering: .relaxed)
        remaining.store(n, ordering: .relaxed)
        claim.store(UInt64(truncatingIfNeeded: g) << 32, ordering: .releasing)
        generation.store(g, ordering: .sequentiallyConsistent)
        let asleep = sleepers.load(ordering: .sequentiallyConsistent)
        for _ in 0..<min(asleep, workers) { wake.signal() }
        runClaimedItems(generation: g)
        var backoff = Backoff()
        while remaining.load(ordering: .acquiring) > 0 { backoff.wait() }
        job = nil
    }

    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        generation.wrappingAdd(1, ordering: .sequentiallyConsistent)
        for _ in 0..<workers { wake.signal() }
    }

    /// Claims and runs items of job generation `g` until none are left (or a newer job started).
    func runClaimedItems(generation g: Int) {
        let tag = UInt64(truncatingIfNeeded: g) & 0xFFFF_FFFF
        while true {
            let v = claim.load(ordering: .acquiring)
            if v >> 32 != tag { return }
            let i = Int(v & 0xFFFF_FFFF)
            if i >= count.load(ordering: .relaxed) { return }
            if claim.compareExchange(expected: v, desired: v + 1, ordering: .acquiringAndReleasing).exchanged {
                // The job cannot change while this claimed item is outstanding.
                job!(i)
                remaining.wrappingSubtract(1, ordering: .releasing)
            }
        }
    }

    /// Worker body: wait (bounded spin, yield, then sleep) for a new generation, then help.
    func workerLoop() {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins < Backoff.spinLimit {
                    spinPause()
                } else if spins < Backoff.spinLimit + Backoff.yieldLimit {
                    sched_yield()
                } else {
                    sleepers.wrappingAdd(1, ordering: .sequentiallyConsistent)
                    if generation.load(ordering: .sequentiallyConsistent) == seen { wake.wait() }
                    sleepers.wrappingSubtract(1, ordering: .sequentiallyConsistent)
                    spins = 0
                }
            }
            seen = generation.load(ordering: .acquiring)
            if stopping.load(ordering: .acquiring) { return }
            runClaimedItems(generation: seen)
        }
    }
}

/// A busy-wait step. (The x86 `pause` intrinsic is a header-only inline that Swift cannot link;
/// the bounded `Backoff` below is what keeps waits cheap.)
@inline(__always)
func spinPause() {}

/// Bounded waiting: `spinLimit` pauses (a few tens of microseconds), then `yieldLimit` yields,
/// then 50 µs sleeps, so a waiter never spins for long on a peer that the OS descheduled.
struct Backoff {
    static let spinLimit = 8_000
    static let yieldLimit = 64
    private var steps = 0

    @inline(__always)
    mutating func wait() {
        steps += 1
        if steps < Backoff.spinLimit {
            spinPause()
        } else if steps < Backoff.spinLimit + Backoff.yieldLimit {
            sched_yield()
        } else {
            usleep(50)
        }
    }
}
