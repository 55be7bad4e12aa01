import ACIMCore

/// The matrices an MVM reads at one simulated time: effective cell levels and per-read noise.
public struct ArrayReadout: Sendable {
    /// `(g - g_min) / level step` of every used cell: used word lines x mapped columns.
    public internal(set) var levels: Matrix<Float>
    /// Per-read noise variance of every used cell in squared level units; nil when reads are noise-free.
    public let readVariance: Matrix<Float>?
}

/// One crossbar: its configuration, the weights mapped onto it, its cells and periphery state.
public struct Crossbar: Sendable {
    public let config: CrossbarConfig
    public let layout: CrossbarLayout
    /// Index of this array on the chip; keys its random streams.
    public let id: UInt64
    public let device: IdealDevice
    public internal(set) var cells: CellArray
    /// The mapping of the programmed weights; nil before programming.
    public internal(set) var mapping: WeightMapping?
    /// What an MVM reads now; nil before programming.
    public internal(set) var readout: ArrayReadout?
    /// Fraction of the full-scale column sum at the ADC's top code (1 unless calibrated).
    public private(set) var adcRangeFraction: Float = 1

    /// Cells one array may hold (DESIGN.md section 7: requests beyond the machine are refused up front).
    public static let maximumCells = 1 << 24

    /// An unprogrammed array; throws the first configuration problem.
    public init(config: CrossbarConfig, id: UInt64 = 0) throws {
        _ = try config.validated()
        let cellCount = config.array.rows * config.array.cols
        guard cellCount <= Crossbar.maximumCells else {
            throw ACIMError.resourceLimit("an array of \(config.array.rows)x\(config.array.cols) cells exceeds \(Crossbar.maximumCells) cells")
        }
        self.config = config
        self.layout = CrossbarLayout(config: config)
        self.id = id
        self.device = IdealDevice(config: config.device, bitsPerCell: layout.mode == .xnor ? 1 : config.array.bitsPerCell)
        self.cells = CellArray(wordLines: config.array.rows, columns: config.array.cols)
    }

    /// Maps `weights` (`rows x outputs` signed codes) onto the array and programs every used cell at
    /// simulated time `time`, drawing programming noise from the stream keyed by `seed`.
    public mutating func program(weights: Matrix<Int32>, at time: Double = 0, seed: UInt64) throws {
        let mapping = try WeightMapping(weights: weights, config: config)
        let noise = RandomStream(seed: seed, array: id, purpose: .programmingNoise, step: UInt64(time.bitPattern))
        let wordLines = mapping.levels.rows
        for w in 0..<config.array.rows {
            for c in 0..<config.array.cols {
                let index = w * cells.columns + c
                let level = w < wordLines && c < mapping.mappedColumns ? mapping.levels[w, c] : 0
                programCell(index, to: level, noise: noise, at: time)
            }
        }
        self.mapping = mapping
        self.readout = materializeReadout(mapping: mapping)
        self.adcRangeFraction = 1
    }

    /// Maps `weights` onto the array without programming the weight cells: they stay at level 0 until
    /// `programWeight` writes them (a device controller programs the weights from its references). The
    /// offset column, part of the periphery, is programmed at `time` with noise keyed by `seed`.
    public mutating func map(weights: Matrix<Int32>, at time: Double = 0, seed: UInt64) throws {
        let mapping = try WeightMapping(weights: weights, config: config)
        cells = CellArray(wordLines: config.array.rows, columns: config.array.cols)
        let zero = Float(device.target(level: 0))
        for index in cells.conductance.indices { cells.conductance[index] = zero }
        if let offsetColumn = mapping.offsetColumn {
            let noise = RandomStream(seed: seed, array: id, purpose: .programmingNoise, step: UInt64(time.bitPattern))
            for w in 0..<mapping.levels.rows {
                programCell(w * cells.columns + offsetColumn, to: mapping.levels[w, offsetColumn], noise: noise, at: time)
            }
        }
        self.mapping = mapping
        self.readout = materializeReadout(mapping: mapping)
        self.adcRangeFraction = 1
    }

    /// Programs cell `index` to `level` at `time`, its noise the stream's sample at the cell index.
    mutating func programCell(_ index: Int, to level: UInt8, noise: RandomStream, at time: Double) {
        cells.targetLevel[index] = level
        cells.conductance[index] = Float(device.programmed(level: level, gaussian: noise.gaussian(at: UInt64(index))))
        cells.programmedAt[index] = time
        cells.writeCount[index] &+= 1
    }

    private func materializeReadout(mapping: WeightMapping) -> ArrayReadout {
        let step = device.levelStep
        let gMin = config.device.gMin.value
        let levels = Matrix<Float>(rows: mapping.levels.rows, columns: mapping.mappedColumns) { w, c in
            Float((Double(cells.conductance[w * cells.columns + c]) - gMin) / step)
        }
        let sigma = device.readNoiseInLevels
        let variance = sigma > 0
            ? Matrix<Float>(rows: levels.rows, columns: levels.columns, repeating: Float(sigma * sigma))
            : nil
        return ArrayReadout(levels: levels, readVariance: variance)
    }

    /// Sets the ADC range to the `percentile` of the column sums the `inputs` produce
    /// (a fraction of the full-scale sum), as `range: calibrated` asks.
    public mutating func calibrateADC(inputs: Matrix<Int32>, percentile: Double) throws {
        let fractions = try FastEngine().fullScaleFractions(self, inputs: inputs)
        guard !fractions.isEmpty else { return }
        let sorted = fractions.sorted()
        let rank = min(sorted.count - 1, max(0, Int((percentile / 100 * Double(sorted.count)).rounded(.up)) - 1))
        adcRangeFraction = max(sorted[rank], 1 / ADC(bits: config.periphery.adc.bits).topCode)
    }
}
