import ACIMCore
import Foundation
import Testing
@testable import ACIMArray

/// The materialization's fast path (single precision, vectorized) against its reference (`readConductance`,
/// per cell in double precision), on random arrays under every drifting model and aging option.
///
/// The tolerance is 1e-5 of the level range. Single precision carries 24 bits: each level is the product
/// of a few terms rounded to 6e-8 and polynomial approximations within 2e-7, `ln(t / t0)` rounded to single
/// precision costs 6e-8 of the drift exponent's product (at most about 4), and the accumulated noise
/// multiplies its coefficient's error by at most 6 (a 5.8-sigma normal times a 1/f spread near 1), so the
/// paths differ by about 1e-6 of the range at worst. 1e-5 leaves a factor of ten over that, while a wrong
/// term or constant shows at 1e-3 or more.
@Suite struct MaterializationTests {
    static let hour = 3600.0

    /// Every drifting model: PCM, both HERMES fits, state-independent, both ReRAM CMO acceptance ranges.
    static let models: [(DeviceModelKind, hermesDevices: Int, reramAcceptance: Double)] = [
        (.pcm, 2, 0.2), (.hermesPCM, 1, 0.2), (.hermesPCM, 2, 0.2), (.stateIndependent, 2, 0.2),
        (.reramCMO, 2, 0.2), (.reramCMO, 2, 2),
    ]

    /// Aging options one by one, all at once, and none.
    enum Aging: CaseIterable {
        case none, retention, readDisturb, temperature, stuck, all

        func apply(to aging: inout CellAgingConfig) {
            if self == .retention || self == .all { aging.retentionTime = Quantity(1e6) }
            if self == .readDisturb || self == .all {
                aging.readDisturb = 1e-4
                aging.readDisturbStd = 5e-5
            }
            if self == .temperature || self == .all { aging.temperatureCoefficient = -0.002 }
            if self == .stuck || self == .all { aging.stuckProbability = 0.02 }
        }
    }

    /// A random array shape: an odd column count, so word lines start at odd cell indices, and either
    /// encoding and cell width.
    static func config(model: (DeviceModelKind, hermesDevices: Int, reramAcceptance: Double), aging: Aging,
                       seed: UInt64) -> CrossbarConfig {
        var rng = RandomStream(seed: seed, purpose: .userInput)
        var config = CrossbarConfig()
        config.array.rows = 24 + Int(rng.next() % 9)
        config.array.cols = 33 + 2 * Int(rng.next() % 8)
        config.array.weightBits = 6
        config.array.bitsPerCell = rng.next() % 2 == 0 ? 2 : 3
        config.array.weightEncoding = rng.next() % 2 == 0 ? .differential : .offset
        config.periphery.sparsity.enabled = false
        config.periphery.adc.columnsPerADC = 1
        config.device.model = model.0
        config.device.hermesDevices = model.hermesDevices
        config.device.reramAcceptance = model.reramAcceptance
        config.device.gMin = Quantity(rng.next() % 2 == 0 ? 0 : 0.5e-6)
        aging.apply(to: &config.device.aging)
        return config
    }

    @Test(arguments: models.indices, Aging.allCases)
    func fastPathAgreesWithTheReference(model: Int, aging: Aging) throws {
        let seed = UInt64(model * 10) + UInt64(Aging.allCases.firstIndex(of: aging)!) + 1
        let config = Self.config(model: Self.models[model], aging: aging, seed: seed)
        var crossbar = try Crossbar(config: config, id: ArrayID(tile: 1, slot: Int(seed)), temperature: 300)
        let layout = crossbar.layout
        var rng = RandomStream(seed: seed, purpose: .data)
        let range = WeightMapping.codeRange(config: config, layout: layout)
        let weights = Matrix<Int32>(rows: layout.logicalRows, columns: layout.weightCapacity) { _, _ in
            Int32(range.lowerBound + Int(rng.next() % UInt64(range.count)))
        }
        try crossbar.program(weights: weights, seed: seed)
        #expect(try crossbar.readoutDeviation() < materializationTolerance, "at programming")
        // Before the first read, just after it, and later; some weights rewritten an hour in, so the sites of
        // a word line differ in age; reads for read disturb; a temperature step.
        for (time, temperature) in [(1.0, 300.0), (60, 300), (Self.hour, 300), (Self.hour, 330),
                                    (86_400, 330), (3.15e7, 300)] {
            crossbar.recordReads(1000)
            crossbar.setTime(time, temperature: temperature)
            #expect(try crossbar.readoutDeviation() < materializationTolerance, "at \(time) s, \(temperature) K")
            if time == Self.hour && temperature == 300 {
                for row in stride(from: 0, to: weights.rows, by: 3) {
                    for output in stride(from: row % 2, to: weights.columns, by: 2) {
                        try crossbar.programWeight(row: row, output: output, to: weights[row, output] / 2,
                                                   seed: seed, pulse: UInt64(row * weights.columns + output))
                    }
                }
                try crossbar.degradeWeight(row: 1, output: 0, by: 0.7)
                #expect(try crossbar.readoutDeviation() < materializationTolerance, "after rewrites")
            }
        }
    }

    /// HERMES switches from its logarithm to its cubic at a conductance ratio: the fast path moves the
    /// boundary to the single-precision conductance where the reference switches.
    @Test(arguments: [1, 2], [25e-6, 10.35e-6, 3e-6])
    func hermesBoundaryFollowsTheReference(devices: Int, gMax: Double) {
        let coefficient = HermesCoefficient(devices: devices, gMax: gMax)
        let ratio = HermesNoiseFit(devices: devices).boundary
        #expect(Double(coefficient.boundary) / gMax >= ratio)
        #expect(Double(coefficient.boundary.nextDown) / gMax < ratio)
    }

    /// The same seed gives the same readout whatever the word lines materialized at once.
    @Test func readoutDoesNotDependOnTheBlocksMaterialized() throws {
        let config = Self.config(model: Self.models[0], aging: .all, seed: 5)
        var crossbar = try Crossbar(config: config, id: testArray, temperature: 300)
        let layout = crossbar.layout
        try crossbar.program(weights: Matrix(rows: layout.logicalRows, columns: layout.weightCapacity) { r, c in
            Int32((r * 7 + c * 3) % 31 - 15)
        }, seed: 5)
        crossbar.recordReads(10)
        crossbar.setTime(86_400)
        let whole = try #require(crossbar.readout).levels
        var pieces = Matrix<Float>(rows: whole.rows, columns: whole.columns, repeating: .nan)
        for w in 0..<whole.rows {
            for start in stride(from: 0, to: whole.columns, by: 5) {
                crossbar.materializeLevels(wordLines: w..<w + 1, columns: start..<min(whole.columns, start + 5),
                                           into: &pieces)
            }
        }
        #expect(pieces == whole)
    }
}
