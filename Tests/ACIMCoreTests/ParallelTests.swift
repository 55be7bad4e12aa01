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

    /// The ranges cover every item once, in order, at most one per thread and each of at least the minimum
    /// (but for one short range).
    @Test func rangesCoverEveryItemOnce() {
        for (count, threads, minimum) in [(0, 2, 10), (5, 2, 10), (25, 2, 10), (1000, 3, 10), (1001, 8, 300)] {
            var ranges = [Range<Int>?](repeating: nil, count: threads)
            ranges.withUnsafeMutableBufferPointer { ranges in
                let slots = Unchecked(value: ranges.baseAddress!)
                Parallel.forEachRange(count, threads: threads, minimum: minimum) { r, range in slots.value[r] = range }
            }
            let made = ranges.compactMap { $0 }
            #expect(made.first?.lowerBound == 0 && made.last?.upperBound == count, "\(count) items")
            #expect(zip(made, made.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(made.count == 1 || made.allSatisfy { $0.count >= minimum })
            #expect(made.count == min(threads, max(1, count / minimum)))
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
