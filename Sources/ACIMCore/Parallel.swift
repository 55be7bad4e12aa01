import CParallel

/// Loops whose iterations run on several threads: the calling thread and a team of workers that spin for a
/// while after each loop before they sleep, so that loops following each other closely (an engine's calls
/// on consecutive batches, a network's layers) do not each wait for threads to wake up.
public enum Parallel {
    /// Runs `body(i)` for every `i` in `0..<iterations` on at most `threads` threads, the caller's among them,
    /// and returns when all have finished. Iterations are handed out in increasing order to whichever thread
    /// is free, so `body` must only touch what iteration `i` owns. A loop started while another runs (from
    /// inside an iteration, or on another thread) runs on its own thread, in order.
    public static func forEach(_ iterations: Int, threads: Int, _ body: (Int) -> Void) {
        guard iterations > 1, threads > 1 else {
            for i in 0..<max(0, iterations) { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let context = Unmanaged.passRetained(Iteration(body))
            defer { context.release() }
            acim_parallel_for(Int64(iterations), Int32(clamping: threads), { context, i in
                Unmanaged<Iteration>.fromOpaque(context!).takeUnretainedValue().body(Int(i))
            }, context.toOpaque())
        }
    }

    /// Runs `body(r, range)` on consecutive ranges `r = 0, 1, ...` that cover `0..<count`, each of at least
    /// `minimum` items (one range when `count` is smaller), at most `threads` of them, one per thread.
    public static func forEachRange(_ count: Int, threads: Int, minimum: Int, _ body: (Int, Range<Int>) -> Void) {
        let ranges = min(max(1, threads), max(1, count / max(1, minimum)))
        forEach(ranges, threads: ranges) { r in body(r, (count * r / ranges)..<(count * (r + 1) / ranges)) }
    }

    /// The body of a loop, handed to the workers as an opaque pointer.
    private final class Iteration: @unchecked Sendable {
        let body: (Int) -> Void

        init(_ body: @escaping (Int) -> Void) { self.body = body }
    }
}

/// Pieces of work done in parts on several threads: the thread that finishes a piece's last part learns so,
/// and sees every write the threads that finished its other parts made before.
public final class Countdowns: @unchecked Sendable {
    private let counters: UnsafeMutablePointer<Int64>

    /// `pieces` pieces of `parts` parts each.
    public init(pieces: Int, parts: Int) {
        counters = .allocate(capacity: max(1, pieces))
        counters.initialize(repeating: Int64(parts), count: max(1, pieces))
    }

    deinit { counters.deallocate() }

    /// Counts one part of `piece` finished; true when it was the piece's last.
    public func finish(partOf piece: Int) -> Bool { acim_count_down(counters + piece) == 0 }
}
