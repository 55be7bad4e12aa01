import ACIMCore

/// How a signed weight is held in unsigned conductances.
public enum WeightEncoding: String, Codable, Sendable, CaseIterable {
    /// A G+ and a G- column per slice; the column codes are subtracted after the ADC.
    case differential
    /// The weight plus `2^(weight_bits-1)` in one column per slice; an offset column of unit cells measures
    /// the input sum, which is subtracted digitally.
    case offset
}

/// How signed input codes reach the unsigned DACs.
public enum InputEncoding: String, Codable, Sendable, CaseIterable {
    /// Inputs are non-negative codes in `0 ... 2^input_bits - 1` (for example after a ReLU).
    case unsigned
    /// A pass with the positive parts, a pass with the negative parts; outputs subtracted.
    case twoPass = "two_pass"
    /// The input plus `2^(input_bits-1)` in one pass; the weight column sums are subtracted digitally.
    case offset
}

/// The ADC input range.
public enum ADCRange: String, Codable, Sendable, CaseIterable {
    /// The largest possible column sum maps to the top code.
    case fullScale = "full_scale"
    /// A percentile of column sums observed on calibration inputs maps to the top code.
    case calibrated
}

/// Geometry and cell format of one crossbar (profile section `array`).
public struct ArrayGeometry: ComponentConfiguration {
    /// Word lines.
    public var rows: Int = 256
    /// Bit lines.
    public var cols: Int = 256
    /// Bits stored per multi-level cell.
    public var bitsPerCell: Int = 2
    /// Bits of a signed weight code.
    public var weightBits: Int = 8
    public var weightEncoding: WeightEncoding = .differential

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case rows, cols
        case bitsPerCell = "bits_per_cell"
        case weightBits = "weight_bits"
        case weightEncoding = "weight_encoding"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ArrayGeometry()
        rows = try c.value(.rows, default: d.rows)
        cols = try c.value(.cols, default: d.cols)
        bitsPerCell = try c.value(.bitsPerCell, default: d.bitsPerCell)
        weightBits = try c.value(.weightBits, default: d.weightBits)
        weightEncoding = try c.value(.weightEncoding, default: d.weightEncoding)
    }

    public static let fields: [ConfigField] = [
        ConfigField("rows", "integer", default: "256", allowed: "1...8192", "word lines of one crossbar"),
        ConfigField("cols", "integer", default: "256", allowed: "1...8192", "bit lines of one crossbar"),
        ConfigField("bits_per_cell", "integer", default: "2", allowed: "1...4", "bits stored per multi-level cell"),
        ConfigField("weight_bits", "integer", default: "8", allowed: "1...16",
                    "bits of a signed weight code (1 only with XNOR mode)"),
        ConfigField("weight_encoding", "differential | offset", default: "differential",
                    "signed weights as G+/G- column pairs, or biased by 2^(weight_bits-1) with an offset column"),
    ]

    public func validate() -> [ConfigIssue] {
        var v = IssueCollector()
        v.check(rows, in: 1...8192, "rows")
        v.check(cols, in: 1...8192, "cols")
        v.check(bitsPerCell, in: 1...4, "bits_per_cell")
        v.check(weightBits, in: 1...16, "weight_bits")
        return v.issues
    }
}

/// The ADC shared by a group of columns.
public struct ADCConfig: ComponentConfiguration {
    public var bits: Int = 8
    public var range: ADCRange = .fullScale
    /// With `calibrated`: the percentile of observed column sums that maps to the top code.
    public var percentile: Double = 99.9
    /// Columns multiplexed onto one ADC.
    public var columnsPerADC: Int = 8

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case bits, range, percentile
        case columnsPerADC = "columns_per_adc"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ADCConfig()
        bits = try c.value(.bits, default: d.bits)
        range = try c.value(.range, default: d.range)
        percentile = try c.value(.percentile, default: d.percentile)
        columnsPerADC = try c.value(.columnsPerADC, default: d.columnsPerADC)
    }

    public static let fields: [ConfigField] = [
        ConfigField("bits", "integer", default: "8", allowed: "1...16", "ADC resolution"),
        ConfigField("range", "full_scale | calibrated", default: "full_scale",
                    "maximum possible column sum, or a calibrated percentile, at the top code"),
        ConfigField("percentile", "number", default: "99.9", allowed: "50...100",
                    "with range calibrated: percentile of calibration column sums at the top code"),
        ConfigField("columns_per_adc", "integer", default: "8", allowed: "1...cols, dividing cols",
                    "columns multiplexed onto one ADC"),
    ]

    public func validate() -> [ConfigIssue] {
        var v = IssueCollector()
        v.check(bits, in: 1...16, "bits")
        v.check(percentile, in: 50...100, "percentile")
        v.check(columnsPerADC, in: 1...8192, "columns_per_adc")
        return v.issues
    }
}

