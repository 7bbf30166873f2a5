import CPrefetch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A persistent pool of worker threads for data-parallel loops (llama.cpp style).
///
/// `parallelFor(count)` splits `0..<count` into items that threads claim in shrinking contiguous
/// runs with an atomic counter (guided scheduling); the calling thread participates. Workers spin
/// briefly on a generation number between jobs (a decode step issues hundreds of small jobs) and
/// then sleep on a semaphore, so an idle pool costs nothing. Every wait is bounded: ~20 µs of
/// `pause`, then `sched_yield`, then short sleeps, so a pool on an oversubscribed machine never
/// burns a core waiting for a descheduled peer.
/// One job runs at a time; calls from several threads are serialised in their order of arrival
/// (`FIFOLock`), so no caller is starved by another that issues jobs back to back.
public final class ThreadPool: @unchecked Sendable {
    /// Threads that run work, the caller included.
    public let threadCount: Int

    /// Shared with the worker threads, which hold it strongly: a worker that starts (or wakes)
    /// after the pool was released still finds valid state and exits.
    private let state: PoolState
    private let callerLock = FIFOLock()

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

    /// The most threads a pool takes (llama.cpp's limit too): each worker spins while it waits, so
    /// more threads than CPUs only slows a run down, and thousands would exhaust the process.
    public static let maxThreads = 512

    /// A shared pool sized to the physical cores, or `SCOPE_THREADS` when set (a value that is not a
    /// count from 1 to `maxThreads` is reported on standard error and ignored).
    public static let shared: ThreadPool = {
        if let s = ProcessInfo.processInfo.environment["SCOPE_THREADS"] {
            if let n = Int(s), (1...maxThreads).contains(n) { return ThreadPool(threads: n) }
            FileHandle.standardError.write(Data("warning: SCOPE_THREADS='\(s)' is not a thread count from 1 to \(maxThreads); using \(physicalCores) (the physical cores)\n".utf8))
        }
        return ThreadPool(threads: physicalCores)
    }()

    /// A pool of `threads` threads (the caller is one of them); `threads` is at most `maxThreads`.
    public init(threads: Int) {
        precondition(threads <= Self.maxThreads, "ThreadPool: \(threads) threads is more than the limit of \(Self.maxThreads)")
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

    /// Runs `body(i)` for every `i` in `0..<count`, spread over the pool; returns when all are done
    /// and no worker can touch `body` any more (see `PoolState`).
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        if threadCount == 1 || count == 1 {
            for i in 0..<count { body(i) }
            return
        }
        callerLock.lock()
        defer { callerLock.unlock() }
        withoutActuallyEscaping(body) { body in
            withUnsafePointer(to: PoolJob(body: body, count: count)) { state.run($0) }
        }
    }

    /// Callers waiting for the job that runs now to finish (for tests).
    var waitingCallers: Int { callerLock.waitingCount }

    /// Runs `body(start, end)` over contiguous ranges of `0..<count`, about `chunk` items each.
    public func parallelRanges(_ count: Int, chunk: Int, _ body: (Int, Int) -> Void) {
        let c = max(1, chunk)
        let chunks = (count + c - 1) / c
        parallelFor(chunks) { i in body(i * c, min(count, (i + 1) * c)) }
    }
}

/// One `parallelFor` call: its body and item count, in the caller's stack frame for the call.
struct PoolJob {
    let body: (Int) -> Void
    let count: Int
}

/// The job slot, counters and wake-up semaphore shared by a pool and its workers.
///
/// The caller publishes a pointer to its `PoolJob` in `job`; threads claim runs of items with a
/// compare-exchange on `next`. A worker touches the job only between entering and leaving it:
///
///     enter:  active += 1                  (sequentially consistent)
///             p = job                      (sequentially consistent; nil: leave at once)
///             claim and run items of *p until next ≥ count
///     leave:  active -= 1                  (release; after the last use of *p and its body)
///
/// and the caller, once it has claimed past the last item itself, retires the job:
///
///     job = nil                            (sequentially consistent)
///     wait until active == 0               (sequentially consistent loads)
///
/// Invariants, from which the safety of the hand-off follows:
/// 1. `job` is non-nil only inside `run`, between publishing and retiring, while the caller's
///    `PoolJob` (and the closure `withoutActuallyEscaping` made from its non-escaping body) is alive.
/// 2. A worker that loads a non-nil `job` has incremented `active` before the load, both in the
///    single total order of sequentially consistent operations; the load precedes the caller's
///    `job = nil` (it returned the pointer), so the caller's later loads of `active` see that
///    increment and the caller keeps waiting until the worker's decrement. A worker that enters
///    after `job = nil` loads nil (or the pointer of a later call, whose caller waits for it in
///    turn) and never sees this job. So when `run` returns, no worker holds or can obtain the
///    pointer, the body, or a retain of its context: `withoutActuallyEscaping` finds it unique.
/// 3. Every item is claimed exactly once (`next` is a single atomic counter, reset before the job
///    is published and read only by threads inside the job; a claim moves it forward over a run of
///    items with one compare-exchange). The caller retires the job only after it found `next` at
///    or past `count`, i.e. all items are claimed; items claimed by workers are run by workers
///    still counted in `active`. So the wait for `active == 0` is also the wait for every item.
/// 4. A worker's decrement is a release and the caller's loads are (at least) acquires: all writes
///    of the items' bodies happen before `parallelFor` returns.
/// 5. `runItems` is not inlined, so the copy of the body it makes (and releases) cannot be moved
///    past the decrement by the optimizer.
///
/// `generation` only wakes idle workers (spinning or asleep) and carries no job state; a late
/// worker costs the caller at most the wait for its enter–load–leave, never a wrong result.
private final class PoolState: @unchecked Sendable {
    let workers: Int
    let job = Atomic<UnsafePointer<PoolJob>?>(nil)
    let next = Atomic<Int>(0)
    let active = Atomic<Int>(0)
    let generation = Atomic<Int>(0)
    let sleepers = Atomic<Int>(0)
    let stopping = Atomic<Bool>(false)
    let wake = DispatchSemaphore(value: 0)

