import ACIMCore
import Foundation
import Testing
@testable import ACIMArray

/// The crossbar over simulated time: G(t) materialized once per time and deterministic, the ideal model
/// unchanged, both engines bit-identical on drifted arrays, and drift compensation.
@Suite struct DeviceTimeTests {
    let day = 86_400.0

    @Test func idealModelKeepsItsConductancesForever() throws {
        var device = CellDeviceConfig()
        device.programmingNoise = Quantity(0.3e-6)
        var crossbar = try DeviceArray.programmed(device)
        // The ideal programming formula, cell by cell.
        let noise = RandomStream(seed: 3, array: testArray, purpose: .programmingNoise, event: UInt64((0.0).bitPattern))
        for index in crossbar.cells.conductance.indices {
            let target = crossbar.device.target(level: crossbar.cells.targetLevel(index))
            #expect(crossbar.cells.conductance[index] == Float(max(0, target + 0.3e-6 * noise.gaussian(at: UInt64(index)))))
            #expect(crossbar.cells.driftExponent[index] == 0)
        }
        let before = try #require(crossbar.readout).levels
        crossbar.setTime(DeviceArray.oneYear)
        #expect(try #require(crossbar.readout).levels == before)
        let x = DeviceArray.inputs(4)
        let late = try FastEngine().run(crossbar, inputs: x, context: ReadContext(seed: 1, firstVector: 0)).outputs
        crossbar.setTime(0)
        #expect(try FastEngine().run(crossbar, inputs: x, context: ReadContext(seed: 1, firstVector: 0)).outputs == late)
    }

    @Test func effectiveWeightsOfAFreshIdealArrayAreTheCodes() throws {
        let crossbar = try DeviceArray.programmed(CellDeviceConfig())
        let weights = DeviceArray.weights(seed: 3)
        for r in 0..<16 {
            for o in 0..<8 {
                #expect(abs(try crossbar.effectiveWeight(row: r, output: o) - Double(weights[r, o])) < 1e-4)
            }
        }
    }

    @Test func readoutIsGOfTMaterializedOncePerTimeAndDeterministic() throws {
        var crossbar = try DeviceArray.programmed(DeviceArray.device(.pcm))
        let atZero = try #require(crossbar.readout).levels
        crossbar.setTime(day)
        let dayLevels = try #require(crossbar.readout).levels
        #expect(dayLevels != atZero)
        // The readout is G(t) in level units.
        #expect(try crossbar.readoutDeviation() < materializationTolerance)
        // Setting the same time again changes nothing; a detour returns to the same sample.
        crossbar.setTime(day)
        #expect(try #require(crossbar.readout).levels == dayLevels)
        crossbar.setTime(3600)
        #expect(try #require(crossbar.readout).levels != dayLevels)
        crossbar.setTime(day)
        #expect(try #require(crossbar.readout).levels == dayLevels)
        // An identical array moved straight to one day holds the same sample; another seed does not.
        var twin = try DeviceArray.programmed(DeviceArray.device(.pcm))
        twin.setTime(day)
        #expect(try #require(twin.readout).levels == dayLevels)
        var other = try Crossbar(config: crossbar.config, id: testArray, temperature: 300)
        try other.program(weights: DeviceArray.weights(seed: 3), seed: 4)
        other.setTime(day)
        #expect(try #require(other.readout).levels != dayLevels)
        // Drift shrinks the summed conductance: (t/t0)^-nu is 0.66 at the nu floor, lower levels drift more.
        let ratio = dayLevels.storage.reduce(0, +) / atZero.storage.reduce(0, +)
        #expect(ratio > 0.6 && ratio < 0.67)
    }

    @Test(arguments: [DeviceModelKind.pcm, .hermesPCM, .stateIndependent, .reramCMO],
          [DriftCompensation.none, .global, .perColumn])
    func enginesAgreeBitForBitOnAnArrayDriftedToOneYear(model: DeviceModelKind, compensation: DriftCompensation) throws {
        var device = DeviceArray.device(model)
        device.driftCompensation = compensation
        if compensation == .perColumn {
            // Every aging effect on as well.
            device.aging.retentionTime = Quantity(1e8)
            device.aging.readDisturb = 1e-4
            device.aging.readDisturbStd = 5e-5
            device.aging.temperatureCoefficient = -0.002
        }
        var crossbar = try DeviceArray.programmed(device)
        crossbar.recordReads(1000)
        crossbar.setTime(DeviceArray.oneYear, temperature: 310)
        let x = DeviceArray.inputs(6)
        let fast = try FastEngine().run(crossbar, inputs: x, context: ReadContext(seed: 1, firstVector: 0))
        let reference = try ReferenceEngine().run(crossbar, inputs: x, context: ReadContext(seed: 1, firstVector: 0))
        #expect(fast.outputs == reference.outputs)
        #expect(fast.cost.activity == reference.cost.activity)
    }

