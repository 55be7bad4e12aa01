import ACIMArray
import ACIMCore
import ArgumentParser

extension WeightEncoding: ExpressibleByArgument {}
extension InputEncoding: ExpressibleByArgument {}
extension ADCRange: ExpressibleByArgument {}
extension GatingGranularity: ExpressibleByArgument {}
extension DisabledCellMode: ExpressibleByArgument {}
extension CellMode: ExpressibleByArgument {}
extension InputDrive: ExpressibleByArgument {}
extension ConversionPoint: ExpressibleByArgument {}
extension DifferentialReadout: ExpressibleByArgument {}
extension DifferentialCell: ExpressibleByArgument {}

/// Command-line overrides of the crossbar parameters; each one left out keeps the profile's value.
struct ArrayOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Word lines of the array (1...8192).") var rows: Int?
    @Option(parsing: .unconditional, help: "Bit lines of the array (1...8192).") var cols: Int?
    @Option(name: .customLong("bits-per-cell"), parsing: .unconditional, help: "Bits per multi-level cell (1...4).") var bitsPerCell: Int?
    @Option(name: .customLong("weight-bits"), parsing: .unconditional, help: "Bits of a signed weight (1...16).") var weightBits: Int?
    @Option(name: .customLong("weight-encoding"), help: "differential | offset") var weightEncoding: WeightEncoding?
    @Option(name: .customLong("input-bits"), parsing: .unconditional, help: "Bits of an input (1...16).") var inputBits: Int?
    @Option(name: .customLong("dac-bits"), parsing: .unconditional, help: "Input bits per phase (1...input-bits).") var dacBits: Int?
    @Option(name: .customLong("input-encoding"), help: "unsigned | two_pass | offset | sign_magnitude") var inputEncoding: InputEncoding?
    @Option(name: .customLong("input-drive"), help: "bit_serial | pwm (one pulse whose width is the input)") var inputDrive: InputDrive?
    @Option(help: "ADC conversions: per_bit_plane | per_mvm") var conversion: ConversionPoint?
    @Option(name: .customLong("differential-readout"), help: "G+ less G-: digital (after two conversions) | analog (on the bit lines)") var differentialReadout: DifferentialReadout?
    @Option(name: .customLong("differential-cell"), help: "G+ and G- on two columns | in one unit_cell per column") var differentialCell: DifferentialCell?
    @Option(name: .customLong("adc-bits"), parsing: .unconditional, help: "ADC resolution (1...16).") var adcBits: Int?
    @Option(name: .customLong("adc-range"), help: "full_scale | calibrated") var adcRange: ADCRange?
    @Option(name: .customLong("columns-per-adc"), parsing: .unconditional, help: "Columns sharing one ADC (divides cols).") var columnsPerADC: Int?
    @Flag(name: .customLong("no-gating"), help: "Turn sparsity-aware cell disabling off.") var noGating = false
    @Option(name: .customLong("gating-threshold"), parsing: .unconditional, help: "Input-sparsity threshold (0...1) or auto.") var gatingThreshold: String?
    @Option(help: "Gating granularity: row | bit_plane") var granularity: GatingGranularity?
    @Option(name: .customLong("disabled-cells"), help: "grounded | disconnected") var disabledCells: DisabledCellMode?
    @Option(help: "Cell operation: and | xnor | auto") var mode: CellMode?
    @Option(name: .customLong("programming-noise"), parsing: .unconditional, help: "Std of the programmed conductance, with a unit, e.g. 0.5uS (below g_max).") var programmingNoise: String?
    @Option(name: .customLong("read-noise"), parsing: .unconditional, help: "Std of one cell read, with a unit, e.g. 0.2uS (below g_max).") var readNoise: String?

    /// `base` with every given option applied.
    func apply(to base: CrossbarConfig) throws -> CrossbarConfig {
        var c = base
        if let rows { c.array.rows = rows }
        if let cols { c.array.cols = cols }
        if let bitsPerCell { c.array.bitsPerCell = bitsPerCell }
        if let weightBits { c.array.weightBits = weightBits }
        if let weightEncoding { c.array.weightEncoding = weightEncoding }
        if let inputBits { c.periphery.inputBits = inputBits }
        if let dacBits { c.periphery.dacBits = dacBits }
        if let inputEncoding { c.periphery.inputEncoding = inputEncoding }
        if let inputDrive { c.periphery.inputDrive = inputDrive }
        if let conversion { c.periphery.conversion = conversion }
        if let differentialReadout { c.periphery.differentialReadout = differentialReadout }
        if let differentialCell { c.array.differentialCell = differentialCell }
        if let adcBits { c.periphery.adc.bits = adcBits }
        if let adcRange { c.periphery.adc.range = adcRange }
        if let columnsPerADC { c.periphery.adc.columnsPerADC = columnsPerADC }
        if noGating {
            try rejectIgnored([("--gating-threshold", gatingThreshold != nil), ("--granularity", granularity != nil),
                               ("--disabled-cells", disabledCells != nil)],
                              because: "cell disabling is off (--no-gating)")
            c.periphery.sparsity.enabled = false
        }
        if let gatingThreshold {
            if gatingThreshold == "auto" {
                c.periphery.sparsity.inputThreshold = .auto
            } else if let value = Double(gatingThreshold), (0...1).contains(value) {
                c.periphery.sparsity.inputThreshold = .fixed(value)
            } else {
                throw CLIError("--gating-threshold: expected a number in 0...1 or auto, got '\(gatingThreshold)'")
            }
        }
        if let granularity { c.periphery.sparsity.granularity = granularity }
        if let disabledCells { c.periphery.sparsity.disabledCells = disabledCells }
        if let mode { c.periphery.sparsity.mode = mode }
        if let programmingNoise {
            c.device.programmingNoise = try conductanceStd(programmingNoise, "--programming-noise", device: c.device)
        }
        if let readNoise { c.device.readNoise = try conductanceStd(readNoise, "--read-noise", device: c.device) }
        let issues = c.validate()
        guard issues.isEmpty else {
            throw CLIError(issues.map { "invalid \($0.path.joined(separator: ".")): \($0.message)" }.joined(separator: "\n"))
        }
        return c
    }

    /// A conductance standard deviation given with its unit, in 0 ... g_max of `device`.
    private func conductanceStd(_ text: String, _ option: String, device: CellDeviceConfig) throws -> Quantity<Conductance> {
        let value = try parseQuantity(text, option, as: Conductance.self)
        guard value == 0 || Double(text.trimmingCharacters(in: .whitespaces)) == nil else {
            throw CLIError("\(option) \(text): give a unit, e.g. \(text)uS (a bare number would be \(text) S)")
        }
        guard value >= 0, value <= device.gMax.value else {
            throw CLIError("\(option) \(text): expected a conductance std in 0S...\(device.gMax) (g_max)")
        }
        return Quantity(value)
    }
}

/// The one array of the single-array commands (`mvm`, `bench`, `device`): it keys their random streams.
let singleArray = ArrayID(tile: 0, slot: 0)
