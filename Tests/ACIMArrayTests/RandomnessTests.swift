import ACIMCore
import Testing
@testable import ACIMArray

/// Random streams never collide: arrays, purposes and reads each have their own, and read noise follows
/// the identity of the input vector, so a result does not depend on batching or thread count.
@Suite(.serialized) struct RandomnessTests {
    /// A drifted PCM array with read noise, so every MVM draws random numbers.
    static func noisyArray(_ id: ArrayID) throws -> Crossbar {
        var config = CrossbarConfig()
        config.array.rows = 64
        config.array.cols = 64
        config.periphery.inputEncoding = .twoPass
        config.periphery.adc.columnsPerADC = 8
        config.device = DeviceArray.device(.pcm)
        config.device.readNoise = Quantity(0.4e-6)
        var rng = RandomStream(seed: 77, purpose: .userInput)
        let weights = Matrix<Int32>(rows: 64, columns: 8) { _, _ in Int32(rng.next() % 255) - 127 }
        var crossbar = try Crossbar(config: config, id: id, temperature: 300)
        try crossbar.program(weights: weights, seed: 3)
        crossbar.setTime(86_400)
        return crossbar
    }

    static func inputs(_ crossbar: Crossbar, vectors: Int) -> Matrix<Int32> {
        var rng = RandomStream(seed: 5, purpose: .userInput)
        let rows = crossbar.mapping!.rows
        let top = Int32((1 << (crossbar.config.periphery.inputBits - 1)) - 1)
        return Matrix(rows: vectors, columns: rows) { _, _ in Int32(rng.next() % UInt64(2 * top + 1)) - top }
    }

    @Test func arraysWithEqualWeightsDrawDifferentNoise() throws {
        let a = try Self.noisyArray(ArrayID(tile: 0, slot: 0))
        let b = try Self.noisyArray(ArrayID(tile: 0, slot: 1))
        let c = try Self.noisyArray(ArrayID(tile: 1, slot: 0))
        #expect(a.mapping!.codes == b.mapping!.codes)
        // Programming noise and the drifted conductances differ cell by cell...
        #expect(a.cells.conductance != b.cells.conductance)
        #expect(a.cells.conductance != c.cells.conductance)
        // ...and so does the read noise of the same input.
        let x = Self.inputs(a, vectors: 16)
        let context = ReadContext(seed: 9, firstVector: 0)
        let ya = try FastEngine().run(a, inputs: x, context: context).outputs
        let yb = try FastEngine().run(b, inputs: x, context: context).outputs
        #expect(ya != yb)
    }

    @Test func streamsOfDifferentPurposesAreIndependent() {
        let array = ArrayID(tile: 2, slot: 3)
        // A verify read and an MVM read with the same count draw unrelated values.
        let verify = RandomStream(seed: 1, array: array, purpose: .verifyRead, event: 4)
        let mvm = ReadContext(seed: 1, firstVector: 4).readNoise(array: array, vector: 0)
        let n = 20_000
        let a = (0..<n).map { verify.gaussian(at: UInt64($0)) }
        let b = (0..<n).map { mvm.gaussian(at: UInt64($0)) }
        #expect(a != b)
        let correlation = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } / Double(n)
        #expect(abs(correlation) < 4 / Double(n).squareRoot())
        // Every purpose of every owner has its own key.
        var keys = Set<UInt64>()
        for purpose in ArrayRandomPurpose.allCases {
            for owner in [ArrayID(tile: 0, slot: 0), ArrayID(tile: 0, slot: 1), ArrayID(tile: 1, slot: 0)] {
                keys.insert(RandomStream(seed: 1, array: owner, purpose: purpose, event: 0).key)
            }
        }
        for purpose in RandomPurpose.allCases {
            for lane: UInt64 in 0..<3 { keys.insert(RandomStream(seed: 1, lane: lane, purpose: purpose).key) }
        }
        #expect(keys.count == 3 * (ArrayRandomPurpose.allCases.count + RandomPurpose.allCases.count))
    }

    /// The same 64 reads give bit-identical outputs whether run as one batch, as batches of 7 or one by one,
    /// on both engines, and with one or two threads.
    @Test func outputsDoNotDependOnBatchingOrThreads() throws {
        let crossbar = try Self.noisyArray(ArrayID(tile: 4, slot: 1))
        let x = Self.inputs(crossbar, vectors: 64)
        func run(batch: Int, engine: any MVMEngine) throws -> [Double] {
            var outputs: [Double] = []
            for start in stride(from: 0, to: x.rows, by: batch) {
                let rows = start..<min(start + batch, x.rows)
                let part = Matrix(rows: rows.count, columns: x.columns,
                                  storage: Array(x.storage[rows.lowerBound * x.columns..<rows.upperBound * x.columns]))
                let context = ReadContext(seed: 2, firstVector: 1000 + UInt64(start))
                outputs += try engine.run(crossbar, inputs: part, context: context).outputs.storage
            }
            return outputs
        }
        let saved = BLAS.threadCount
        defer { BLAS.threadCount = saved }
        BLAS.threadCount = 2
        let whole = try run(batch: 64, engine: FastEngine())
        #expect(try run(batch: 7, engine: FastEngine()) == whole)
        #expect(try run(batch: 1, engine: FastEngine()) == whole)
        #expect(try run(batch: 7, engine: ReferenceEngine()) == whole)
        BLAS.threadCount = 1
        #expect(try run(batch: 64, engine: FastEngine()) == whole)
        #expect(try run(batch: 7, engine: FastEngine()) == whole)
        // Other reads of the same inputs draw other noise.
        let later = try FastEngine().run(crossbar, inputs: x, context: ReadContext(seed: 2, firstVector: 5000)).outputs
        #expect(later.storage != whole)
    }
}
