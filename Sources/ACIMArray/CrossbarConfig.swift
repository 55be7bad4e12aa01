import ACIMCore

/// How a signed weight is held in unsigned conductances.
public enum WeightEncoding: String, ConfigEnumeration {
    /// A G+ and a G- column per slice; the column codes are subtracted after the ADC.
    case differential
    /// The weight plus `2^(weight_bits-1)` in one column per slice; an offset column of unit cells measures
    /// the input sum, which is subtracted digitally.
    case offset
}

/// How signed input codes reach the unsigned DACs.
public enum InputEncoding: String, ConfigEnumeration {
    /// Inputs are non-negative codes in `0 ... 2^input_bits - 1` (for example after a ReLU).
    case unsigned
    /// A pass with the positive parts, a pass with the negative parts; outputs subtracted.
    case twoPass = "two_pass"
    /// The input plus `2^(input_bits-1)` in one pass; the weight column sums are subtracted digitally.
    case offset
    /// The magnitude's `input_bits - 1` bits in one pass, the sign setting the polarity of each word line's
    /// drive: digits in `-(2^dac_bits - 1) ... 2^dac_bits - 1`, signed column sums, a bipolar ADC.
    case signMagnitude = "sign_magnitude"
}

/// How a DAC applies an input code to its word line.
public enum InputDrive: String, ConfigEnumeration {
    /// Bit planes of `dac_bits` bits, one voltage level per plane.
    case bitSerial = "bit_serial"
    /// One pulse whose width is the input code in steps of `timing.pwm_step_cycles` (pulse-width modulation):
    /// one integration, and one conversion, per pass.
    case pwm
}

/// When the column ADCs convert.
public enum ConversionPoint: String, ConfigEnumeration {
    /// After every bit plane; the planes are shift-added digitally.
    case perBitPlane = "per_bit_plane"
    /// Once per pass, after the bit planes are accumulated on the bit lines with their binary weights.
    case perMVM = "per_mvm"
}

/// Where the G+ and G- columns of differential weights are subtracted.
public enum DifferentialReadout: String, ConfigEnumeration {
    /// Each column converted on its own; the codes subtracted after the ADC.
    case digital
    /// The columns' currents subtracted on the bit lines: one conversion of a signed sum per pair.
    case analog
}

/// Where the G+ and G- devices of a differential weight sit.
public enum DifferentialCell: String, ConfigEnumeration {
    /// On two adjacent bit-line columns: a weight slice takes two of `cols`.
    case columns
    /// In one unit cell on one output column (each side its own bit line inside the cell): `cols` counts unit
    /// cells, a weight slice takes one.
    case unitCell = "unit_cell"
}

/// How long a pulse-width-modulated pass integrates.
public enum PWMWindow: String, ConfigEnumeration {
    /// A fixed window of the longest pulse a code can have, `2^bits - 1` steps.
    case full
    /// Until the longest pulse of the vector ends.
    case longestPulse = "longest_pulse"
}

/// The ADC input range.
public enum ADCRange: String, ConfigEnumeration {
    /// The largest possible column sum maps to the top code.
    case fullScale = "full_scale"
    /// A percentile of column sums observed on calibration inputs maps to the top code.
    case calibrated
}

/// How an ADC's conversion energy and time follow its resolution `b`, from their values at `reference_bits`
/// `r` (`energy.array.adc_conversion` and `periphery.timing.adc_cycles`).
public enum ADCScaling: String, ConfigEnumeration {
    /// Successive approximation, one bit decided per step: energy `E_r * 2^(b - r)` (a constant Walden
    /// figure of merit, energy per conversion step), cycles `ceil(C_r * b / r)`.
    case sar
    /// `2^b - 1` comparators deciding at once: energy `E_r * (2^b - 1) / (2^r - 1)`, cycles `C_r` at any bits.
    case flash
    /// Energy and cycles as given, whatever the bits.
    case fixed
}

