import ACIMCore
import Dispatch
import Testing
@testable import ACIMArray

/// The FastEngine keeps what it prepares from an array's mapping and readout between calls: a change of
/// the mapping, the readout or the ADC range must be seen by the next call, on that array only, and the
/// thread count it runs on never changes a result.
@Suite struct PreparedReadoutTests {
    /// A drifting PCM array with read noise and per-column drift compensation; gating disables the
    /// all-zero logical row 3 and output 5 statically.
    static func array() throws -> Crossbar {
        var config = CrossbarConfig()
        config.array.rows = 64
        config.array.cols = 64
        config.periphery.inputEncoding = .twoPass
        config.device = DeviceArray.device(.pcm)
        config.device.readNoise = Quantity(0.3e-6)
        config.device.driftCompensation = .perColumn
        config.periphery.sparsity.enabled = true
        var rng = RandomStream(seed: 41, purpose: .userInput)
        let weights = Matrix<Int32>(rows: 64, columns: 8) { r, c in
            r == 3 || c == 5 ? 0 : Int32(rng.next() % 255) - 127
        }
        var crossbar = try Crossbar(config: config, id: testArray, temperature: 300)
        try crossbar.program(weights: weights, seed: 3)
        crossbar.setTime(3600)
        return crossbar
    }

    /// 40 vectors of 8-bit two-pass codes: two chunks.
    static let inputs: Matrix<Int32> = {
        var rng = RandomStream(seed: 5, purpose: .userInput)
        return Matrix(rows: 40, columns: 64) { _, _ in Int32(rng.next() % 255) - 127 }
    }()

    static func run(_ crossbar: Crossbar, engine: FastEngine = FastEngine()) throws -> [Double] {
        try engine.run(crossbar, inputs: inputs, context: ReadContext(seed: 4, firstVector: 0)).outputs.storage
    }

    /// The changes that must empty the prepared readout.
    enum Change: CaseIterable, Sendable {
        case programWeight, setTime, calibrateADC, degradeWeight, program

        func apply(to crossbar: inout Crossbar) throws {
            switch self {
            case .programWeight:
                // Enables the statically disabled row 3 and output 5 again.
                try crossbar.programWeight(row: 3, output: 5, to: 90, seed: 7, pulse: 1)
            case .setTime:
                crossbar.setTime(86_400 * 30)
            case .calibrateADC:
                try crossbar.calibrateADC(inputs: PreparedReadoutTests.inputs, percentile: 90)
            case .degradeWeight:
                try crossbar.degradeWeight(row: 0, output: 0, by: 0.5)
            case .program:
                try crossbar.program(weights: Matrix(rows: 64, columns: 8) { r, c in Int32((r * 8 + c) % 200) - 100 },
                                     seed: 5)
            }
        }
    }

    @Test(arguments: Change.allCases)
    func aChangeIsSeenByTheNextCall(_ change: Change) throws {
        var used = try Self.array()
        let before = try Self.run(used)
        let copy = used
        try change.apply(to: &used)
        // The same state reached without a call before the change.
        var fresh = try Self.array()
        try change.apply(to: &fresh)
        let after = try Self.run(used)
        #expect(after == (try Self.run(fresh)))
        #expect(after != before)
        // A copy taken before the change keeps its own state.
        #expect(try Self.run(copy) == before)
    }

    /// Results are bit-identical on one thread, two, and OpenBLAS's configured count.
    @Test func threadCountDoesNotChangeResults() throws {
        let crossbar = try Self.array()
        let configured = try Self.run(crossbar)
        #expect(try Self.run(crossbar, engine: FastEngine(threads: 1)) == configured)
        #expect(try Self.run(crossbar, engine: FastEngine(threads: 2)) == configured)
        #expect(FastEngine(threads: 0).threads == 1)
        #expect(FastEngine().threads == nil)
    }

    /// Copies of one array run concurrently, each on one thread, prepare once and agree with a lone call.
    @Test func concurrentCallsOnCopiesAgree() throws {
        let crossbar = try Self.array()
        let expected = try Self.run(crossbar)
        let results = UnsafeMutableBufferPointer<[Double]>.allocate(capacity: 8)
        defer { results.deallocate() }
        results.initialize(repeating: [])
        var moved = crossbar
        moved.setTime(7200)
        let changed = moved
        let shared = Unchecked(value: results)
        DispatchQueue.concurrentPerform(iterations: 8) { k in
            shared.value[k] = (try? Self.run(k % 2 == 0 ? crossbar : changed, engine: FastEngine(threads: 1))) ?? []
        }
        let expectedChanged = try Self.run(changed)
        for k in 0..<8 { #expect(results[k] == (k % 2 == 0 ? expected : expectedChanged)) }
    }
}
