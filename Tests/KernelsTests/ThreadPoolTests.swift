import Foundation
import Synchronization
import Testing
@testable import Kernels

@Suite("ThreadPool: every index exactly once")
struct ThreadPoolTests {
    @Test("parallelFor visits every index of 0..<count exactly once", arguments: [1, 2, 4])
    func everyIndexOnce(threads: Int) {
        let pool = ThreadPool(threads: threads)
        for count in [0, 1, 2, 7, 64, 1000] {
            for _ in 0..<20 {
                let hits = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: max(1, count))
                for i in 0..<count { (hits + i).initialize(to: Atomic(0)) }
                pool.parallelFor(count) { i in hits[i].wrappingAdd(1, ordering: .relaxed) }
                var ok = true
                for i in 0..<count where hits[i].load(ordering: .relaxed) != 1 { ok = false }
                #expect(ok, "count \(count) with \(threads) threads")
                hits.deinitialize(count: count)
                hits.deallocate()
            }
        }
    }

    @Test("parallelRanges covers 0..<count with disjoint ranges")
    func rangesCover() {
        let pool = ThreadPool(threads: 3)
        let count = 1003
        let hits = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: count)
        for i in 0..<count { (hits + i).initialize(to: Atomic(0)) }
        pool.parallelRanges(count, chunk: 17) { a, b in for i in a..<b { hits[i].wrappingAdd(1, ordering: .relaxed) } }
        var ok = true
        for i in 0..<count where hits[i].load(ordering: .relaxed) != 1 { ok = false }
        #expect(ok)
        hits.deinitialize(count: count)
        hits.deallocate()
    }

    @Test("a pool survives idle periods long enough for its workers to sleep")
    func wakesAfterSleep() throws {
        let pool = ThreadPool(threads: 2)
        let total = Atomic<Int>(0)
        pool.parallelFor(100) { _ in total.wrappingAdd(1, ordering: .relaxed) }
        usleep(200_000)
        pool.parallelFor(100) { _ in total.wrappingAdd(1, ordering: .relaxed) }
        #expect(total.load(ordering: .relaxed) == 200)
    }
}
#if canImport(Glibc)
import Glibc
#endif

@Suite("ThreadPool: jobs posted immediately after creation")
struct ThreadPoolStartupTests {
    @Test("a job posted before the workers have started still completes (workers join it late)")
    func jobBeforeWorkersStart() {
        for _ in 0..<50 {
            let pool = ThreadPool(threads: 4)
            let total = Atomic<Int>(0)
            pool.parallelFor(16) { _ in total.wrappingAdd(1, ordering: .relaxed) }
            #expect(total.load(ordering: .relaxed) == 16)
        }
    }
}

@Suite("ThreadPool: callers are served in their order of arrival")
struct ThreadPoolFairnessTests {
    /// A caller that issues jobs back to back (a decode step issues hundreds) must not overtake the
    /// callers already waiting: with a plain mutex it did, and a server's scheduler thread sharing
    /// the pool with other callers waited for a minute per step.
    @Test("four callers queue behind a running job; the job's owner asks again and is served after them")
    func arrivalOrder() throws {
        let pool = ThreadPool(threads: 2)
        final class Order: Sendable {
            let names = Mutex<[String]>([])
            func append(_ name: String) { names.withLock { $0.append(name) } }
        }
        let order = Order()
        let started = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        let owner = Thread {
            pool.parallelFor(2) { i in if i == 0 { started.signal(); release.wait() } }
            pool.parallelFor(2) { i in if i == 0 { order.append("A") } }
            done.signal()
        }
        owner.start()
        #expect(started.wait(timeout: .now() + 60) == .success, "the first job never started")
        for k in 1...4 {
            let caller = Thread {
                pool.parallelFor(2) { i in if i == 0 { order.append("B\(k)") } }
                done.signal()
            }
            caller.start()
            // Caller k is queued before caller k + 1 starts.
            var polls = 0
            while pool.waitingCallers < k, polls < 600_000 { usleep(100); polls += 1 }
            try #require(pool.waitingCallers == k, "caller \(k) never queued")
        }
        release.signal()
        for _ in 0..<5 { #expect(done.wait(timeout: .now() + 60) == .success, "a caller never finished") }
        #expect(order.names.withLock { $0 } == ["B1", "B2", "B3", "B4", "A"])
    }
}
