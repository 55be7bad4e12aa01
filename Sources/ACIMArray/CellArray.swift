import ACIMCore

/// The state of every bit cell of one crossbar, in flat arrays of compact types.
///
/// Cells are indexed `wordLine * columns + column` over the whole physical array.
public struct CellArray: Sendable {
    public let wordLines: Int
    public let columns: Int
    /// Target level of each cell (0 ... 2^bits_per_cell - 1).
    public var targetLevel: [UInt8]
    /// Programmed conductance in siemens.
    public var conductance: [Float]
    /// Simulated time of the last programming, in seconds, and the temperature then, in kelvin.
    public var programmedAt: [Double]
    public var programmedTemperature: [Float]
    /// The array's read count when the cell was last programmed (read disturb counts reads since).
    public var readsAtProgramming: [UInt64]
    /// Drift exponent drawn at programming (0 for drift-free devices).
    public var driftExponent: [Float]
    /// Program operations the cell has seen.
    public var writeCount: [UInt32]
    /// Cells that no longer take a new value.
    public var stuck: [Bool]

    public init(wordLines: Int, columns: Int) {
        let n = wordLines * columns
        self.wordLines = wordLines
        self.columns = columns
        targetLevel = [UInt8](repeating: 0, count: n)
        conductance = [Float](repeating: 0, count: n)
        programmedAt = [Double](repeating: 0, count: n)
        programmedTemperature = [Float](repeating: 300, count: n)
        readsAtProgramming = [UInt64](repeating: 0, count: n)
        driftExponent = [Float](repeating: 0, count: n)
        writeCount = [UInt32](repeating: 0, count: n)
        stuck = [Bool](repeating: false, count: n)
    }
}

/// The cells' device: linear conductance levels between `g_min` and `g_max`, the device model that
/// programs and ages them, and Gaussian per-read noise.
public struct CellDevice: Sendable {
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
