import COneDNN
import Foundation

/// Exact integer GEMMs on oneDNN's int8 matmul: `C = A B` with `A` unsigned 8-bit (input digits), `B`
/// signed 8-bit (cell levels) packed once into the layout the kernel reads, and `C` in float32.
///
/// Every product sum is an integer; it is exact in the kernel's 32-bit accumulators, and exact in float32
/// while it stays below 2^24, so the result equals sgemm's on the same integer operands bit for bit. On a
/// CPU without VNNI, oneDNN's int8 kernels add pairs of products in saturating 16-bit arithmetic first;
/// `isExact(maxA:maxB:depth:)` checks that bound too, and callers use sgemm where it does not hold.
///
/// Each GEMM runs single-threaded on the calling thread: oneDNN's OpenMP runtime is held to one thread in
/// every thread that calls it, so callers parallelize across GEMMs and nothing spins between calls.
/// Setting the environment variable `ACIM_INTEGER_GEMM=off` turns the path off (everything runs on sgemm).
public enum IntegerGEMM {
    /// How the int8 kernels of this CPU sum products.
    public enum Summation: Sendable, Equatable {
        /// In 32-bit accumulators (VNNI, AMX): exact for every 8-bit operand.
        case exact
        /// Pairs of products in saturating 16-bit sums first (int8 kernels without VNNI).
        case saturatingPairs
        /// No integer path.
        case unavailable
    }

    /// Whether the integer path is in use, and why not when it is not.
    public struct Status: Sendable, Equatable {
        public let summation: Summation
        /// The instruction set oneDNN dispatches to, for example `avx512_core_vnni`.
        public let isa: String
        /// Why the path is off; nil when it is on.
        public let reason: String?

        /// Whether exact integer GEMMs run.
        public var isOn: Bool { reason == nil }

        /// One line for `acim info`.
        public var description: String {
            switch (summation, reason) {
            case (.exact, nil): return "oneDNN int8 matmul (\(isa)), exact 32-bit sums; sgemm where cell levels are not integers"
            case (.saturatingPairs, nil):
                return "oneDNN int8 matmul (\(isa)), 16-bit pair sums checked per array; sgemm where they could saturate or cell levels are not integers"
            case (_, let reason?): return "off (\(reason)); every GEMM runs on sgemm"
            default: return "off"
            }
        }
    }

    /// The status, probed once per process.
    public static let status: Status = {
        var name = [CChar](repeating: 0, count: 64)
        let found = acim_igemm_probe(&name, name.count)
        let isa = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let summation: Summation = switch found {
        case ACIM_IGEMM_EXACT: .exact
        case ACIM_IGEMM_SATURATING: .saturatingPairs
        default: .unavailable
        }
        if let setting = ProcessInfo.processInfo.environment["ACIM_INTEGER_GEMM"]?.lowercased(),
           ["off", "0", "no", "false"].contains(setting) {
            return Status(summation: summation, isa: isa, reason: "ACIM_INTEGER_GEMM=\(setting)")
        }
        if summation == .unavailable {
            return Status(summation: summation, isa: isa, reason: "oneDNN has no int8 matmul for this CPU (\(isa))")
        }
        return Status(summation: summation, isa: isa, reason: nil)
    }()

    /// Whether `A` entries in `0...maxA` times `B` entries of magnitude at most `maxB`, summed over `depth`,
    /// give exact results on the integer path: every operand fits 8 bits, every sum stays below 2^24, and
    /// without VNNI no pair of products exceeds the 16-bit range.
    public static func isExact(maxA: Int, maxB: Int, depth: Int) -> Bool {
        guard status.isOn, (0...255).contains(maxA), (0...127).contains(maxB) else { return false }
        guard depth * maxA * maxB < 1 << 24 else { return false }
        return status.summation == .exact || 2 * maxA * maxB <= Int(Int16.max)
    }