    init(workers: Int) { self.workers = workers }

    /// Publishes `p`, joins it, retires it, and waits (bounded spin, then yield, then sleep) until
    /// every worker that entered it has left.
    func run(_ p: UnsafePointer<PoolJob>) {
        next.store(0, ordering: .relaxed)
        job.store(p, ordering: .sequentiallyConsistent)
        generation.wrappingAdd(1, ordering: .sequentiallyConsistent)
        let asleep = sleepers.load(ordering: .sequentiallyConsistent)
        for _ in 0..<min(asleep, workers) { wake.signal() }
        runItems(p)
        job.store(nil, ordering: .sequentiallyConsistent)
        var backoff = Backoff()
        while active.load(ordering: .sequentiallyConsistent) != 0 { backoff.wait() }
    }

    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        generation.wrappingAdd(1, ordering: .sequentiallyConsistent)
        for _ in 0..<workers { wake.signal() }
    }

    /// Claims and runs items of `*p` until none are left.
    ///
    /// Guided claims: each claim takes a contiguous run of 1/(2·threads) of the items still
    /// unclaimed (at least one), so a job of n items costs O(threads · log n) atomic operations on
    /// the shared counter instead of n, each thread reads long contiguous runs of weight rows (its
    /// prefetches stay useful), and the last claims are single items that even out the threads'
    /// finishing times. Every item is still claimed exactly once: a run is claimed by advancing
    /// `next` from its first item past its last in one compare-exchange.
    @inline(never)
    func runItems(_ p: UnsafePointer<PoolJob>) {
        let body = p.pointee.body, n = p.pointee.count
        let parts = 2 * (workers + 1)
        var start = next.load(ordering: .relaxed)
        while start < n {
            let end = start + max(1, (n - start) / parts)
            let (claimed, seen) = next.compareExchange(expected: start, desired: end, ordering: .relaxed)
            if !claimed { start = seen; continue }
            for i in start..<end { body(i) }
            start = next.load(ordering: .relaxed)
        }
    }

    /// Worker body: wait (bounded spin, yield, then sleep) for a new generation, then enter the
    /// posted job, if any, and leave it.
    func workerLoop() {
        let spinLimit = Backoff.spinLimit
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins < spinLimit {
                    spinPause()
                } else if spins < spinLimit + Backoff.yieldLimit {
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
            // A peek that lets a worker arriving after the job's end skip entering (and the
            // caller skip waiting for it); only the load after entering is used (invariant 2).
            if job.load(ordering: .relaxed) == nil { continue }
            active.wrappingAdd(1, ordering: .sequentiallyConsistent)
            if let p = job.load(ordering: .sequentiallyConsistent) { runItems(p) }
            active.wrappingSubtract(1, ordering: .releasing)
        }
    }
}

/// One busy-wait step: x86 `pause`, ARM `yield` (a C inline, see CPrefetch.h). Its cost varies
/// by two orders of magnitude (a few cycles on older x86, ~65 on Zen, ~250 ns where a hypervisor
/// traps it), so `Backoff` counts pauses in units of a measured time budget.
@inline(__always)
func spinPause() { scope_spin_pause() }

/// Bounded waiting: about `spinBudgetNanoseconds` of pauses, then `yieldLimit` yields, then 50 µs
/// sleeps, so a waiter never spins for long on a peer that the OS descheduled.
struct Backoff {
    static let spinBudgetNanoseconds = 20_000
    /// Pauses in `spinBudgetNanoseconds` on this machine (timed once, 256 pauses), 16…8,000.
    static let spinLimit: Int = {
        let probe = 256
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<probe { spinPause() }
        let elapsed = max(1, Int(DispatchTime.now().uptimeNanoseconds - start))
        return min(8_000, max(16, spinBudgetNanoseconds * probe / elapsed))
    }()
    static let yieldLimit = 64
    private let spinLimit = Backoff.spinLimit
    private var steps = 0

    @inline(__always)
    mutating func wait() {
        steps += 1
        if steps < spinLimit {
            spinPause()
        } else if steps < spinLimit + Backoff.yieldLimit {
            sched_yield()
        } else {
            usleep(50)
        }
    }
}
