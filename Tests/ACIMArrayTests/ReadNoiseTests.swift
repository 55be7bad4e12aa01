import ACIMCore
import Testing
@testable import ACIMArray

/// Per-cell Gaussian read noise is added exactly in distribution at the column output.
@Suite struct ReadNoiseTests {
    @Test func columnNoiseMatchesPerCellSampling() throws {
        var config = CrossbarConfig()
        config.array.rows = 64
        config.array.cols = 8
        config.array.bitsPerCell = 2
        config.array.weightBits = 3          // one 2-bit slice, a G+ and a G- column
        config.periphery.inputBits = 2
        config.periphery.dacBits = 2         // one phase with digits 0...3
        config.periphery.inputEncoding = .unsigned
        config.periphery.adc.bits = 16       // step below one unit: decoded sums are whole products
        config.periphery.adc.columnsPerADC = 8
        let sigmaLevels = 0.5
        let step = config.device.gMax.value / 3
        config.device.readNoise = Quantity(sigmaLevels * step)
        var crossbar = try Crossbar(config: config, id: testArray, temperature: 300)
        try crossbar.program(weights: Matrix(rows: 64, columns: 1, repeating: 1), seed: 0)
        let digits = (0..<64).map { Int32($0 % 4) }
        let inputs = Matrix(rows: 1, columns: 64, storage: digits)
        let samples = 4000

        var engine: [Double] = []
        for k in 0..<samples {
            let y = try FastEngine().run(crossbar, inputs: inputs, context: ReadContext(seed: 21, firstVector: UInt64(k)))
            engine.append(y.outputs[0, 0])
        }
        // The same column sampled cell by cell, each cell with its own Gaussian, through the same ADC.
        var rng = RandomStream(seed: 99, purpose: .userInput)
        let adc = ADC(bits: 16)
        var perCell: [Double] = []
        for _ in 0..<samples {
            var sum: Float = 0
            for d in digits { sum += Float(d) * Float(1 + sigmaLevels * rng.nextGaussian()) }
            perCell.append(adc.convert(sum, fullScale: 64 * 3 * 3))
        }

        let expectedMean = Double(digits.reduce(0, +))
        let expectedStd = sigmaLevels * Double(digits.map { $0 * $0 }.reduce(0, +)).squareRoot()
        for values in [engine, perCell] {
            let mean = values.reduce(0, +) / Double(values.count)
            let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
            #expect(abs(mean - expectedMean) < 4 * expectedStd / Double(samples).squareRoot())
            // Rounding to whole products adds a variance of 1/12.
            let roundedStd = (expectedStd * expectedStd + 1.0 / 12).squareRoot()
            #expect(abs(std / roundedStd - 1) < 4 / Double(2 * samples).squareRoot())
        }
        // Two-sample Kolmogorov-Smirnov statistic below its 1 % critical value.
        let a = engine.sorted(), b = perCell.sorted()
        var i = 0, j = 0, d = 0.0
        while i < a.count && j < b.count {
            let x = min(a[i], b[j])
            while i < a.count && a[i] <= x { i += 1 }
            while j < b.count && b[j] <= x { j += 1 }
            d = max(d, abs(Double(i) / Double(a.count) - Double(j) / Double(b.count)))
        }
        #expect(d < 1.63 * (2.0 / Double(samples)).squareRoot())
    }

    /// Programming noise moves the programmed conductance with the configured standard deviation.
    @Test func programmingNoiseHasTheConfiguredSpread() throws {
        var config = CrossbarConfig()
        config.device.programmingNoise = Quantity(1e-6)
        var crossbar = try Crossbar(config: config, id: testArray, temperature: 300)
        try crossbar.program(weights: Matrix(rows: 256, columns: 32, repeating: 85), seed: 3)  // level 1 on 3 slices
        let device = crossbar.device
        var deviations: [Double] = []
        for (index, level) in crossbar.cells.levels.enumerated() where level == 1 {
            deviations.append(Double(crossbar.cells.conductance[index]) - device.target(level: 1))
        }
        let n = Double(deviations.count)
        let mean = deviations.reduce(0, +) / n
        let std = (deviations.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)).squareRoot()
        #expect(n > 20_000)
        #expect(abs(mean) < 4e-6 / n.squareRoot())
        #expect(abs(std / 1e-6 - 1) < 0.02)
    }
}
