import ACIMArray
import ACIMCore

/// A programmed crossbar as the device controller sees it: functional checks read its bit lines through
/// the ADCs, one-hot reads run bit-accurately through the FastEngine (DACs, ADCs, shift-and-add, read
/// noise), program pulses rewrite the cells of one weight and verify reads sense its cells directly.
///
/// A one-hot read of a row returns every column of that row from one MVM, so the result is kept until
/// the row is pulsed or the array's time moves on; every MVM draws fresh read noise.
public struct ManagedCrossbar: ManagedArray {
    /// What the controller has done to one array so far, which keys its next random draws: kept across
    /// maintenance calls, so no two reads or pulses of an array draw the same noise.
    public struct Draws: Sendable, Equatable, Codable {
        /// Input vectors the controller has read: the next read's identity. Controller reads number from
        /// 2^63, inference reads from 0, so the two never share read noise.
        public var vectors: UInt64 = 1 << 63
        public var pulses: UInt64 = 0
        /// Program-and-verify reads; each draws its own read noise.
        public var verifyReads: UInt64 = 0

        public init() {}
    }

    public private(set) var crossbar: Crossbar
    /// Seed of the read-noise and programming-noise streams.
    public let seed: UInt64
    public let rows: Int
    public let columns: Int
    public let weightBits: Int
    public let checkColumnOutputs: [Int]
    public private(set) var draws: Draws
    private var rowReads: [Int: [Double]] = [:]
    private var rowReadsTime = -Double.infinity
    private let engine = FastEngine()

    /// The programmed `crossbar` as the controller sees it, continuing from `draws`.
    public init(crossbar: Crossbar, seed: UInt64, draws: Draws = Draws()) throws {
        guard crossbar.mapping != nil else {
            throw ACIMError.inconsistentParameters("the crossbar has no weights: program it before the controller manages it")
        }
        self.init(mapped: crossbar, seed: seed, draws: draws)
    }

    /// `crossbar`, which has weights mapped, taken over without a copy of its cells.
    init(mapped crossbar: consuming Crossbar, seed: UInt64, draws: Draws) {
        let mapping = crossbar.mapping
        rows = mapping?.rows ?? 0
        columns = mapping?.outputs ?? 0
        weightBits = crossbar.config.array.weightBits
        let width = crossbar.layout.columnsPerWeight
        checkColumnOutputs = mapping.map { mapping in
            (0..<mapping.outputs * width).map { mapping.outputOrder[$0 / width] }
        } ?? []
        self.crossbar = crossbar
        self.seed = seed
        self.draws = draws
    }

    /// The weight in LSB of one level of every cell of a weight.
    private var cellWeights: [Double] {
        let layout = crossbar.layout
        let pairs = crossbar.config.array.weightEncoding == .differential && layout.mode != .xnor ? 2 : 1
        return (0..<layout.slices).flatMap { k in
            [Double](repeating: Double(1 << (k * crossbar.config.array.bitsPerCell)), count: pairs)
        }
    }

    private var levelStep: Double { crossbar.device.levelStep }

    // MARK: Checks

    /// Standard deviation of one read of one cell, in levels: the per-read noise and, for drifting
    /// devices, the accumulated read noise at the array's time (counted from the first programming, an
    /// upper bound), at the level where it is largest.
    private var cellReadNoise: Double {
        let model = crossbar.device.model
        let accumulated = (0...crossbar.device.maxLevel).map {
            model.accumulatedNoise(conductance: crossbar.device.target(level: UInt8($0)), elapsed: crossbar.time)
        }.max() ?? 0
        let read = crossbar.device.readNoiseInLevels
        return (read * read + accumulated * accumulated / (levelStep * levelStep)).squareRoot()
    }

    public var checkNoise: Double {
        let model = crossbar.device.model
        let programming = (0...crossbar.device.maxLevel).map {
            model.programmingSigma(target: crossbar.device.target(level: UInt8($0)))
        }.max()! / levelStep
        return (cellReadNoise * cellReadNoise + programming * programming).squareRoot()
    }

    public var checkFullScalePerRow: Double { Double(crossbar.layout.maxLevel) }

    public func checkResolution(activeRows: Int) -> Double {
        max(1, adcStep(activeRows: activeRows)) / 2 / Double(crossbar.layout.maxDigit)
    }

