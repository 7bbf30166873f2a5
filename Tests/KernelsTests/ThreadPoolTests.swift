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
