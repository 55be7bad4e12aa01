import ACIMCore

/// Everything one crossbar and its periphery need: the composition of its component configurations.
public struct CrossbarConfig: ComponentConfiguration {
    public var array = ArrayGeometry()
    public var periphery = PeripheryConfig()
    public var device = CellDeviceConfig()
    public var energy = CrossbarEnergy()

    public init() {}

    public init(array: ArrayGeometry, periphery: PeripheryConfig, device: CellDeviceConfig = CellDeviceConfig(),
                energy: CrossbarEnergy = CrossbarEnergy()) {
        self.array = array
        self.periphery = periphery
        self.device = device
        self.energy = energy
    }

    public static let keys: [ConfigKey<Self>] = [
        .section(\.array, "array", "crossbar geometry and cell format"),
        .section(\.periphery, "periphery", "DACs, ADCs, mux, timing and sparsity gating"),
        .section(\.device, "device", "cell device model"),
        .section(\.energy, "energy", "energy per crossbar event"),
    ]

    /// The cell operation this configuration runs in: XNOR only for binary inputs and binary weights.
    public var cellMode: CellMode {
        let binary = periphery.inputBits == 1 && array.weightBits == 1
        switch periphery.sparsity.mode {
        case .auto: return binary ? .xnor : .and
        case .and, .xnor: return periphery.sparsity.mode
        }
    }

    /// The rules that relate the sections, reported at the key a user would change; checked once every key
    /// is in its range.
    public func combinationIssues(keysValid: Bool) -> [ConfigIssue] {
        guard keysValid else { return [] }
        var v = IssueCollector()
        let adc = periphery.adc
        if array.cols % adc.columnsPerADC != 0 || adc.columnsPerADC > array.cols {
            v.add(["periphery", "adc", "columns_per_adc"], "columns_per_adc (\(adc.columnsPerADC)) must divide cols (\(array.cols))")
        }
        switch cellMode {
        case .xnor:
            if array.weightBits != 1 || periphery.inputBits != 1 {
                v.add(["periphery", "sparsity", "mode"], "xnor mode needs weight_bits 1 and input_bits 1 (got \(array.weightBits) and \(periphery.inputBits))")
            }
            if array.rows < 2 {
                v.add(["array", "rows"], "xnor mode needs at least 2 rows (a true and a complement word line)")
            }
        case .and, .auto:
            if array.weightBits < 2 {
                v.add(["array", "weight_bits"], "AND mode needs weight_bits >= 2 (1-bit weights are +1/-1 and need xnor mode)")
            }
            if periphery.inputEncoding != .unsigned && periphery.inputBits < 2 {
                v.add(["periphery", "input_bits"], "signed inputs (\(periphery.inputEncoding.rawValue)) need input_bits >= 2")
            }
        }
        if v.issues.isEmpty {
            let layout = CrossbarLayout(config: self)
            if layout.columnsPerWeight + layout.offsetColumns > array.cols {
                v.add(["array", "cols"], "one weight needs \(layout.columnsPerWeight) columns"
                        + (layout.offsetColumns > 0 ? " plus an offset column" : "")
                        + " (\(layout.slices) slices of \(array.bitsPerCell) bits, \(array.weightEncoding.rawValue)), but cols is \(array.cols)")
            }
        }
        return v.issues
    }
}

/// The layout a configuration implies: slices, columns per weight, phases and passes.
public struct CrossbarLayout: Sendable, Equatable, Codable {
    public let mode: CellMode
    /// Word lines per logical input row: 2 in XNOR mode (true and complement), else 1.
    public let wordLinesPerRow: Int
    /// Input rows one array takes.
    public let logicalRows: Int
    /// Bits of the weight magnitude held in cells.
    public let weightMagnitudeBits: Int
    /// Cell slices per weight.
    public let slices: Int
    /// Physical columns per weight (slices, doubled for differential pairs).
    public let columnsPerWeight: Int
    /// 1 for the offset column of offset-encoded weights, else 0.
    public let offsetColumns: Int
    /// Weights (output columns) one array holds.
    public let weightCapacity: Int
    /// Input bits driven per pass, and the phases that takes.
    public let passBits: Int
    public let phasesPerPass: Int
    /// 2 for two-pass signed inputs, else 1.
    public let passes: Int
    /// Top cell level and top DAC digit.
    public let maxLevel: Int
    public let maxDigit: Int
    /// ADCs per array.
    public let adcCount: Int

    public init(config: CrossbarConfig) {
        let a = config.array
        let p = config.periphery
        mode = config.cellMode
        if mode == .xnor {
            wordLinesPerRow = 2
            weightMagnitudeBits = 1
            slices = 1
            columnsPerWeight = 1
            offsetColumns = 0
            passBits = 1
            passes = 1
            maxLevel = 1
            maxDigit = 1
            phasesPerPass = 1
        } else {
            wordLinesPerRow = 1
            let magnitude = a.weightEncoding == .differential ? a.weightBits - 1 : a.weightBits
            weightMagnitudeBits = magnitude
            slices = (magnitude + a.bitsPerCell - 1) / a.bitsPerCell
            columnsPerWeight = a.weightEncoding == .differential ? 2 * slices : slices
            offsetColumns = a.weightEncoding == .offset ? 1 : 0
            switch p.inputEncoding {
            case .unsigned, .offset:
                passBits = p.inputBits
                passes = 1
            case .twoPass:
                passBits = p.inputBits - 1
                passes = 2
            }
            maxLevel = (1 << a.bitsPerCell) - 1
            maxDigit = (1 << p.dacBits) - 1
            phasesPerPass = (passBits + p.dacBits - 1) / p.dacBits
        }
        logicalRows = a.rows / wordLinesPerRow
        weightCapacity = max(0, (a.cols - offsetColumns) / columnsPerWeight)
        adcCount = max(1, a.cols / max(1, p.adc.columnsPerADC))
    }
}
