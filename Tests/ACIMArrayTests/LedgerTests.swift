import ACIMCore
import Testing
@testable import ACIMArray

/// An MVM's ledger is its event counts times the energy table, booked at its array.
@Suite struct LedgerTests {
    /// 4 rows x 2 outputs of 8-bit differential weights in 2-bit cells (16 columns, 2 ADCs), 4-bit
    /// unsigned inputs through a 1-bit DAC (4 phases, one pass), gating off, on both engines.
    @Test(arguments: [FastEngine() as any MVMEngine, ReferenceEngine()])
    func ledgerOfAKnownMVM(_ engine: any MVMEngine) throws {
        var config = CrossbarConfig()
        config.array.rows = 4
        config.array.cols = 16
        config.periphery.inputBits = 4
        config.periphery.inputEncoding = .unsigned
        config.periphery.sparsity.enabled = false
        let id = ArrayID(tile: 1, slot: 2)
        var crossbar = try Crossbar(config: config, id: id, temperature: 300)
        let weights = Matrix<Int32>(rows: 4, columns: 2, storage: [3, -5, 0, 7, 1, 1, -2, 0])
        try crossbar.program(weights: weights, at: 0, seed: 1)
        let inputs = Matrix<Int32>(rows: 2, columns: 4, storage: [5, 3, 0, 15, 1, 2, 4, 8])
        let ledger = try engine.run(crossbar, inputs: inputs, context: ReadContext(seed: 1, firstVector: 0)).cost.ledger
        // Per vector: 4 word lines x 4 phases; 4 x 16 cells x 4 phases; 16 conversions x 4 phases.
        // Charge: input popcount x base-4 digit sum of |w| per row (5, 4, 2, 2): 2*5 + 2*4 + 4*2 = 26, then 13.
        let expected: [CostComponent: Double] = [
            .wordlineDrive: 32 * 0.05e-12, .dacConversion: 32 * 0.01e-12, .cellRead: 512 * 0.001e-12,
            .bitlineCharge: 39 * 0.002e-12, .adcConversion: 128 * 2e-12, .sparsityDetection: 0, .permutation: 0,
            .compensation: 0, .shiftAdd: 128 * 0.01e-12,
        ]
        #expect(ledger.components == Array(CostComponent.allCases.prefix(9)))
        for (component, joules) in expected {
            #expect(abs(ledger.energy(component, at: .array(id)) - joules) < 1e-24, "\(component)")
        }
        #expect(abs(ledger.energy - 259.79e-12) < 1e-22)
        #expect(ledger.places == [.array(id)])
        // 4 phases x (1 drive + 1 settle + 8 conversion slots x 4 cycles) + 1 shift-add, per vector.
        #expect(ledger.cycles(at: .array(id)) == 2 * 137)
    }
}