/// How the input DAC's energy per output and its drive time follow `dac_bits` `b`, from their values at
/// `dac_reference_bits` `r` (`energy.array.dac_conversion` and `periphery.timing.drive_cycles`).
public enum DACScaling: String, ConfigEnumeration {
    /// `2^b - 1` unit current sources: energy `E_r * (2^b - 1) / (2^r - 1)`; settling to half an LSB takes
    /// `ceil(D_r * (b + 1) / (r + 1))` drive cycles.
    case currentSteering = "current_steering"
    /// Energy and drive cycles as given, whatever the bits.
    case fixed
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
    public var differentialCell: DifferentialCell = .columns

    public init() {}

    public static let keys: [ConfigKey<Self>] = [
        .key(\.rows, "rows", in: 1...8192, "word lines of one crossbar"),
        .key(\.cols, "cols", in: 1...8192, "bit lines of one crossbar"),
        .key(\.bitsPerCell, "bits_per_cell", in: 1...4, "bits stored per multi-level cell"),
        .key(\.weightBits, "weight_bits", in: 1...16, "bits of a signed weight code (1 only with XNOR mode)"),
        .key(\.weightEncoding, "weight_encoding",
             "signed weights as G+/G- column pairs, or biased by 2^(weight_bits-1) with an offset column"),
        .key(\.differentialCell, "differential_cell",
             "G+ and G- devices on two bit-line columns, or in one unit cell per output column (cols counts unit cells)"),
    ]
}

/// The ADC shared by a group of columns.
public struct ADCConfig: ComponentConfiguration {
    public var bits: Int = 8
    public var range: ADCRange = .fullScale
    /// With `calibrated`: the percentile of observed column sums that maps to the top code.
    public var percentile: Double = 99.9
    /// Columns multiplexed onto one ADC.
    public var columnsPerADC: Int = 8
    /// How conversion energy and cycles follow `bits`, from their values at `referenceBits`.
    public var scaling: ADCScaling = .sar
    public var referenceBits: Int = 8

    public init() {}

    public static let keys: [ConfigKey<Self>] = [
        .key(\.bits, "bits", in: 1...16, "ADC resolution"),
        .key(\.range, "range", "maximum possible column sum, or a calibrated percentile, at the top code"),
        .key(\.percentile, "percentile", in: 50...100,
             "with range calibrated: percentile of calibration column sums at the top code"),
        .key(\.columnsPerADC, "columns_per_adc", in: 1...8192, rule: "divides cols", "columns multiplexed onto one ADC"),
        .key(\.scaling, "scaling",
             "conversion energy E and cycles C at bits b from E_r, C_r at reference_bits r: sar E_r*2^(b-r), "
                + "ceil(C_r*b/r); flash E_r*(2^b-1)/(2^r-1), C_r; fixed E_r, C_r"),
        .key(\.referenceBits, "reference_bits", in: 1...16,
             "resolution at which energy.array.adc_conversion and timing.adc_cycles are given"),
    ]
}

/// Cycle counts of the phases of one MVM.
public struct CrossbarTiming: ComponentConfiguration {
    public var driveCycles: Int = 1
    public var settleCycles: Int = 1
    public var adcCycles: Int = 4
    public var shiftAddCycles: Int = 1
    public var detectCycles: Int = 1
    public var pwmStepCycles: Int = 1

    public init() {}

    public static let keys: [ConfigKey<Self>] = [
        .key(\.driveCycles, "drive_cycles", in: 0...1000,
             "word-line drive per phase at periphery.dac_reference_bits (scaled by periphery.dac_scaling)"),
        .key(\.settleCycles, "settle_cycles", in: 0...1000, "bit-line settle or charge share per phase"),
        .key(\.adcCycles, "adc_cycles", in: 1...1000,
             "one ADC conversion at periphery.adc.reference_bits (scaled by periphery.adc.scaling)"),
        .key(\.shiftAddCycles, "shift_add_cycles", in: 0...1000, "final shift-and-add per MVM"),
        .key(\.detectCycles, "detect_cycles", in: 0...1000, "zero detection; the whole cost of a skipped array"),
        .key(\.pwmStepCycles, "pwm_step_cycles", in: 1...1000, "one step of pulse width (input_drive pwm)"),
    ]
}

