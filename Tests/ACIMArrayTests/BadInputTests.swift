import ACIMCore
import Testing
@testable import ACIMArray

/// Invalid parameters, weights and inputs give errors naming what was wrong; nothing traps.
@Suite struct BadInputTests {
    private func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func invalidConfigurationsNameTheParameterAndRange() {
        var config = CrossbarConfig()
        config.array.rows = 0
        #expect(message { _ = try Crossbar(config: config, id: testArray, temperature: 300) } == "invalid array.rows: expected an integer in 1...8192, got 0")
        config = CrossbarConfig()
        config.periphery.adc.bits = 0
        #expect(message { _ = try Crossbar(config: config, id: testArray, temperature: 300) }.contains("periphery.adc.bits: expected an integer in 1...16, got 0"))
        config.periphery.adc.bits = 17
        #expect(message { _ = try Crossbar(config: config, id: testArray, temperature: 300) }.contains("1...16, got 17"))
        config = CrossbarConfig()
        config.periphery.dacBits = 9
        #expect(message { _ = try Crossbar(config: config, id: testArray, temperature: 300) }.contains("dac_bits (9) must not exceed input_bits (8)"))
        config = CrossbarConfig()
        config.array.cols = 6
        config.periphery.adc.columnsPerADC = 2
        #expect(message { _ = try Crossbar(config: config, id: testArray, temperature: 300) }.contains("one weight needs 8 columns"))
    }

    @Test func weightsAndInputsOutsideTheArrayAreRejected() throws {
        var crossbar = try Crossbar(config: CrossbarConfig(), id: testArray, temperature: 300)
        #expect(message { try crossbar.program(weights: Matrix(rows: 300, columns: 2, repeating: 1), seed: 0) }
            .contains("weight matrix has 300 rows; the array takes 1...256"))
        #expect(message { try crossbar.program(weights: Matrix(rows: 4, columns: 33, repeating: 1), seed: 0) }
            .contains("33 outputs; the array holds 1...32"))
        #expect(message { try crossbar.program(weights: Matrix(rows: 4, columns: 2, repeating: 128), seed: 0) }
            .contains("weight[0][0] = 128: expected a code in -127...127"))
        #expect(message { _ = try FastEngine().run(crossbar, inputs: Matrix(rows: 1, columns: 4, repeating: 1), context: ReadContext(seed: 0, firstVector: 0)) }
            .contains("program it before running an MVM"))
        try crossbar.program(weights: Matrix(rows: 4, columns: 2, repeating: 5), seed: 0)
        #expect(message { _ = try FastEngine().run(crossbar, inputs: Matrix(rows: 1, columns: 5, repeating: 1), context: ReadContext(seed: 0, firstVector: 0)) }
            .contains("input vectors have 5 elements; the mapped weights have 4 rows"))
        #expect(message { _ = try ReferenceEngine().run(crossbar, inputs: Matrix(rows: 1, columns: 4, repeating: 200), context: ReadContext(seed: 0, firstVector: 0)) }
            .contains("input[0][0] = 200: expected a code in -127...127"))
    }

    @Test func hugeArraysAreRefusedUpFront() {
        var config = CrossbarConfig()
        config.array.rows = 8192
        config.array.cols = 8192
        config.periphery.dacBits = 1
        #expect(message { _ = try Crossbar(config: config, id: testArray, temperature: 300) }.contains("resource limit"))
    }
}
