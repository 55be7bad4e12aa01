import Foundation

/// The shapes of the GEMMs an engine ran (`FastEngine(gemmLog:)`), for benchmarks and tests; safe to
/// record into from several threads.
public final class GEMMLog: @unchecked Sendable {
    /// One GEMM: an `m x k` matrix times a `k x n` matrix, on the integer path or on sgemm.
    public struct Shape: Sendable, Equatable {
        public let m: Int
        public let n: Int
        public let k: Int
        /// Whether it ran on the exact integer GEMM (`IntegerGEMM`) rather than sgemm.
        public let integer: Bool

        public init(m: Int, n: Int, k: Int, integer: Bool = false) {
            self.m = m
            self.n = n
            self.k = k
            self.integer = integer
        }
    }

    private let lock = NSLock()
    private var recorded: [Shape] = []

    public init() {}

    func record(m: Int, n: Int, k: Int, integer: Bool) {
        lock.lock()
        defer { lock.unlock() }
        recorded.append(Shape(m: m, n: n, k: k, integer: integer))
    }

    /// Every GEMM recorded so far, in the order the calls finished.
    public var shapes: [Shape] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    /// The rows of every GEMM recorded so far, summed.
    public var rows: Int { shapes.reduce(0) { $0 + $1.m } }

    /// Forgets every GEMM recorded.
    public func clear() {
        lock.lock()
        defer { lock.unlock() }
        recorded.removeAll()
    }
}