/// Cycle counts of the phases of one MVM.
public struct CrossbarTiming: ComponentConfiguration {
    public var driveCycles: Int = 1
    public var settleCycles: Int = 1
    public var adcCycles: Int = 4
    public var shiftAddCycles: Int = 1
    public var detectCycles: Int = 1

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case driveCycles = "drive_cycles"
        case settleCycles = "settle_cycles"
        case adcCycles = "adc_cycles"
        case shiftAddCycles = "shift_add_cycles"
        case detectCycles = "detect_cycles"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CrossbarTiming()
        driveCycles = try c.value(.driveCycles, default: d.driveCycles)
        settleCycles = try c.value(.settleCycles, default: d.settleCycles)
        adcCycles = try c.value(.adcCycles, default: d.adcCycles)
        shiftAddCycles = try c.value(.shiftAddCycles, default: d.shiftAddCycles)
        detectCycles = try c.value(.detectCycles, default: d.detectCycles)
    }

    public static let fields: [ConfigField] = [
        ConfigField("drive_cycles", "integer", default: "1", allowed: "0...1000", "word-line drive per phase"),
        ConfigField("settle_cycles", "integer", default: "1", allowed: "0...1000", "bit-line settle or charge share per phase"),
        ConfigField("adc_cycles", "integer", default: "4", allowed: "1...1000", "one ADC conversion"),
        ConfigField("shift_add_cycles", "integer", default: "1", allowed: "0...1000", "final shift-and-add per MVM"),
        ConfigField("detect_cycles", "integer", default: "1", allowed: "0...1000",
                    "zero detection; the whole cost of a skipped array"),
    ]

    public func validate() -> [ConfigIssue] {
        var v = IssueCollector()
        v.check(driveCycles, in: 0...1000, "drive_cycles")
        v.check(settleCycles, in: 0...1000, "settle_cycles")
        v.check(adcCycles, in: 1...1000, "adc_cycles")
        v.check(shiftAddCycles, in: 0...1000, "shift_add_cycles")
        v.check(detectCycles, in: 0...1000, "detect_cycles")
        return v.issues
    }
}

/// Bit-serial inputs, ADC, mux, timing and sparsity gating (profile section `periphery`).
public struct PeripheryConfig: ComponentConfiguration {
    public var inputBits: Int = 8
    /// Input bits applied per phase.
    public var dacBits: Int = 1
    public var inputEncoding: InputEncoding = .twoPass
    public var adc = ADCConfig()
    public var timing = CrossbarTiming()
    public var sparsity = SparsityConfig()

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case inputBits = "input_bits"
        case dacBits = "dac_bits"
        case inputEncoding = "input_encoding"
        case adc, timing, sparsity
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = PeripheryConfig()
        inputBits = try c.value(.inputBits, default: d.inputBits)
        dacBits = try c.value(.dacBits, default: d.dacBits)
        inputEncoding = try c.value(.inputEncoding, default: d.inputEncoding)
        adc = try c.value(.adc, default: d.adc)
        timing = try c.value(.timing, default: d.timing)
        sparsity = try c.value(.sparsity, default: d.sparsity)
    }

    public static let fields: [ConfigField] = [
        ConfigField("input_bits", "integer", default: "8", allowed: "1...16", "bits of an input code"),
        ConfigField("dac_bits", "integer", default: "1", allowed: "1...input_bits", "input bits applied per phase"),
        ConfigField("input_encoding", "unsigned | two_pass | offset", default: "two_pass",
                    "non-negative inputs; signed inputs in a positive and a negative pass; or biased inputs"),
        ADCConfig.section("adc", "column ADCs"),
        CrossbarTiming.section("timing", "cycles of the MVM phases"),
        SparsityConfig.section("sparsity", "sparsity-aware cell disabling"),
    ]

    public func validate() -> [ConfigIssue] {
        var v = IssueCollector()
        v.check(inputBits, in: 1...16, "input_bits")
        v.check(dacBits, in: 1...16, "dac_bits")
        v.require(dacBits <= inputBits, "dac_bits", "dac_bits (\(dacBits)) must not exceed input_bits (\(inputBits))")
        v.nest("adc", adc.validate())
        v.nest("timing", timing.validate())
        v.nest("sparsity", sparsity.validate())
        return v.issues
    }
}

