import ACIMCore

/// The state of every bit cell of one crossbar, in flat arrays of compact types.
///
/// Cells are indexed `wordLine * columns + column` over the whole physical array. What a write sets for all
/// cells of one weight at once (the time, the temperature and the read count of the write, the number of
/// writes) is kept once per *weight site*: the `wordLinesPerSite x columnsPerSite` block of cells that holds
/// one weight. A cell itself keeps its programmed conductance, its drift exponent, its target level and a
/// stuck flag: 7 bytes, 10 with its site's share for a weight of 8 cells.
public struct CellArray: Sendable, Codable, Equatable {
    public let wordLines: Int
    public let columns: Int
    /// The cells of one weight site: word lines of a logical row, columns of a weight.
    public let wordLinesPerSite: Int
    public let columnsPerSite: Int
    /// Sites along the columns (the last may be partly outside the array).
    public let siteColumns: Int

    /// Programmed conductance of each cell, in siemens.
    @Packed public internal(set) var conductance: [Float]
    /// Drift exponent drawn at programming (0 for drift-free devices), at half precision: its spread is
    /// a few percent, a thousand times the rounding.
    @Packed public internal(set) var driftExponent: [Float16]
    /// Target level (0 ... 2^bits_per_cell - 1) in the low bits, the stuck flag in the top bit.
    @Packed private var state: [UInt8]

    /// Per weight site: simulated time of the last write, in seconds, the temperature then, in kelvin, the
    /// array's read count then (read disturb counts reads since), and the writes so far.
    @Packed public internal(set) var programmedAt: [Double]
    @Packed public internal(set) var programmedTemperature: [Float]
    @Packed public internal(set) var readsAtProgramming: [UInt64]
    @Packed public internal(set) var writeCount: [UInt32]

    private static let stuckBit: UInt8 = 0x80

    public init(wordLines: Int, columns: Int, wordLinesPerSite: Int, columnsPerSite: Int, temperature: Double) {
        let n = wordLines * columns
        self.wordLines = wordLines
        self.columns = columns
        self.wordLinesPerSite = wordLinesPerSite
        self.columnsPerSite = columnsPerSite
        siteColumns = (columns + columnsPerSite - 1) / columnsPerSite
        let sites = (wordLines + wordLinesPerSite - 1) / wordLinesPerSite * siteColumns
        conductance = [Float](repeating: 0, count: n)
        driftExponent = [Float16](repeating: 0, count: n)
        state = [UInt8](repeating: 0, count: n)
        programmedAt = [Double](repeating: 0, count: sites)
        programmedTemperature = [Float](repeating: Float(temperature), count: sites)
        readsAtProgramming = [UInt64](repeating: 0, count: sites)
        writeCount = [UInt32](repeating: 0, count: sites)
    }

    /// Bytes of state per cell, sites included.
    public static func bytesPerCell(cellsPerSite: Int) -> Double {
        Double(MemoryLayout<Float>.size + MemoryLayout<Float16>.size + MemoryLayout<UInt8>.size)
            + Double(MemoryLayout<Double>.size + MemoryLayout<Float>.size + MemoryLayout<UInt64>.size
                     + MemoryLayout<UInt32>.size) / Double(cellsPerSite)
    }

    /// The weight site of cell `index`.
    public func site(ofCell index: Int) -> Int {
        let wordLine = index / columns, column = index - wordLine * columns
        return wordLine / wordLinesPerSite * siteColumns + column / columnsPerSite
    }

    /// Whether sites `a` and `b` were last written at the same time, temperature and read count, so a read
    /// sees them alike.
    func sameWrite(_ a: Int, _ b: Int) -> Bool {
        programmedAt[a] == programmedAt[b] && programmedTemperature[a] == programmedTemperature[b]
            && readsAtProgramming[a] == readsAtProgramming[b]
    }

    /// The target level of cell `index`.
    public func targetLevel(_ index: Int) -> UInt8 { state[index] & ~CellArray.stuckBit }

    /// Whether cell `index` no longer takes a new value.
    public func isStuck(_ index: Int) -> Bool { state[index] & CellArray.stuckBit != 0 }

    mutating func setTargetLevel(_ index: Int, _ level: UInt8) {
        state[index] = (state[index] & CellArray.stuckBit) | level
    }

    mutating func setStuck(_ index: Int) { state[index] |= CellArray.stuckBit }

    /// Records one write of `site` at `time`, `temperature` and read count `reads`.
    mutating func beginWrite(site: Int, at time: Double, temperature: Double, reads: UInt64) {
        writeCount[site] &+= 1
        programmedAt[site] = time
        programmedTemperature[site] = Float(temperature)
        readsAtProgramming[site] = reads
    }
}

/// The cells' device: linear conductance levels between `g_min` and `g_max`, the device model that
/// programs and ages them, and Gaussian per-read noise.
public struct CellDevice: Sendable, Codable, Equatable {
    public let config: CellDeviceConfig
    public let model: DeviceModel
    public let maxLevel: Int

    public init(config: CellDeviceConfig, bitsPerCell: Int) {
        self.config = config
        self.model = DeviceModel(config: config)
        self.maxLevel = (1 << bitsPerCell) - 1
    }

    /// Conductance step between adjacent levels.
    public var levelStep: Double { (config.gMax.value - config.gMin.value) / Double(maxLevel) }

    /// Target conductance of a level.
    public func target(level: UInt8) -> Double { config.gMin.value + Double(level) * levelStep }

    /// Standard deviation of one read, in level units.
    public var readNoiseInLevels: Double { config.readNoise.value / levelStep }
}
