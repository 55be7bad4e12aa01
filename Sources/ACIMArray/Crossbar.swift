import ACIMCore

/// The matrices an MVM reads at one simulated time: effective cell levels and per-read noise.
public struct ArrayReadout: Sendable, Codable, Equatable {
    /// `(g - g_min) / level step` of every used cell at the array's current time: used word lines x mapped
    /// columns.
    public internal(set) var levels: Matrix<Float>
    /// Per-read noise variance of one cell in squared level units (the same for every cell); 0 when
    /// reads are noise-free.
    public let readVariance: Float
    /// Per logical output, `sum |W|` of the programmed codes and of the effective weights now, for drift
    /// compensation.
    public internal(set) var referenceMagnitude: [Double]
    public internal(set) var effectiveMagnitude: [Double]
    public let driftCompensation: DriftCompensation

    /// The digital factor each logical output is multiplied by (aihwkit's global drift compensation with
    /// an exact reference: `sum |W_ref| / sum |W(t)|`, per array or per column); nil when off.
    public func compensationFactors() -> [Double]? {
        switch driftCompensation {
        case .none:
            return nil
        case .global:
            let factor = ratio(referenceMagnitude.reduce(0, +), effectiveMagnitude.reduce(0, +))
            return [Double](repeating: factor, count: referenceMagnitude.count)
        case .perColumn:
            return zip(referenceMagnitude, effectiveMagnitude).map { ratio($0, $1) }
        }
    }

    /// The factor of logical output `output` alone (1 when compensation is off), without building every
    /// output's.
    public func compensationFactor(output: Int) -> Double {
        switch driftCompensation {
        case .none: return 1
        case .global: return ratio(referenceMagnitude.reduce(0, +), effectiveMagnitude.reduce(0, +))
        case .perColumn: return ratio(referenceMagnitude[output], effectiveMagnitude[output])
        }
    }

    private func ratio(_ reference: Double, _ effective: Double) -> Double {
        effective > 0 && reference > 0 ? reference / effective : 1
    }
}

/// One crossbar: its configuration, the weights mapped onto it, its cells and periphery state.
///
/// Cells age with simulated time: `setTime` moves the array to a time (and temperature) and materializes
/// what an MVM reads then, once per distinct time.
///
/// An array is saved and restored exactly (`Codable`) but for the FastEngine's prepared tables, a cache a
/// restored array makes again when it first needs them.
public struct Crossbar: Sendable, Codable, Equatable {
    public let config: CrossbarConfig
    public let layout: CrossbarLayout
    /// The array's place on the chip; keys its random streams.
    public let id: ArrayID
    public let device: CellDevice
    public internal(set) var cells: CellArray
    /// The mapping of the programmed weights; nil before programming.
    public internal(set) var mapping: WeightMapping? {
        didSet { preparedReadout = PreparedReadoutSlot() }
    }
    /// What an MVM reads now; nil before programming.
    public internal(set) var readout: ArrayReadout? {
        didSet { preparedReadout = PreparedReadoutSlot() }
    }
    /// Fraction of the full-scale column sum at the ADC's top code (1 unless calibrated).
    public private(set) var adcRangeFraction: Float = 1 {
        didSet { preparedReadout = PreparedReadoutSlot() }
    }
    /// What the FastEngine prepared from the mapping, the readout and the ADC range: emptied whenever
    /// any of them is written, shared by copies of the array until then.
    private(set) var preparedReadout = PreparedReadoutSlot()
    /// The simulated time, in seconds, and temperature, in kelvin, the readout is materialized for.
    public private(set) var time: Double = 0
    public private(set) var temperature: Double
    /// MVM reads of the array so far (read disturb).
    public private(set) var reads: UInt64 = 0
    /// The read count the readout was materialized with.
    private var readoutReads: UInt64 = 0
    /// Seed of the device noise streams (drift read noise), set when the array is programmed.
    public private(set) var noiseSeed: UInt64 = 0

    private enum CodingKeys: String, CodingKey {
        case config, layout, id, device, cells, mapping, readout, adcRangeFraction, time, temperature, reads,
             readoutReads, noiseSeed
    }

