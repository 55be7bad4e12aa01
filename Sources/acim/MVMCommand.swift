import ACIMArray
import ACIMCore
import ArgumentParser
import Foundation

/// `acim mvm`: one crossbar MVM batch on random or given weights and inputs.
struct MVM: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one crossbar MVM batch bit-accurately and report its error, cycles and energy.",
        discussion: """
            Weights (rows x outputs) and inputs (vectors x rows) come from .npy files or are drawn at random \
            (Gaussian weights, ReLU-like or signed Gaussian inputs with the given zero fraction). Both are \
            quantized symmetrically to the array's codes; outputs are compared with the float product.
            """)

    @OptionGroup var profile: ProfileOption
    @OptionGroup var array: ArrayOptions
    @Option(help: "Weights as a rows x outputs .npy file.") var weights: String?
    @Option(help: "Inputs as a vectors x rows .npy file.") var inputs: String?
    @Option(name: .customLong("input-rows"), help: "Input rows for random weights (default: all rows).") var inputRows: Int?
    @Option(help: "Outputs for random weights (default: as many as fit).") var outputs: Int?
    @Option(help: "Input vectors for random inputs.") var batch = 8
    @Option(help: "Zero fraction of random inputs (0...1).") var sparsity = 0.0
    @Option(name: .customLong("weight-sparsity"), help: "Zero fraction of random weights (0...1).") var weightSparsity = 0.0
    @Option(help: "fast | reference") var engine = "fast"
    @Option(help: "Seed of every random stream.") var seed: UInt64 = 1
    @Option(help: "Simulated time between programming and the MVM, e.g. 1d (device drift).") var time = "0s"

    func run() throws {
        let hardware = try profile.load()
        let config = try array.apply(to: hardware.crossbar)
        let layout = CrossbarLayout(config: config)
        guard (0...1).contains(sparsity), (0...1).contains(weightSparsity) else {
            throw ValidationError("--sparsity and --weight-sparsity take a fraction in 0...1")
        }
        guard batch >= 1 else { throw ValidationError("--batch: expected at least 1, got \(batch)") }
        let chosen: any MVMEngine
        switch engine {
        case "fast": chosen = FastEngine()
        case "reference": chosen = ReferenceEngine()
        default: throw ValidationError("--engine: expected fast or reference, got '\(engine)'")
        }
        let weightMatrix = try weights.map { try loadMatrix($0, name: "--weights") }
            ?? randomWeights(rows: inputRows ?? layout.logicalRows, outputs: outputs ?? layout.weightCapacity)
        let unsigned = config.periphery.inputEncoding == .unsigned && layout.mode != .xnor
        let inputMatrix = try inputs.map { try loadMatrix($0, name: "--inputs") }
            ?? randomInputs(vectors: batch, rows: weightMatrix.rows, unsigned: unsigned)
        let result: QuantizedMVM
        let elapsed: Double
        do {
            elapsed = try Quantity<ACIMCore.Duration>(parsing: time).value
        } catch {
            throw ValidationError("--time: \(error)")
        }
        guard elapsed >= 0 else { throw ValidationError("--time: expected a duration >= 0, got \(time)") }
        result = try QuantizedMVM.run(weights: weightMatrix, inputs: inputMatrix, config: config, engine: chosen,
                                      array: singleArray, temperature: hardware.technology.temperature.value,
                                      seed: seed, time: elapsed)
        report(result, config: config, layout: layout, vectors: inputMatrix.rows)
    }

    private func loadMatrix(_ path: String, name: String) throws -> Matrix<Float> {
        do {
            let array = try NPYArray.read(path: path)
            guard array.shape.count == 2 else {
                throw CLIError("\(name) \(path): expected a 2-D array, got shape \(array.shape)")
            }
            guard array.values.allSatisfy(\.isFinite) else {
                throw CLIError("\(name) \(path): values must be finite numbers")
            }
            return Matrix(rows: array.shape[0], columns: array.shape[1], storage: array.values.map { Float($0) })
        } catch let error as ACIMError {
            throw CLIError("\(name): \(error.description)")
        }
    }

    private func randomWeights(rows: Int, outputs: Int) throws -> Matrix<Float> {
        var rng = RandomStream(seed: seed, purpose: .userInput, event: 1)
        return Matrix(rows: rows, columns: outputs) { _, _ in
            rng.nextUniform() < weightSparsity ? 0 : Float(rng.nextGaussian())
        }
    }

    private func randomInputs(vectors: Int, rows: Int, unsigned: Bool) -> Matrix<Float> {
        var rng = RandomStream(seed: seed, purpose: .userInput, event: 2)
        return Matrix(rows: vectors, columns: rows) { _, _ in
            if rng.nextUniform() < sparsity { return 0 }
            let value = Float(rng.nextGaussian())
            return unsigned ? abs(value) : value
        }
    }

    private func report(_ r: QuantizedMVM, config: CrossbarConfig, layout: CrossbarLayout, vectors: Int) {
        let a = config.array, p = config.periphery
        print("array       \(a.rows)x\(a.cols), \(a.bitsPerCell)-bit cells, \(a.weightBits)-bit \(a.weightEncoding.rawValue) weights in \(layout.slices) slices, mode \(layout.mode.rawValue)")
        print("periphery   \(p.inputBits)-bit \(p.inputEncoding.rawValue) inputs, \(p.dacBits)-bit DAC, \(layout.passes) pass(es) x \(layout.phasesPerPass) phases, \(p.adc.bits)-bit ADC (\(p.adc.range.rawValue)), \(p.adc.columnsPerADC) columns per ADC")
        print("mapping     \(r.mapping.rows) rows x \(r.mapping.outputs) outputs on \(r.mapping.mappedColumns) columns; weight sparsity \(percent(r.mapping.weightSparsity))" + (r.mapping.resequenced ? ", resequenced" : ""))
        print("            statically disabled: \(r.mapping.rows - r.mapping.enabledRows) rows, \(r.mapping.mappedColumns - r.mapping.enabledColumns) columns")
        print("error       relative RMS \(fmt(r.relativeRMSError, 5)) vs the float product; max |error| \(fmt(r.maxAbsError, 4)); \(percent(r.exactFraction)) of outputs equal the exact integer product")
        let act = r.cost.activity
        print("gating      \(act.passesGated) of \(act.passes) passes gated, \(act.passesSkipped) skipped, \(act.rowsDisabled) rows disabled, \(act.phasesSkipped) phases skipped")
        print("cycles      \(act.cycles) for \(vectors) vectors (\(act.cycles / max(1, vectors)) per MVM); ungated \(r.cost.ungated.cycles)")
        print("energy      per MVM, pJ        gated    ungated")
        for ((name, gated), (_, ungated)) in zip(r.cost.energy.items, r.cost.ungatedEnergy.items) {
            print("  " + name.padding(toLength: 24, withPad: " ", startingAt: 0)
                  + pad(fmt(gated / Double(vectors) * 1e12, 3), 9) + pad(fmt(ungated / Double(vectors) * 1e12, 3), 11))
        }
        print("  " + "total".padding(toLength: 24, withPad: " ", startingAt: 0)
              + pad(fmt(r.cost.energy.total / Double(vectors) * 1e12, 3), 9)
              + pad(fmt(r.cost.ungatedEnergy.total / Double(vectors) * 1e12, 3), 11))
        print("saved       \(fmt(r.cost.savedEnergy / Double(vectors) * 1e12, 3)) pJ per MVM (\(percent(r.cost.savedEnergy / max(r.cost.ungatedEnergy.total, 1e-30)))), \(r.cost.savedCycles) cycles")
    }
}

func fmt(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }
func pad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
