import Dispatch
import Foundation
import Testing
@testable import ACIMCore

/// `Parallel.forEach` runs every iteration exactly once, whatever the thread count, and stays correct when
/// loops nest or start on several threads at once.
@Suite struct ParallelTests {
    /// Each iteration writes its own slot once: every slot ends up written exactly once, for loop sizes of
    /// 0, 1, fewer than the threads, and many, repeated so that loops follow each other closely.
    @Test(arguments: [1, 2, 4, 9])
    func everyIterationRunsOnce(threads: Int) {
        for iterations in [0, 1, 2, 3, 17, 1000] {
            for _ in 0..<50 {
                var counts = [Int](repeating: 0, count: iterations)
                counts.withUnsafeMutableBufferPointer { counts in
                    let slots = Unchecked(value: counts.baseAddress!)
                    Parallel.forEach(iterations, threads: threads) { slots.value[$0] += 1 }
                }
                #expect(counts == [Int](repeating: 1, count: iterations), "\(iterations) iterations on \(threads) threads")
            }
        }
    }

    /// A loop started inside an iteration, and loops started on several threads at once, run all their
    /// iterations (those that find the team busy on the thread that started them).
    @Test func nestedAndConcurrentLoopsComplete() {
        let (outer, inner) = (8, 16)
        var sums = [Int](repeating: 0, count: outer * inner)
        sums.withUnsafeMutableBufferPointer { sums in
            let slots = Unchecked(value: sums.baseAddress!)
            Parallel.forEach(outer, threads: 2) { i in
                Parallel.forEach(inner, threads: 2) { j in slots.value[i * inner + j] += i * inner + j }
            }
        }
        #expect(sums == Array(0..<(outer * inner)))
        let callers = 4
        var totals = [Int](repeating: 0, count: callers * 100)
        totals.withUnsafeMutableBufferPointer { totals in
            let slots = Unchecked(value: totals.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: callers) { c in
                for _ in 0..<20 {
                    Parallel.forEach(100, threads: 2) { slots.value[c * 100 + $0] += 1 }
                }
            }
        }
        #expect(totals == [Int](repeating: 20, count: callers * 100))
    }
}