    /// Cells one array may hold: requests beyond the machine are refused up front.
    public static let maximumCells = 1 << 24

    /// An unprogrammed array at `id` on the chip, at `temperature` kelvin; throws the first configuration
    /// problem.
    public init(config: CrossbarConfig, id: ArrayID, temperature: Double) throws {
        _ = try config.validated()
        let layout = CrossbarLayout(config: config)
        let cellCount = config.array.rows * layout.deviceColumns
        guard cellCount <= Crossbar.maximumCells else {
            throw ACIMError.resourceLimit("an array of \(config.array.rows)x\(layout.deviceColumns) cells exceeds \(Crossbar.maximumCells) cells")
        }
        self.config = config
        self.layout = layout
        self.id = id
        self.device = CellDevice(config: config.device, bitsPerCell: layout.mode == .xnor ? 1 : config.array.bitsPerCell)
        self.temperature = temperature
        self.cells = CellArray(wordLines: config.array.rows, columns: layout.deviceColumns,
                               wordLinesPerSite: layout.wordLinesPerRow, columnsPerSite: layout.columnsPerWeight,
                               temperature: temperature)
    }

    /// Maps `weights` (`rows x outputs` signed codes) onto the array and programs every cell at simulated
    /// time `time`, drawing programming noise from the streams keyed by `seed`.
    public mutating func program(weights: Matrix<Int32>, at time: Double = 0, seed: UInt64) throws {
        let mapping = try WeightMapping(weights: weights, config: config)
        start(at: time, seed: seed)
        let streams = WriteStreams(seed: seed, array: id, event: UInt64(time.bitPattern))
        let wordLines = mapping.levels.rows
        for siteRow in 0..<(cells.wordLines + cells.wordLinesPerSite - 1) / cells.wordLinesPerSite {
            for siteColumn in 0..<cells.siteColumns {
                let site = siteRow * cells.siteColumns + siteColumn
                beginWrite(site: site)
                for index in cellIndices(ofSite: site) {
                    let w = index / cells.columns, c = index % cells.columns
                    let level = w < wordLines && c < mapping.mappedColumns ? mapping.levels[w, c] : 0
                    programCell(index, to: level, streams: streams)
                }
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
        start(at: time, seed: seed)
        // The cells are cleared to level 0 but keep their wear: write counts and stuck cells.
        let zero = Float(device.target(level: 0))
        for index in cells.conductance.indices where !cells.isStuck(index) {
            cells.setTargetLevel(index, 0)
            cells.conductance[index] = zero
            cells.driftExponent[index] = 0
        }
        if let offsetColumn = mapping.offsetColumn {
            let streams = WriteStreams(seed: seed, array: id, event: UInt64(time.bitPattern))
            for w in 0..<mapping.levels.rows {
                let index = w * cells.columns + offsetColumn
                beginWrite(site: cells.site(ofCell: index))
                programCell(index, to: mapping.levels[w, offsetColumn], streams: streams)
            }
        }
        self.mapping = mapping
        self.readout = materializeReadout(mapping: mapping)
        self.adcRangeFraction = 1
    }

    private mutating func start(at time: Double, seed: UInt64) {
        self.time = time
        self.noiseSeed = seed
        self.readoutReads = reads
    }

    /// The cells of weight site `site`, inside the array.
    func cellIndices(ofSite site: Int) -> [Int] {
        let siteRow = site / cells.siteColumns, siteColumn = site % cells.siteColumns
        let wordLines = siteRow * cells.wordLinesPerSite..<min(cells.wordLines, (siteRow + 1) * cells.wordLinesPerSite)
        let columns = siteColumn * cells.columnsPerSite..<min(cells.columns, (siteColumn + 1) * cells.columnsPerSite)
        return wordLines.flatMap { w in columns.map { w * cells.columns + $0 } }
    }

    /// Starts one write of the cells of `site` at the array's time: counts it and stamps the site with the
    /// time, temperature and read count. A write past the endurance limit leaves every cell of the site
    /// stuck instead, so the writes of its cells only check what they hold.
    mutating func beginWrite(site: Int) {
        let endurance = config.device.aging.endurance
        if endurance > 0 && Int(cells.writeCount[site]) >= endurance {
            cells.writeCount[site] &+= 1
            for index in cellIndices(ofSite: site) { cells.setStuck(index) }
        } else {
            cells.beginWrite(site: site, at: time, temperature: temperature, reads: reads)
        }
    }

    /// One write of cell `index` towards `level`, after `beginWrite` of its site, with programming noise,
    /// drift exponent and fault draws from `streams` at the cell index. A stuck cell keeps its conductance;
    /// a write the stuck probability hits leaves the cell stuck at the top or bottom conductance. Returns
    /// false when the cell did not take the level: it is stuck outside the level's half-step window.
    @discardableResult
    mutating func programCell(_ index: Int, to level: UInt8, streams: WriteStreams) -> Bool {
        guard !cells.isStuck(index) else { return holds(index, level: level) }
        let aging = config.device.aging
        let at = UInt64(index)
        cells.setTargetLevel(index, level)
        if aging.stuckProbability > 0
            && streams.faults.uniform(at: 2 * at) < aging.stuckProbability(writes: cells.writeCount[cells.site(ofCell: index)]) {
            // The fault holds the cell at an end from now on, without the drift of an earlier programming.
            cells.setStuck(index)
            let high = streams.faults.bits(at: 2 * at + 1) & 1 == 1
            cells.conductance[index] = Float(high ? device.model.gMax : device.model.gMin)
            cells.driftExponent[index] = 0
            return false
        }
        let target = device.target(level: level)
        cells.conductance[index] = Float(device.model.programmed(target: target, z: streams.programming.gaussian(at: at)))
        cells.driftExponent[index] = Float16(device.model.driftExponent(target: target, z: streams.driftExponent.gaussian(at: at)))
        return true
    }

    /// Whether cell `index` holds `level`: its conductance within half a level step of the level's target.
    private func holds(_ index: Int, level: UInt8) -> Bool {
        abs(Double(cells.conductance[index]) - device.target(level: level)) <= device.levelStep / 2
    }

    /// What the cells of one weight site share at a read at the array's time and temperature.
    struct SiteRead {
        let clock: DeviceModel.ReadClock
        let retention: Double
        let disturbs: Double
        let readoutFactor: Double
    }

    /// The shared read terms of weight site `site`.
    func siteRead(_ site: Int) -> SiteRead {
        let aging = config.device.aging
        let elapsed = max(0, time - cells.programmedAt[site])
        return SiteRead(clock: device.model.clock(elapsed: elapsed),
                        retention: aging.retention(elapsed: elapsed, temperature: temperature),
                        disturbs: Double(reads - cells.readsAtProgramming[site]),
                        readoutFactor: aging.readoutFactor(temperature: temperature,
                                                           programmedAt: Double(cells.programmedTemperature[site])))
    }

    /// The conductance cell `index` shows to a read at the array's time and temperature, drawing from
    /// `noise` (the device-noise stream): the device model's drift and accumulated read noise, retention
    /// loss, read disturb and temperature read-out. This is the plain reference of the materialization's
    /// fast path (`materializeLevels`), per cell in double precision.
    func readConductance(_ index: Int, noise: RandomStream) -> Double {
        let site = siteRead(cells.site(ofCell: index))
        let g = Double(cells.conductance[index])
        let aging = config.device.aging
        let model = device.model
        guard model.drifts || aging.isActive else { return g }
        let z1 = model.drawsReadNoise ? deviceNormal(.readNoise, cell: index, noise: noise) : 0
        let z2 = model.drawsDriftSpread ? deviceNormal(.driftSpread, cell: index, noise: noise) : 0
        var value = model.conductance(programmed: g, nu: Double(cells.driftExponent[index]), clock: site.clock,
                                      z1: z1, z2: z2)
        value = model.gMin + (value - model.gMin) * site.retention
        if site.disturbs > 0 && (aging.readDisturb > 0 || aging.readDisturbStd > 0) {
            let range = model.gMax - model.gMin
            value += site.disturbs * aging.readDisturb * range
                + site.disturbs.squareRoot() * aging.readDisturbStd * range * deviceNormal(.readDisturb, cell: index, noise: noise)
        }
        return value * site.readoutFactor
    }

    /// The stream of the device noise at the array's time.
    var deviceNoise: RandomStream {
        RandomStream(seed: noiseSeed, array: id, purpose: .deviceNoise, event: UInt64(time.bitPattern))
    }

    /// Moves the array to simulated time `time` (seconds) and `temperature` (kelvin) and materializes what an
    /// MVM reads then; nothing is recomputed when neither changed (nor, with read disturb on, the read count).
    public mutating func setTime(_ time: Double, temperature: Double? = nil) {
        let temperature = temperature ?? self.temperature
        let aging = config.device.aging
        let disturbed = (aging.readDisturb > 0 || aging.readDisturbStd > 0) && reads != readoutReads
        guard time != self.time || temperature != self.temperature || disturbed else { return }
        self.time = time
        self.temperature = temperature
        readoutReads = reads
        guard let mapping else { return }
        let previous = readout.take()?.levels
        readout = materializeReadout(mapping: mapping, reusing: previous)
    }

    /// Counts `count` MVM reads of every cell (read disturb); takes effect at the next `setTime`.
    public mutating func recordReads(_ count: Int) {
        reads &+= UInt64(max(0, count))
    }

    /// What an MVM reads at the array's time; written into `previous` levels of the same shape when given,
    /// so an advance allocates nothing per cell.
    private func materializeReadout(mapping: WeightMapping, reusing previous: consuming Matrix<Float>? = nil) -> ArrayReadout {
        let rows = mapping.levels.rows, columns = mapping.mappedColumns
        var levels: Matrix<Float>
        if let reused = previous.take(), reused.rows == rows, reused.columns == columns {
            levels = reused
        } else {
            levels = Matrix(rows: rows, columns: columns, repeating: 0)
        }
        materializeLevels(wordLines: 0..<rows, columns: 0..<columns, into: &levels)
        let sigma = device.readNoiseInLevels
        var readout = ArrayReadout(levels: levels, readVariance: Float(sigma * sigma),
                                   referenceMagnitude: [Double](repeating: 0, count: mapping.outputs),
                                   effectiveMagnitude: [Double](repeating: 0, count: mapping.outputs),
                                   driftCompensation: config.device.driftCompensation)
        if config.device.driftCompensation != .none {
            for i in 0..<mapping.rows {
                for g in 0..<mapping.outputs {
                    let output = mapping.outputOrder[g]
                    readout.referenceMagnitude[output] += Double(abs(mapping.codes[i * mapping.outputs + g]))
                    readout.effectiveMagnitude[output] += abs(effectiveWeight(rowPosition: i, group: g, levels: levels,
                                                                              mapping: mapping))
                }
            }
        }
        return readout
    }

    /// Sets the ADC range to the `percentile` of the column sums the `inputs` produce
    /// (a fraction of the full-scale sum), as `range: calibrated` asks.
    public mutating func calibrateADC(inputs: Matrix<Int32>, percentile: Double) throws {
        let fractions = try FastEngine().fullScaleFractions(self, inputs: inputs)
        guard !fractions.isEmpty else { return }
        let sorted = fractions.sorted()
        let rank = min(sorted.count - 1, max(0, Int((percentile / 100 * Double(sorted.count)).rounded(.up)) - 1))
        adcRangeFraction = max(sorted[rank], 1 / ADC(config: config).topCode)
    }
}

/// The random streams of one write of an array's cells, each drawn at the cell index.
struct WriteStreams {
    let programming: RandomStream
    let driftExponent: RandomStream
    let faults: RandomStream

    init(seed: UInt64, array: ArrayID, event: UInt64) {
        programming = RandomStream(seed: seed, array: array, purpose: .programmingNoise, event: event)
        driftExponent = RandomStream(seed: seed, array: array, purpose: .driftExponent, event: event)
        faults = RandomStream(seed: seed, array: array, purpose: .faults, event: event)
    }
}
