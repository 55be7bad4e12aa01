import ACIMCore
@testable import ACIMArray

/// Random configurations, weights and inputs for property tests, drawn from a seeded stream.
struct RandomCase {
    var config: CrossbarConfig
    var weights: Matrix<Int32>
    var inputs: Matrix<Int32>

    /// The ideal integer product `inputs x weights`.
    var ideal: Matrix<Double> {
        Matrix(rows: inputs.rows, columns: weights.columns) { b, j in
            var sum = 0.0
            for r in 0..<weights.rows { sum += Double(inputs[b, r]) * Double(weights[r, j]) }
            return sum
        }
    }

    static func make(seed: UInt64, xnor: Bool = false, losslessADC: Bool = false) -> RandomCase {
        var rng = RandomStream(seed: seed, purpose: .userInput)
        func pick<T>(_ options: [T]) -> T { options[Int(rng.next() % UInt64(options.count))] }
        func uniform(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }

        var config = CrossbarConfig()
        config.array.rows = pick([8, 16, 24, 40, 64])
        config.array.cols = pick([16, 32, 48, 64])
        config.periphery.adc.columnsPerADC = pick([1, 2, 4, 8, 16].filter { config.array.cols % $0 == 0 })
        let sparsity = config.periphery.sparsity
        config.periphery.sparsity.enabled = pick([true, true, false])
        config.periphery.sparsity.inputThreshold = pick([.fixed(0), .fixed(0.2), .fixed(0.5), .auto])
        config.periphery.sparsity.weightThreshold = pick([0.0, 0.3, sparsity.weightThreshold])
        config.periphery.sparsity.granularity = pick(GatingGranularity.allCases)
        config.periphery.sparsity.disabledCells = pick(DisabledCellMode.allCases)
        if xnor {
            config.array.weightBits = 1
            config.periphery.inputBits = 1
            config.periphery.dacBits = 1
            config.periphery.sparsity.mode = pick([.auto, .xnor])
        } else {
            config.array.bitsPerCell = uniform(1...4)
            config.array.weightBits = uniform(2...8)
            config.array.weightEncoding = pick(WeightEncoding.allCases)
            config.periphery.inputBits = uniform(2...8)
            config.periphery.dacBits = uniform(1...config.periphery.inputBits)
            // The encodings of bit-serial, per-plane conversion; the other schemes have their own cases
            // (`SchemeCase`).
            config.periphery.inputEncoding = pick([.unsigned, .twoPass, .offset])
            config.periphery.sparsity.disableZeroWeightCells = pick([false, true])
        }
        while CrossbarLayout(config: config).weightCapacity < 1 { config.array.cols *= 2 }
        config.periphery.adc.bits = uniform(3...10)
        if losslessADC {
            // The smallest ADC whose step is at most one unit product; at most 16 bits.
            while true {
                let layout = CrossbarLayout(config: config)
                let maxSum = config.array.rows / layout.wordLinesPerRow * layout.maxDigit * layout.maxLevel
                var bits = 1
                while (1 << bits) - 1 < maxSum { bits += 1 }
                if bits <= 16 {
                    config.periphery.adc.bits = bits
                    break
                }
                config.periphery.dacBits = max(1, config.periphery.dacBits - 1)
                config.array.rows /= 2
            }
        }

        let capacity = CrossbarLayout(config: config)
        let rows = uniform(1...capacity.logicalRows)
        let outputs = uniform(1...min(capacity.weightCapacity, 12))
        let weightRange = WeightMapping.codeRange(config: config, layout: capacity)
        let weightZeros = Double(uniform(0...90)) / 100
        let weights = Matrix<Int32>(rows: rows, columns: outputs) { _, _ in
            if xnor { return rng.next() % 2 == 0 ? 1 : -1 }
            if rng.nextUniform() < weightZeros { return 0 }
            return Int32(uniform(weightRange))
        }
        let vectors = uniform(1...5)
        let inputZeros = Double(uniform(0...100)) / 100
        let bits = config.periphery.inputBits
        let inputRange: ClosedRange<Int>
        switch (xnor, config.periphery.inputEncoding) {
        case (true, _): inputRange = -1...1
        case (_, .unsigned): inputRange = 0...((1 << bits) - 1)
        case (_, .twoPass), (_, .signMagnitude): inputRange = -((1 << (bits - 1)) - 1)...((1 << (bits - 1)) - 1)
        case (_, .offset): inputRange = -(1 << (bits - 1))...((1 << (bits - 1)) - 1)
        }
        let inputs = Matrix<Int32>(rows: vectors, columns: rows) { _, _ in
            if rng.nextUniform() < inputZeros { return 0 }
            var value = uniform(inputRange)
            if xnor && value == 0 { value = 1 }
            return Int32(value)
        }
        return RandomCase(config: config, weights: weights, inputs: inputs)
    }

    func programmed(seed: UInt64 = 7) throws -> Crossbar {
        var crossbar = try Crossbar(config: config, id: testArray, temperature: 300)
        try crossbar.program(weights: weights, seed: seed)
        return crossbar
    }
}

import ACIMCore

/// The array the tests build when one array is enough.
let testArray = ArrayID(tile: 0, slot: 0)

extension CellArray {
    /// Every cell's target level and stuck flag, in cell order.
    var levels: [UInt8] { (0..<wordLines * columns).map(targetLevel) }
    var stuckFlags: [Bool] { (0..<wordLines * columns).map(isStuck) }
}

/// An array of 8-bit weights in 2-bit cells read out on `groups` weight groups: its configuration, layout and
/// shift-and-add, the mapped columns of the groups (and the offset column) and where the offset column sits.
struct SlicedReadout {
    let config: CrossbarConfig
    let layout: CrossbarLayout
    let shiftAdd: ShiftAdd
    let groups: Int
    let columns: Int
    let offsetColumn: Int?

    init(rows: Int, cols: Int, encoding: WeightEncoding, groups: Int) {
        var config = CrossbarConfig()
        config.array.rows = rows
        config.array.cols = cols
        config.array.bitsPerCell = 2
        config.array.weightBits = 8
        config.array.weightEncoding = encoding
        self.config = config
        layout = CrossbarLayout(config: config)
        shiftAdd = ShiftAdd(config: config)
        self.groups = groups
        columns = groups * layout.columnsPerWeight + layout.offsetColumns
        offsetColumn = layout.offsetColumns > 0 ? groups * layout.columnsPerWeight : nil
    }
}
