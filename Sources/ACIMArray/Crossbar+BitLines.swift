import ACIMCore

/// One phase that drives a set of word lines with the DAC's top digit and converts every bit line on its
/// own, before any shift-and-add: what a device controller's functional check reads. It runs on the
/// periphery inference uses: the same ADC (bipolar where inference's is) and range, and the same drive (with
/// pulse-width inputs, a pulse of the top digit's width on each line); the sums are reported per unit digit.
public struct BitLineRead: Sendable {
    /// ADC-decoded sum of every mapped column divided by the digit, in level units (0 for columns not read).
    public var sums: [Double]
    public var activity: MVMActivity
    public var energy: Double
}

extension Crossbar {
    /// Drives word line 0 of each logical row in `rows` (the `+1` line in XNOR mode) with the top digit for
    /// one phase and converts every readable bit line: the ideal sums plus read noise at the column output,
    /// the ADC range following the connected cells when gating disconnects the idle rows.
    public func readBitLines(rows logicalRows: [Int], context: ReadContext) throws -> BitLineRead {
        let (mapping, readout) = try programmedState()
        let columns = mapping.mappedColumns
        var read = BitLineRead(sums: [Double](repeating: 0, count: columns), activity: MVMActivity(), energy: 0)
        guard !logicalRows.isEmpty else { return read }
        let wordLines = try logicalRows.map { try position(row: $0, output: 0).rowPosition * layout.wordLinesPerRow }
        let gate = SparsityGate(config: config, mapping: mapping)
        let gated = gate.applies(zeroRows: mapping.rows - wordLines.count, enabledRows: mapping.rows)
        let fullScale = fullScale(connectedCells: wordLines.count, rescales: gated && gate.rescalesRange,
                                  mappedRows: mapping.rows)
        let adc = ADC(config: config)
        let drive = PhaseDrive(config: config)
        let noise = context.readNoise(array: id, vector: 0)
        let digit = Float(layout.maxDigit)
        var converted = 0
        for c in 0..<columns where !mapping.staticColumnDisabled[c] {
            var sum: Float = 0
            for w in wordLines { sum += readout.levels[w, c] }
            let variance = readout.readVariance * Float(wordLines.count)
            sum *= digit
            if variance > 0 { sum += digit * variance.squareRoot() * Float(noise.gaussian(at: UInt64(c))) }
            read.sums[c] = adc.convert(sum, fullScale: fullScale) / Double(digit)
            converted += 1
        }
        read.activity.vectors = 1
        read.activity.passes = 1
        read.activity.phasesRun = 1
        let pulses = PhaseDrive.Pulses(steps: wordLines.count * layout.maxDigit, longest: layout.maxDigit)
        read.activity.wordlineDrives = drive.drives(connected: wordLines.count, pulses: pulses)
        read.activity.cellReads = drive.cellReads(cells: wordLines.count, pulses: pulses) * converted
        read.activity.adcConversions = converted
        read.activity.cycles = drive.cycles(config.scaledTiming, activeColumns: converted, adcCount: layout.adcCount,
                                            pulses: pulses)
        read.energy = read.activity.ledger(array: id, table: config.scaledEnergy).energy
        return read
    }
}