    /// The ADC code step, in unit products, of a read with `activeRows` rows driven.
    private func adcStep(activeRows: Int) -> Double {
        guard let mapping = crossbar.mapping else { return .infinity }
        let gate = SparsityGate(config: crossbar.config, mapping: mapping)
        let gated = gate.applies(zeroRows: rows - activeRows, enabledRows: rows)
        let fullScale = crossbar.fullScale(connectedCells: activeRows, rescales: gated && gate.rescalesRange,
                                           mappedRows: rows)
        return Double(fullScale) / Double((1 << crossbar.config.periphery.adc.bits) - 1)
    }

    /// How far the mean programmed level of each level lies above the level (programming noise clamped at
    /// zero conductance lifts level 0), in levels.
    private var levelBias: [Double] {
        let device = crossbar.device
        return (0...device.maxLevel).map {
            let target = device.target(level: UInt8($0))
            return (device.model.programmedMean(target: target) - target) / device.levelStep
        }
    }

    public func expectedCheckSums(_ vector: [Int32], weight: (Int, Int) -> ClosedRange<Int32>?)
        -> [(sum: Double, slack: Double)?] {
        let levelBias = self.levelBias
        guard let mapping = crossbar.mapping else { return [] }
        let layout = crossbar.layout
        let config = crossbar.config
        let width = layout.columnsPerWeight
        var sums = [Double](repeating: 0, count: checkColumnOutputs.count)
        var slack = [Double](repeating: 0, count: checkColumnOutputs.count)
        var known = [Bool](repeating: true, count: checkColumnOutputs.count)
        var spread: [ClosedRange<Int32>: [(level: Double, slack: Double)]] = [:]
        for r in 0..<rows where vector[r] != 0 {
            for g in 0..<columns {
                let output = mapping.outputOrder[g]
                guard let range = weight(r, output) else {
                    for k in 0..<width { known[g * width + k] = false }
                    continue
                }
                if spread[range] == nil {
                    // The levels of the reconstructed (mid-point) weight and how far any weight of the range
                    // moves each cell on word line 0.
                    let mid = Int(range.lowerBound) + (Int(range.upperBound) - Int(range.lowerBound) + 1) / 2
                    let driven = { (w: Int) in
                        WeightMapping.cells(of: w, config: config, layout: layout).filter { $0.wordLine == 0 }
                    }
                    let center = driven(mid)
                    var deviation = [Double](repeating: 0, count: center.count)
                    for w in Int(range.lowerBound)...Int(range.upperBound) {
                        for (i, cell) in driven(w).enumerated() {
                            deviation[i] = max(deviation[i], abs(Double(cell.level) - Double(center[i].level)))
                        }
                    }
                    spread[range] = zip(center, deviation).map { (Double($0.level) + levelBias[Int($0.level)], $1) }
                }
                for (k, cell) in spread[range]!.enumerated() {
                    sums[g * width + k] += Double(vector[r]) * cell.level
                    slack[g * width + k] += cell.slack
                }
            }
        }
        return (0..<sums.count).map { known[$0] ? (sums[$0], slack[$0]) : nil }
    }

    public var time: Double { crossbar.time }
    public var temperature: Double { crossbar.temperature }

    public mutating func checkSums(_ vector: [Int32]) throws -> ColumnCheck {
        // With drift compensation on, the bit lines pass through the same digital factor as the outputs.
        let factors = crossbar.readout?.compensationFactors()
        var check = ColumnCheck(sums: [Double](repeating: 0, count: checkColumnOutputs.count), energy: 0, cycles: 0)
        for sign in [Int32(1), -1] {
            let driven = (0..<rows).filter { vector[$0] == sign }
            guard !driven.isEmpty else { continue }
            let read = try crossbar.readBitLines(rows: driven, context: nextReads(1))
            for k in check.sums.indices {
                check.sums[k] += Double(sign) * read.sums[k] * (factors?[checkColumnOutputs[k]] ?? 1)
            }
            check.energy += read.energy
            check.cycles += read.activity.cycles
        }
        return check
    }

    // MARK: Reads of one weight

    public var readNoise: Double {
        cellReadNoise * cellWeights.reduce(0) { $0 + $1 * $1 }.squareRoot()
    }

    public var readResolution: Double {
        let step = adcStep(activeRows: 1)
        // A code step finer than one unit product decodes exactly; otherwise each cell's conversion may be
        // off by half a step per phase of the read code.
        return step < 1 ? 0 : step / 2 * cellWeights.reduce(0, +) * Double(crossbar.layout.phasesPerPass) / readCode
    }