/// Bit-serial inputs, ADC, mux, timing and sparsity gating (profile section `periphery`).
public struct PeripheryConfig: ComponentConfiguration {
    public var inputBits: Int = 8
    /// Input bits applied per phase.
    public var dacBits: Int = 1
    public var inputEncoding: InputEncoding = .twoPass
    public var inputDrive: InputDrive = .bitSerial
    public var pwmWindow: PWMWindow = .full
    public var conversion: ConversionPoint = .perBitPlane
    public var differentialReadout: DifferentialReadout = .digital
    /// How the DAC's energy and drive cycles follow `dacBits`, from their values at `dacReferenceBits`.
    public var dacScaling: DACScaling = .currentSteering
    public var dacReferenceBits: Int = 1
    public var adc = ADCConfig()
    public var timing = CrossbarTiming()
    public var sparsity = SparsityConfig()

    public init() {}

    public static let keys: [ConfigKey<Self>] = [
        .key(\.inputBits, "input_bits", in: 1...16, "bits of an input code"),
        .key(\.dacBits, "dac_bits", in: 1...16, rule: "<= input_bits", "input bits applied per phase"),
        .key(\.inputEncoding, "input_encoding",
             "non-negative inputs; signed inputs in a positive and a negative pass; biased inputs; or signed "
                + "inputs in one pass, the sign setting the word-line polarity"),
        .key(\.inputDrive, "input_drive", "bit planes of dac_bits, or one pulse whose width is the code"),
        .key(\.pwmWindow, "pwm_window",
             "with input_drive pwm: integrate 2^bits - 1 steps, or until the vector's longest pulse ends"),
        .key(\.conversion, "conversion",
             "convert after every bit plane, or once per pass after the planes accumulate on the bit lines"),
        .key(\.differentialReadout, "differential_readout",
             "differential weights: convert G+ and G- columns apart, or their difference on the bit lines"),
        .key(\.dacScaling, "dac_scaling",
             "DAC energy E and drive cycles D at dac_bits b from E_r, D_r at dac_reference_bits r: "
                + "current_steering E_r*(2^b-1)/(2^r-1), ceil(D_r*(b+1)/(r+1)); fixed E_r, D_r"),
        .key(\.dacReferenceBits, "dac_reference_bits", in: 1...16,
             "resolution at which energy.array.dac_conversion and timing.drive_cycles are given"),
        .section(\.adc, "adc", "column ADCs"),
        .section(\.timing, "timing", "cycles of the MVM phases"),
        .section(\.sparsity, "sparsity", "sparsity-aware cell disabling"),
    ]

    public func combinationIssues(keysValid: Bool) -> [ConfigIssue] {
        var v = IssueCollector()
        v.require(dacBits <= inputBits, "dac_bits", "dac_bits (\(dacBits)) must not exceed input_bits (\(inputBits))")
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

    public static let keys: [ConfigKey<Self>] = [
        .key(\.wordlineDrive, "wordline_drive", atLeast: 0, "one word line driven for one bit plane (one pulse-width step with input_drive pwm)"),
        .key(\.dacConversion, "dac_conversion", atLeast: 0,
             "one DAC output for one bit plane (pulse-width step) at periphery.dac_reference_bits "
                + "(scaled by periphery.dac_scaling)"),
        .key(\.cellRead, "cell_read", atLeast: 0, "one enabled cell for one bit plane (one pulse-width step with input_drive pwm)"),
        .key(\.bitlineCharge, "bitline_charge", atLeast: 0, "one unit of column charge (input digit x cell level)"),
        .key(\.adcConversion, "adc_conversion", atLeast: 0,
             "one conversion at periphery.adc.reference_bits (scaled to adc bits by periphery.adc.scaling)"),
        .key(\.sparsityDetection, "sparsity_detection", atLeast: 0, "zero test of one input"),
        .key(\.permutation, "permutation", atLeast: 0, "one resequenced input element"),
        .key(\.compensation, "compensation", atLeast: 0, "one compensated column output"),
        .key(\.shiftAdd, "shift_add", atLeast: 0, "one shift-and-add of an ADC code"),
    ]
}