    @Test func globalCompensationScalesOutputsByAlphaAndRestoresMeanMagnitude() throws {
        var device = DeviceArray.device(.pcm)
        var plain = try DeviceArray.programmed(device)
        device.driftCompensation = .global
        var compensated = try DeviceArray.programmed(device)
        plain.setTime(DeviceArray.oneYear)
        compensated.setTime(DeviceArray.oneYear)
        #expect(plain.readout?.compensationFactors() == nil)
        let alpha = try #require(compensated.readout?.compensationFactors())
        #expect(alpha.count == 8 && Set(alpha).count == 1)
        #expect(alpha[0] > 1.8 && alpha[0] < 2.4)
        let x = DeviceArray.inputs(4)
        for engine in [any MVMEngine](arrayLiteral: FastEngine(), ReferenceEngine()) {
            let a = try engine.run(plain, inputs: x, context: ReadContext(seed: 2, firstVector: 0)).outputs
            let b = try engine.run(compensated, inputs: x, context: ReadContext(seed: 2, firstVector: 0)).outputs
            #expect(b.storage == a.storage.map { $0 * alpha[0] })
        }
        // alpha times mean|W(t)| is mean|W_ref| of the programmed codes.
        let weights = DeviceArray.weights(seed: 3)
        var now = 0.0
        for r in 0..<16 {
            for o in 0..<8 { now += abs(try compensated.effectiveWeight(row: r, output: o)) }
        }
        let reference = weights.storage.reduce(0.0) { $0 + Double(abs($1)) }
        #expect(abs(now * alpha[0] / reference - 1) < 1e-9)
    }

    @Test func perColumnCompensationRestoresEachOutput() throws {
        var device = DeviceArray.device(.pcm)
        device.driftCompensation = .perColumn
        var crossbar = try DeviceArray.programmed(device)
        crossbar.setTime(day)
        let alpha = try #require(crossbar.readout?.compensationFactors())
        #expect(alpha.count == 8 && Set(alpha).count == 8)
        let weights = DeviceArray.weights(seed: 3)
        for o in 0..<8 {
            let now = try (0..<16).reduce(0.0) { $0 + abs(try crossbar.effectiveWeight(row: $1, output: o)) }
            let reference = (0..<16).reduce(0.0) { $0 + Double(abs(weights[$1, o])) }
            #expect(abs(now * alpha[o] / reference - 1) < 1e-9, "output \(o)")
        }
    }

    @Test func compensationFactorArithmetic() {
        func readout(_ reference: [Double], _ effective: [Double], _ mode: DriftCompensation) -> ArrayReadout {
            ArrayReadout(levels: Matrix(rows: 1, columns: 1, repeating: 0), readVariance: 0,
                         referenceMagnitude: reference, effectiveMagnitude: effective, driftCompensation: mode)
        }
        #expect(readout([2, 4], [1, 1], .global).compensationFactors() == [3, 3])
        #expect(readout([2, 4], [1, 1], .perColumn).compensationFactors() == [2, 4])
        #expect(readout([2, 4], [1, 1], .none).compensationFactors() == nil)
        // An output whose cells read nothing, or that holds only zero weights, is left as it is.
        #expect(readout([1, 0], [0, 0], .perColumn).compensationFactors() == [1, 1])
    }

    /// Reprogramming one weight keeps the compensation sums equal to a fresh materialization.
    @Test func compensationFollowsReprogrammedWeights() throws {
        var device = DeviceArray.device(.pcm)
        device.driftCompensation = .perColumn
        var crossbar = try DeviceArray.programmed(device)
        crossbar.setTime(day)
        try crossbar.programWeight(row: 3, output: 2, to: 13, seed: 6, pulse: 1)
        try crossbar.degradeWeight(row: 5, output: 6, by: 0.5)
        let readout = try #require(crossbar.readout)
        for o in 0..<8 {
            let now = try (0..<16).reduce(0.0) { $0 + abs(try crossbar.effectiveWeight(row: $1, output: o)) }
            let reference = try (0..<16).reduce(0.0) { $0 + Double(abs(try crossbar.weightCode(row: $1, output: o))) }
            #expect(abs(readout.effectiveMagnitude[o] - now) < 1e-6, "output \(o)")
            #expect(readout.referenceMagnitude[o] == reference, "output \(o)")
        }
    }
}
