import ACIMCore

/// Identifies the reads of one MVM call for the random streams. Read noise is keyed by the identity of
/// each input vector, never by its place in a batch: vector `b` of a call is read number
/// `firstVector + b`, so the same reads give the same noise whatever the engine, the thread count or how a
/// caller splits them into batches.
public struct ReadContext: Sendable, Equatable {
    public var seed: UInt64
    /// The identity of the call's first input vector; callers number every read they make once.
    public var firstVector: UInt64

    public init(seed: UInt64, firstVector: UInt64) {
        self.seed = seed
        self.firstVector = firstVector
    }

    /// The read-noise stream of vector `vector` of this call on `array`.
    @inlinable
    public func readNoise(array: ArrayID, vector: Int) -> RandomStream {
        RandomStream(seed: seed, array: array, purpose: .readNoise, event: firstVector &+ UInt64(vector))
    }
}

/// The outputs of a batch of MVMs and what they cost.
public struct MVMResult: Sendable {
    /// `vectors x outputs` dot products in code units (sum of input code x weight code), in logical order.
    public var outputs: Matrix<Double>
    public var cost: MVMCost
}

/// An engine that runs a batch of bit-serial MVMs on a programmed crossbar.
public protocol MVMEngine: Sendable {
    /// Runs `inputs` (`vectors x rows` codes in logical row order) through `crossbar`.
    func run(_ crossbar: Crossbar, inputs: Matrix<Int32>, context: ReadContext) throws -> MVMResult
}

extension Crossbar {
    /// The mapping and readout of a programmed array, or an error naming what is missing.
    func programmedState() throws -> (WeightMapping, ArrayReadout) {
        guard let mapping, let readout else {
            throw ACIMError.inconsistentParameters("the crossbar has no weights: program it before running an MVM")
        }
        return (mapping, readout)
    }

    /// The analog sum that maps to the ADC's top code: `connectedCells` when the range follows the
    /// connected cells (`rescales`), else all `mappedRows`.
    @inlinable
    public func fullScale(connectedCells: Int, rescales: Bool, mappedRows: Int) -> Float {
        let cells = rescales ? connectedCells : mappedRows
        return adcRangeFraction * Float(cells * layout.maxDigit * layout.maxLevel)
    }

    /// The counter, in one vector's read-noise stream, of the sample of (pass, phase, column).
    @inlinable
    func noiseIndex(pass: Int, phase: Int, column: Int, columns: Int) -> UInt64 {
        UInt64((pass * layout.phasesPerPass + phase) * columns + column)
    }
}

/// What turns the pass sums of weight group `g` into logical output `outputOrder[g]`: the passes added in
/// order (`0 + pass 0 + pass 1 + ...`), times the output's drift-compensation factor, less the digital
/// correction of offset-encoded inputs. The FastEngine makes it once per programmed array (`PreparedReadout`),
/// the ReferenceEngine once per call.
struct OutputCorrection {
    /// Per weight group, the logical output it holds.
    let outputs: [Int]
    /// Per weight group, its output's compensation factor; empty when compensation is off.
    let factors: [Double]
    /// Per weight group, the input offset times its output's column sum of weights.
    let offsets: [Double]

    init(mapping: WeightMapping, inputOffset: Int64, factors: [Double]?) {
        outputs = mapping.outputOrder
        self.factors = factors.map { factors in mapping.outputOrder.map { factors[$0] } } ?? []
        offsets = mapping.outputOrder.map { Double(inputOffset) * Double(mapping.weightColumnSums[$0]) }
    }

    /// The outputs of `vectors` vectors, rows of `groups` in logical order at `outputs`, from their group
    /// sums: pass `p` of vector `b` at `passes[p] + b * groups`, in weight-group order.
    func apply(vectors: Int, passes: UnsafeBufferPointer<UnsafePointer<Double>>,
               into outputs: UnsafeMutablePointer<Double>) {
        let groups = self.outputs.count
        let total = UnsafeMutablePointer<Double>.allocate(capacity: groups)
        defer { total.deallocate() }
        self.outputs.withUnsafeBufferPointer { order in
        offsets.withUnsafeBufferPointer { offsets in
        factors.withUnsafeBufferPointer { factors in
            for b in 0..<vectors {
                total.update(repeating: 0, count: groups)
                for sums in passes {
                    let pass = sums + b * groups
                    for g in 0..<groups { total[g] += pass[g] }
                }
                let row = outputs + b * groups
                if factors.isEmpty {
                    for g in 0..<groups { row[order[g]] = total[g] - offsets[g] }
                } else {
                    for g in 0..<groups { row[order[g]] = total[g] * factors[g] - offsets[g] }
                }
            }
        }
        }
        }
    }
}
