import ACIMArray
import ACIMCore
import ArgumentParser
import Foundation

/// `acim mvm`: one crossbar MVM batch on random or given weights and inputs.
struct MVM: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one crossbar MVM batch bit-accurately and report its error, cycles, time and energy.",
        discussion: """
            Weights (rows x outputs) and inputs (vectors x rows) come from .npy files or are drawn at random \
            (Gaussian weights, ReLU-like or signed Gaussian inputs with the given zero fraction). Both are \
            quantized symmetrically to the array's codes; outputs are compared with the float product.
            """)

    @OptionGroup var profile: ProfileOption
    @OptionGroup var array: ArrayOptions
    @Option(help: "Weights as a rows x outputs .npy file.") var weights: String?
    @Option(help: "Inputs as a vectors x rows .npy file.") var inputs: String?
    @Option(name: .customLong("input-rows"), parsing: .unconditional, help: "Input rows for random weights (default: all rows).") var inputRows: Int?
    @Option(parsing: .unconditional, help: "Outputs for random weights (default: as many as fit).") var outputs: Int?
    @Option(parsing: .unconditional, help: "Input vectors for random inputs (default: 8).") var batch: Int?
    @Option(parsing: .unconditional, help: "Zero fraction of random inputs (0...1, default 0).") var sparsity: Double?
    @Option(name: .customLong("weight-sparsity"), parsing: .unconditional, help: "Zero fraction of random weights (0...1, default 0).") var weightSparsity: Double?
    @Option(help: "fast | reference") var engine = "fast"
    @Option(parsing: .unconditional, help: "Seed of every random stream.") var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "Simulated time between programming and the MVM, e.g. 1d (device drift; a bare number is seconds).") var time = "0s"

    func run() throws {
        let hardware = try profile.load()
        let config = try array.apply(to: hardware.crossbar)
        let layout = CrossbarLayout(config: config)
        if weights != nil {
            try rejectIgnored([("--input-rows", inputRows != nil), ("--outputs", outputs != nil),
                               ("--weight-sparsity", weightSparsity != nil)],
                              because: "the weights come from --weights, not drawn at random")
        }
        if inputs != nil {
            try rejectIgnored([("--batch", batch != nil), ("--sparsity", sparsity != nil)],
                              because: "the inputs come from --inputs, not drawn at random")
        }
        try check(sparsity ?? 0, in: 0...1, "--sparsity")
        try check(weightSparsity ?? 0, in: 0...1, "--weight-sparsity")
        let vectors = batch ?? 8
        try check(vectors, atLeast: 1, "--batch")
        try inputRows.map { try check($0, in: 1...layout.logicalRows, "--input-rows") }
        try outputs.map { try check($0, in: 1...layout.weightCapacity, "--outputs") }
        let chosen: any MVMEngine
        switch engine {
        case "fast": chosen = FastEngine()
        case "reference": chosen = ReferenceEngine()
        default: throw CLIError("--engine: expected fast or reference, got '\(engine)'")
        }
        let elapsed = try parseQuantity(time, "--time", as: ACIMCore.Duration.self)
        guard elapsed >= 0 else { throw CLIError("--time: expected a duration >= 0, got \(time)") }
        let weightMatrix = try weights.map { try loadMatrix($0, name: "--weights") }
            ?? randomWeights(rows: inputRows ?? layout.logicalRows, outputs: outputs ?? layout.weightCapacity)
        if inputs == nil {
            try MemoryBudget.require(Self.bytesPerVector(rows: weightMatrix.rows, outputs: weightMatrix.columns, layout: layout)
                                     * Double(vectors), for: "--batch \(vectors)")
        }
        let unsigned = config.periphery.inputEncoding == .unsigned && layout.mode != .xnor
        let inputMatrix = try inputs.map { try loadMatrix($0, name: "--inputs") }
            ?? randomInputs(vectors: vectors, rows: weightMatrix.rows, unsigned: unsigned)
        if let inputs, inputMatrix.columns != weightMatrix.rows {
            throw CLIError("--inputs: \(inputs): vectors of \(inputMatrix.columns) elements, but the weights have \(weightMatrix.rows) rows"
                           + (weights == nil ? " (set --input-rows \(inputMatrix.columns) for random weights of that size)" : ""))
        }
        let result = try QuantizedMVM.run(weights: weightMatrix, inputs: inputMatrix, config: config, engine: chosen,
                                          array: singleArray, temperature: hardware.technology.temperature.value,
                                          seed: seed, time: elapsed)
        report(result, config: config, layout: layout, vectors: inputMatrix.rows, clock: hardware.technology.clock)
    }

    /// Bytes an MVM batch allocates per input vector of `rows` elements with `outputs` outputs: the float
    /// inputs, their magnitudes and integer codes (4 bytes per element each), and per output the engine's
    /// accumulator per pass, its outputs, the rescaled outputs and the float product (8 bytes each).
    static func bytesPerVector(rows: Int, outputs: Int, layout: CrossbarLayout) -> Double {
        Double(3 * 4 * rows) + Double(8 * outputs * (layout.passes + 3))
    }

    private func loadMatrix(_ path: String, name: String) throws -> Matrix<Float> {
        let array: NPYArray
        do { array = try NPYArray.read(path: path) } catch let error as ACIMError { throw CLIError("\(name): \(error)") }
        guard array.shape.count == 2 else {
            throw CLIError("\(name): \(path): expected a 2-D array, got shape \(array.shape)")
        }
        guard array.shape.allSatisfy({ $0 > 0 }) else {
            throw CLIError("\(name): \(path): shape \(array.shape) is empty: expected at least one row and one column")
        }
        if let bad = array.values.firstIndex(where: { !$0.isFinite }) {
            throw CLIError("\(name): \(path): element [\(bad / array.shape[1])][\(bad % array.shape[1])] is \(array.values[bad]): expected finite numbers")
        }
        return Matrix(rows: array.shape[0], columns: array.shape[1], storage: array.values.map { Float($0) })
    }

    private func randomWeights(rows: Int, outputs: Int) throws -> Matrix<Float> {
        var rng = RandomStream(seed: seed, purpose: .userInput, event: 1)
        return Matrix(rows: rows, columns: outputs) { _, _ in
            rng.nextUniform() < (weightSparsity ?? 0) ? 0 : Float(rng.nextGaussian())
        }
    }

    private func randomInputs(vectors: Int, rows: Int, unsigned: Bool) -> Matrix<Float> {
        var rng = RandomStream(seed: seed, purpose: .userInput, event: 2)
        return Matrix(rows: vectors, columns: rows) { _, _ in
            if rng.nextUniform() < (sparsity ?? 0) { return 0 }
            let value = Float(rng.nextGaussian())
            return unsigned ? abs(value) : value
        }
    }

    private func report(_ r: QuantizedMVM, config: CrossbarConfig, layout: CrossbarLayout, vectors: Int,
                        clock: Quantity<Frequency>) {
        let a = config.array, p = config.periphery
        say("array       \(a.rows)x\(a.cols), \(a.bitsPerCell)-bit cells, \(a.weightBits)-bit \(a.weightEncoding.rawValue) weights in \(layout.slices) slices, mode \(layout.mode.rawValue)")
        let drive = p.inputDrive == .pwm ? "pulse-width (pwm) drive" : "\(p.dacBits)-bit DAC"
        say("periphery   \(p.inputBits)-bit \(p.inputEncoding.rawValue) inputs, \(drive), \(layout.passes) pass(es) x \(layout.phasesPerPass) phases, \(p.adc.bits)-bit ADC (\(p.adc.range.rawValue)), \(p.adc.columnsPerADC) columns per ADC")
        if layout.planesPerPhase > 1 || layout.pulseWidth || layout.analogPairs {
            say("conversion  \(p.conversion.rawValue): \(layout.planesPerPhase) bit plane(s) per conversion, "
                + (layout.analogPairs ? "G+ less G- on the bit lines (\(a.differentialCell.rawValue)), " : "")
                + (layout.signedSums ? "bipolar ADC" : "unipolar ADC") + ", \(layout.adcCount) ADCs")
        }
        say("mapping     \(r.mapping.rows) rows x \(r.mapping.outputs) outputs on \(r.mapping.mappedColumns) columns; weight sparsity \(percent(r.mapping.weightSparsity))" + (r.mapping.resequenced ? ", resequenced" : ""))
        say("            statically disabled: \(r.mapping.rows - r.mapping.enabledRows) rows, \(r.mapping.mappedColumns - r.mapping.enabledColumns) columns")
        say("error       relative RMS \(fmt(r.relativeRMSError, 5)) vs the float product; max |error| \(fmt(r.maxAbsError, 4)); \(percent(r.exactFraction)) of outputs equal the exact integer product")
        let act = r.cost.activity
        say("gating      \(act.passesGated) of \(act.passes) passes gated, \(act.passesSkipped) skipped, \(act.rowsDisabled) rows disabled, \(act.phasesSkipped) phases skipped")
        say("cycles      \(act.cycles) for \(vectors) vectors (\(act.cycles / max(1, vectors)) per MVM); ungated \(r.cost.ungated.cycles)")
        say("time        \(fmt(Double(act.cycles) / Double(vectors) / clock.value * 1e9, 3)) ns per MVM at \(clock.formatted())")
        let (gated, ungated) = (r.cost.ledger, r.cost.ungatedLedger)
        // One row: the name, then the gated and ungated energies in pJ per MVM.
        func row(_ name: String, _ gated: Double, _ ungated: Double) {
            say("  " + name.padding(toLength: 24, withPad: " ", startingAt: 0)
                  + pad(fmt(gated / Double(vectors) * 1e12, 3), 9) + pad(fmt(ungated / Double(vectors) * 1e12, 3), 11))
        }
        say("energy      per MVM, pJ        gated    ungated")
        for component in gated.components { row(component.label, gated.energy(component), ungated.energy(component)) }
        row("total", gated.energy, ungated.energy)
        say("saved       \(fmt(r.cost.savedEnergy / Double(vectors) * 1e12, 3)) pJ per MVM (\(percent(r.cost.savedEnergy / max(ungated.energy, 1e-30)))), \(r.cost.savedCycles) cycles")
    }
}

func fmt(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }
func pad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
