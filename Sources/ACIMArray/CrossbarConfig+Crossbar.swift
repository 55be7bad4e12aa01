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

    /// Devices of one array: `rows x cols`, twice that with differential unit cells (`cols` counting unit cells).
    public var deviceCells: Int { array.rows * CrossbarLayout(config: self).deviceColumns }

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
        schemeIssues(into: &v)
        if v.issues.isEmpty {
            let layout = CrossbarLayout(config: self)
            if layout.weightCapacity < 1 {
                v.add(["array", "cols"], "one weight needs \(layout.columnsPerWeight / layout.deviceColumnsPerColumn) columns"
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
    /// Bits of one phase's input digit: `dac_bits` when every bit plane is converted, the pass's bits when
    /// a conversion takes the whole pass (per-MVM conversion, pulse-width inputs).
    public let digitBits: Int
    /// Bit planes driven per conversion phase: several when they accumulate on the bit lines before one
    /// conversion, else 1.
    public let planesPerPhase: Int
    /// True for pulse-width-modulated inputs: a phase is one pulse of up to `maxDigit` steps per row.
    public let pulseWidth: Bool
    /// True for sign-magnitude inputs: digits carry the input's sign (the word-line polarity).
    public let signedDigits: Bool
    /// True when G+ and G- columns are subtracted on the bit lines: one conversion per pair, on the G+
    /// column's ADC, and none on the G- column.
    public let analogPairs: Bool
    /// True when column sums can be negative (signed digits or analog pairs): the ADC is bipolar.
    public let signedSums: Bool
    /// Device columns per geometry column: 2 for differential unit cells (`cols` counts unit cells), else 1.
    public let deviceColumnsPerColumn: Int
    /// Device columns of the array: where the cells sit.
    public let deviceColumns: Int
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
            digitBits = 1
            planesPerPhase = 1
            pulseWidth = false
            signedDigits = false
            analogPairs = false
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
            case .signMagnitude:
                passBits = p.inputBits - 1
                passes = 1
            }
            maxLevel = (1 << a.bitsPerCell) - 1
            pulseWidth = p.inputDrive == .pwm
            signedDigits = p.inputEncoding == .signMagnitude
            analogPairs = a.weightEncoding == .differential && p.differentialReadout == .analog
            let planes = (passBits + p.dacBits - 1) / p.dacBits
            if pulseWidth || p.conversion == .perMVM {
                digitBits = passBits
                planesPerPhase = pulseWidth ? 1 : planes
                phasesPerPass = 1
            } else {
                // A sign-magnitude DAC's levels cover at most the magnitude's bits.
                digitBits = signedDigits ? min(p.dacBits, passBits) : p.dacBits
                planesPerPhase = 1
                phasesPerPass = planes
            }
            maxDigit = (1 << digitBits) - 1
        }
        signedSums = signedDigits || analogPairs
        deviceColumnsPerColumn = mode == .and && a.weightEncoding == .differential && a.differentialCell == .unitCell ? 2 : 1
        deviceColumns = a.cols * deviceColumnsPerColumn
        logicalRows = a.rows / wordLinesPerRow
        weightCapacity = max(0, (deviceColumns - offsetColumns) / columnsPerWeight)
        adcCount = max(1, a.cols / max(1, p.adc.columnsPerADC))
    }
}

extension CrossbarConfig {
    /// The rules of the input, conversion and cell schemes: what each needs of the others.
    func schemeIssues(into v: inout IssueCollector) {
        let p = periphery
        let differential = array.weightEncoding == .differential && cellMode != .xnor
        if p.inputDrive == .pwm && p.conversion != .perMVM {
            v.add(["periphery", "conversion"], "input_drive pwm integrates one pulse per pass and converts once: "
                    + "conversion must be per_mvm (got \(p.conversion.rawValue))")
        }
        if p.differentialReadout == .analog && !differential {
            v.add(["periphery", "differential_readout"], "analog differential read-out needs differential weights in "
                    + "AND mode (weight_encoding differential, weight_bits >= 2)")
        }
        if array.differentialCell == .unitCell && (!differential || p.differentialReadout != .analog) {
            v.add(["array", "differential_cell"], "unit_cell puts G+ and G- on one output column: it needs "
                    + "weight_encoding differential and periphery.differential_readout analog")
        }
        if p.inputEncoding == .signMagnitude && cellMode == .xnor {
            v.add(["periphery", "input_encoding"], "sign_magnitude inputs need AND mode (xnor inputs are already signed)")
        }
        // The layout's rules, once the layout is well defined (weights of at least one slice).
        guard v.issues.isEmpty else { return }
        // One digit of a phase is a byte of the GEMM operand; a signed one is a sign and 7 bits.
        let layout = CrossbarLayout(config: self)
        let digitLimit = layout.signedDigits ? 7 : 8
        let newScheme = layout.signedDigits || p.inputDrive == .pwm || p.conversion == .perMVM
        if newScheme && layout.digitBits > digitLimit {
            let key = p.inputDrive == .pwm || p.conversion == .perMVM ? "input_bits" : "dac_bits"
            v.add(["periphery", key], "a phase's input digit takes at most \(digitLimit) bits for "
                    + "\(p.inputEncoding.rawValue) inputs; \(p.inputDrive.rawValue) with \(p.conversion.rawValue) conversion "
                    + "gives \(layout.digitBits)")
        }
        if layout.signedSums && p.adc.bits < 2 {
            let cause = layout.signedDigits ? "sign_magnitude inputs" : "analog differential read-out"
            v.add(["periphery", "adc", "bits"], "signed column sums (\(cause)) need a bipolar ADC of at least 2 bits "
                    + "(got \(p.adc.bits))")
        }
        let schemes = [(p.inputDrive == .pwm, "input_drive pwm"), (layout.analogPairs, "differential_readout analog")]
        for (on, name) in schemes where on && p.sparsity.enabled {
            v.add(["periphery", "sparsity", "enabled"], "\(name) is not modelled with sparsity-aware disabling: "
                    + "set periphery.sparsity.enabled to false")
        }
    }
}