    /// `c (m x b.columns) = a (m x b.rows) * b`, row-major, on the calling thread; false when oneDNN failed
    /// (the caller then runs sgemm).
    public static func multiply(_ a: UnsafePointer<UInt8>, rows m: Int, by b: PackedMatrix,
                                into c: UnsafeMutablePointer<Float>) -> Bool {
        guard m > 0 else { return true }
        guard let plan = Plan.shared(m: m, k: b.rows, n: b.columns), let weights = b.weights(for: plan) else { return false }
        return acim_igemm_execute(plan.handle, a, weights, c) == 0
    }

    /// A signed 8-bit matrix (`rows x columns`, the GEMM's right operand) packed for the kernels.
    public final class PackedMatrix: @unchecked Sendable {
        public let rows: Int
        public let columns: Int
        /// The plain values (row-major), kept to pack again for a kernel that wants another layout.
        public let values: [Int8]
        /// The sum of each column's values.
        public let columnSums: [Int]
        private let lock = NSLock()
        /// Packings by plan, each with the kernel's weights operand over it: nearly always one, shared by every
        /// row count.
        private var packings: [(plan: Plan, bytes: UnsafeMutableRawPointer, weights: UnsafeMutableRawPointer)] = []

        /// Packs `values` (row-major, `rows x columns`); nil when the integer path is off or oneDNN failed.
        public init?(rows: Int, columns: Int, values: [Int8]) {
            precondition(values.count == rows * columns, "packed matrix: \(values.count) values for \(rows)x\(columns)")
            guard status.isOn, rows > 0, columns > 0 else { return nil }
            self.rows = rows
            self.columns = columns
            self.values = values
            var sums = [Int](repeating: 0, count: columns)
            for w in 0..<rows {
                for c in 0..<columns { sums[c] += Int(values[w * columns + c]) }
            }
            columnSums = sums
            // The layout of a chunk-sized GEMM: every row count uses it on the kernels seen so far.
            guard let plan = Plan.shared(m: 32, k: rows, n: columns), weights(for: plan) != nil else { return nil }
        }

        deinit {
            for packing in packings {
                acim_igemm_weights_destroy(packing.weights)
                packing.bytes.deallocate()
            }
        }

        /// Bytes held by the packings.
        public var packedBytes: Int {
            lock.lock()
            defer { lock.unlock() }
            return packings.reduce(0) { $0 + acim_igemm_packed_size($1.plan.handle) }
        }

        /// The kernel's weights operand over the values packed for `plan`, packed on first use.
        fileprivate func weights(for plan: Plan) -> UnsafeRawPointer? {
            lock.lock()
            defer { lock.unlock() }
            if let found = packings.first(where: { acim_igemm_same_packing($0.plan.handle, plan.handle) != 0 }) {
                return UnsafeRawPointer(found.weights)
            }
            let bytes = UnsafeMutableRawPointer.allocate(byteCount: max(1, acim_igemm_packed_size(plan.handle)), alignment: 64)
            let packed = values.withUnsafeBufferPointer { acim_igemm_pack(plan.handle, $0.baseAddress!, Int64(columns), bytes) }
            guard packed == 0, let weights = acim_igemm_weights(plan.handle, bytes) else {
                bytes.deallocate()
                return nil
            }
            packings.append((plan, bytes, weights))
            return UnsafeRawPointer(weights)
        }
    }

    /// One matmul primitive per shape, made once per process and kept.
    fileprivate final class Plan: @unchecked Sendable {
        let handle: OpaquePointer

        private init(handle: OpaquePointer) { self.handle = handle }

        private struct Shape: Hashable {
            let m: Int, k: Int, n: Int
        }

        private static let lock = NSLock()
        nonisolated(unsafe) private static var plans: [Shape: Plan] = [:]

        /// The plan of an `m x k` times `k x n` GEMM; nil when oneDNN cannot make it.
        static func shared(m: Int, k: Int, n: Int) -> Plan? {
            let shape = Shape(m: m, k: k, n: n)
            lock.lock()
            defer { lock.unlock() }
            if let plan = plans[shape] { return plan }
            guard let handle = acim_igemm_plan_create(Int64(m), Int64(k), Int64(n)) else { return nil }
            let plan = Plan(handle: handle)
            plans[shape] = plan
            return plan
        }
    }
}