    /// The input code a one-hot read drives: the largest positive input, so the read uses the ADC range
    /// inference uses; outputs are divided by it.
    private var readCode: Double {
        let periphery = crossbar.config.periphery
        if crossbar.layout.mode == .xnor { return 1 }
        return Double(periphery.inputEncoding == .unsigned ? (1 << periphery.inputBits) - 1
            : (1 << (periphery.inputBits - 1)) - 1)
    }

    public mutating func readWeight(row: Int, column: Int) throws -> Double {
        if crossbar.time != rowReadsTime {
            rowReads = [:]
            rowReadsTime = crossbar.time
        }
        if let cached = rowReads[row] { return cached[column] }
        var input = [Int32](repeating: 0, count: rows)
        input[row] = Int32(readCode)
        let result = try engine.run(crossbar, inputs: Matrix(rows: 1, columns: rows, storage: input),
                                    context: nextReads(1))
        let values = (0..<columns).map { result.outputs[0, $0] / readCode }
        rowReads[row] = values
        return values[column]
    }

    public mutating func verifyRead(row: Int, column: Int) -> Double {
        draws.verifyReads += 1
        let noise = RandomStream(seed: seed, array: crossbar.id, purpose: .verifyRead, event: draws.verifyReads)
        return ((try? crossbar.effectiveWeight(row: row, output: column)) ?? .nan) + verifyNoise * noise.gaussian(at: 0)
    }

    /// The device's per-read noise over the weight's cells; the model's accumulated noise is already in
    /// the conductances the read senses.
    public var verifyNoise: Double {
        crossbar.device.readNoiseInLevels * cellWeights.reduce(0) { $0 + $1 * $1 }.squareRoot()
    }

    // MARK: Programming and ground truth

    public mutating func programPulse(row: Int, column: Int, target: Int32) -> Bool {
        draws.pulses += 1
        forgetReads(ofRow: row)
        return (try? crossbar.programWeight(row: row, output: column, to: target, seed: seed,
                                            pulse: draws.pulses)) ?? false
    }

    public var driftCompensation: DriftCompensation { crossbar.config.device.driftCompensation }

    /// The effective weight the outputs see at the array's time: the cells' value times the
    /// drift-compensation factor.
    public func effectiveWeight(row: Int, column: Int) -> Double {
        let factor = crossbar.readout?.compensationFactor(output: column) ?? 1
        return ((try? crossbar.effectiveWeight(row: row, output: column)) ?? .nan) * factor
    }

    /// Moves the array to `time` and `temperature` (kelvin): for an array that is its own clock (a study
    /// of one array); on a chip, the chip moves time.
    public mutating func setTime(_ time: Double, temperature: Double? = nil) {
        crossbar.setTime(time, temperature: temperature)
        rowReads = [:]
        rowReadsTime = -Double.infinity
    }

    /// Calibrates the ADC range on `inputs` when the configuration asks for a calibrated range.
    public mutating func calibrateADC(inputs: Matrix<Int32>) throws {
        let adc = crossbar.config.periphery.adc
        guard adc.range == .calibrated else { return }
        try crossbar.calibrateADC(inputs: inputs, percentile: adc.percentile)
    }

    /// Counts inference reads of the array (read disturb).
    public mutating func recordReads(_ count: Int) {
        crossbar.recordReads(count)
    }

    /// Runs one inference batch at the array's current time.
    public mutating func infer(_ inputs: Matrix<Int32>) throws -> MVMResult {
        return try engine.run(crossbar, inputs: inputs, context: nextReads(inputs.rows))
    }

    /// The read context of the next `count` input vectors.
    private mutating func nextReads(_ count: Int) -> ReadContext {
        defer { draws.vectors &+= UInt64(count) }
        return ReadContext(seed: seed, firstVector: draws.vectors)
    }

    /// Fault injection on the underlying crossbar (see `Crossbar.degradeWeight` and `stickWeight`).
    public mutating func degrade(row: Int, column: Int, by factor: Double) throws {
        try crossbar.degradeWeight(row: row, output: column, by: factor)
        forgetReads(ofRow: row)
    }

    /// Drops the kept one-hot reads a change to `row` makes stale: that row's, or every row's when drift
    /// compensation is on, since its factor, applied to every output, follows every weight.
    private mutating func forgetReads(ofRow row: Int) {
        if driftCompensation == .none { rowReads[row] = nil } else { rowReads = [:] }
    }

    public mutating func stick(row: Int, column: Int) throws {
        try crossbar.stickWeight(row: row, output: column)
    }
}