/// Energy per event of the crossbar and its periphery (profile section `energy`, sub-section `array`).
public struct CrossbarEnergy: ComponentConfiguration {
    public var wordlineDrive = Quantity<Energy>(0.05e-12)
    public var dacConversion = Quantity<Energy>(0.01e-12)
    public var cellRead = Quantity<Energy>(0.001e-12)
    public var bitlineCharge = Quantity<Energy>(0.002e-12)
    public var adcConversion = Quantity<Energy>(2e-12)
    public var sparsityDetection = Quantity<Energy>(0.002e-12)
    public var permutation = Quantity<Energy>(0.002e-12)
    public var compensation = Quantity<Energy>(0.05e-12)
    public var shiftAdd = Quantity<Energy>(0.01e-12)

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case wordlineDrive = "wordline_drive"
        case dacConversion = "dac_conversion"
        case cellRead = "cell_read"
        case bitlineCharge = "bitline_charge"
        case adcConversion = "adc_conversion"
        case sparsityDetection = "sparsity_detection"
        case permutation, compensation
        case shiftAdd = "shift_add"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CrossbarEnergy()
        wordlineDrive = try c.value(.wordlineDrive, default: d.wordlineDrive)
        dacConversion = try c.value(.dacConversion, default: d.dacConversion)
        cellRead = try c.value(.cellRead, default: d.cellRead)
        bitlineCharge = try c.value(.bitlineCharge, default: d.bitlineCharge)
        adcConversion = try c.value(.adcConversion, default: d.adcConversion)
        sparsityDetection = try c.value(.sparsityDetection, default: d.sparsityDetection)
        permutation = try c.value(.permutation, default: d.permutation)
        compensation = try c.value(.compensation, default: d.compensation)
        shiftAdd = try c.value(.shiftAdd, default: d.shiftAdd)
    }

    public static let fields: [ConfigField] = [
        ConfigField("wordline_drive", "quantity (J)", default: "50fJ", allowed: ">= 0", "one word line driven for one phase"),
        ConfigField("dac_conversion", "quantity (J)", default: "10fJ", allowed: ">= 0", "one DAC output for one phase"),
        ConfigField("cell_read", "quantity (J)", default: "1fJ", allowed: ">= 0", "one enabled cell for one phase"),
        ConfigField("bitline_charge", "quantity (J)", default: "2fJ", allowed: ">= 0",
                    "one unit of column charge (input digit x cell level)"),
        ConfigField("adc_conversion", "quantity (J)", default: "2pJ", allowed: ">= 0", "one conversion at the configured bits"),
        ConfigField("sparsity_detection", "quantity (J)", default: "2fJ", allowed: ">= 0", "zero test of one input"),
        ConfigField("permutation", "quantity (J)", default: "2fJ", allowed: ">= 0", "one resequenced input element"),
        ConfigField("compensation", "quantity (J)", default: "50fJ", allowed: ">= 0", "one compensated column output"),
        ConfigField("shift_add", "quantity (J)", default: "10fJ", allowed: ">= 0", "one shift-and-add of an ADC code"),
    ]

    public func validate() -> [ConfigIssue] {
        var v = IssueCollector()
        let all: [(String, Quantity<Energy>)] = [
            ("wordline_drive", wordlineDrive), ("dac_conversion", dacConversion), ("cell_read", cellRead),
            ("bitline_charge", bitlineCharge), ("adc_conversion", adcConversion),
            ("sparsity_detection", sparsityDetection), ("permutation", permutation),
            ("compensation", compensation), ("shift_add", shiftAdd),
        ]
        for (key, energy) in all {
            v.require(energy.value >= 0 && energy.value.isFinite, key, "expected an energy >= 0, got \(energy)")
        }
        return v.issues
    }
}
