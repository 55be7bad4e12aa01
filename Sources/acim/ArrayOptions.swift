import ACIMArray
import ACIMCore
import ArgumentParser

extension WeightEncoding: ExpressibleByArgument {}
extension InputEncoding: ExpressibleByArgument {}
extension ADCRange: ExpressibleByArgument {}
extension GatingGranularity: ExpressibleByArgument {}
extension DisabledCellMode: ExpressibleByArgument {}
extension CellMode: ExpressibleByArgument {}

/// Command-line overrides of the crossbar parameters; each one left out keeps the profile's value.
struct ArrayOptions: ParsableArguments {
    @Option(help: "Word lines of the array (1...8192).") var rows: Int?
    @Option(help: "Bit lines of the array (1...8192).") var cols: Int?
    @Option(name: .customLong("bits-per-cell"), help: "Bits per multi-level cell (1...4).") var bitsPerCell: Int?
    @Option(name: .customLong("weight-bits"), help: "Bits of a signed weight (1...16).") var weightBits: Int?
    @Option(name: .customLong("weight-encoding"), help: "differential | offset") var weightEncoding: WeightEncoding?
    @Option(name: .customLong("input-bits"), help: "Bits of an input (1...16).") var inputBits: Int?
    @Option(name: .customLong("dac-bits"), help: "Input bits per phase (1...input-bits).") var dacBits: Int?
    @Option(name: .customLong("input-encoding"), help: "unsigned | two_pass | offset") var inputEncoding: InputEncoding?
    @Option(name: .customLong("adc-bits"), help: "ADC resolution (1...16).") var adcBits: Int?
    @Option(name: .customLong("adc-range"), help: "full_scale | calibrated") var adcRange: ADCRange?
    @Option(name: .customLong("columns-per-adc"), help: "Columns sharing one ADC (divides cols).") var columnsPerADC: Int?
    @Flag(name: .customLong("no-gating"), help: "Turn sparsity-aware cell disabling off.") var noGating = false
    @Option(name: .customLong("gating-threshold"), help: "Input-sparsity threshold (0...1) or auto.") var gatingThreshold: String?
    @Option(help: "Gating granularity: row | bit_plane") var granularity: GatingGranularity?
    @Option(name: .customLong("disabled-cells"), help: "grounded | disconnected") var disabledCells: DisabledCellMode?
    @Option(help: "Cell operation: and | xnor | auto") var mode: CellMode?
    @Option(name: .customLong("programming-noise"), help: "Std of programmed conductance, e.g. 0.5uS.") var programmingNoise: String?
    @Option(name: .customLong("read-noise"), help: "Std of one cell read, e.g. 0.2uS.") var readNoise: String?

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
        if let adcBits { c.periphery.adc.bits = adcBits }
        if let adcRange { c.periphery.adc.range = adcRange }
        if let columnsPerADC { c.periphery.adc.columnsPerADC = columnsPerADC }
        if noGating { c.periphery.sparsity.enabled = false }
        if let gatingThreshold {
            if gatingThreshold == "auto" {
                c.periphery.sparsity.inputThreshold = .auto
            } else if let value = Double(gatingThreshold) {
                c.periphery.sparsity.inputThreshold = .fixed(value)
            } else {
                throw ValidationError("--gating-threshold: expected a number in 0...1 or auto, got '\(gatingThreshold)'")
            }
        }
        if let granularity { c.periphery.sparsity.granularity = granularity }
        if let disabledCells { c.periphery.sparsity.disabledCells = disabledCells }
        if let mode { c.periphery.sparsity.mode = mode }
        if let programmingNoise { c.device.programmingNoise = try Quantity(parsing: programmingNoise) }
        if let readNoise { c.device.readNoise = try Quantity(parsing: readNoise) }
        let issues = c.validate()
        guard issues.isEmpty else {
            throw CLIError(issues.map { "invalid \($0.path.joined(separator: ".")): \($0.message)" }.joined(separator: "\n"))
        }
        return c
    }
}

/// The one array of the single-array commands (`mvm`, `bench`, `device`): it keys their random streams.
let singleArray = ArrayID(tile: 0, slot: 0)
