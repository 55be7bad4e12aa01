import ACIMArray
import ACIMCore
import Testing

@testable import ACIMChip

/// A 64-row array of 8-bit differential weights in 2-bit cells (8 weight columns), mapped but not yet
/// programmed, and its master weights.
func managedArray(readNoise: Double = 0, programmingNoise: Double = 0, sparsity: Bool = true,
                  compensation: DriftCompensation = .none, seed: UInt64 = 1) throws -> (ManagedCrossbar, Matrix<Int32>) {
    var config = CrossbarConfig()
    config.array.rows = 64
    config.array.cols = 64
    config.array.bitsPerCell = 2
    config.array.weightBits = 8
    config.periphery.inputBits = 2
    config.periphery.dacBits = 1
    config.periphery.inputEncoding = .twoPass
    config.periphery.adc.bits = 8
    config.periphery.sparsity.enabled = sparsity
    config.device.readNoise = Quantity(readNoise)
    config.device.programmingNoise = Quantity(programmingNoise)
    config.device.driftCompensation = compensation
    var crossbar = try Crossbar(config: config, id: testArray, temperature: 300)
    var rng = RandomStream(seed: seed, purpose: .userInput)
    let weights = Matrix<Int32>(rows: 64, columns: 8) { _, _ in Int32(Int(rng.next() % 255) - 127) }
    try crossbar.map(weights: weights, seed: seed)
    return (try ManagedCrossbar(crossbar: crossbar, seed: seed), weights)
}

/// A deployed array with its controller, the host's master copy and a score of the controller's
/// findings against it; the array is its own clock.
struct Deployed {
    var array: ManagedCrossbar
    var controller: ArrayController
    let master: Matrix<Int32>
    /// The host, nil once detached after deployment.
    var host: (any WeightSource)?
    var audit = DetectionAudit()

    /// Moves the array to `time` and checks it, scoring the findings.
    mutating func check(at time: Double, temperature: Double = 300) throws {
        array.setTime(time, temperature: temperature)
        let master = self.master
        var audit = self.audit
        try controller.check(&array, host: host) { findings, array in audit.score(findings, on: array, master: master) }
        self.audit = audit
    }

    /// Moves the array to `time` and lets the controller's triggers decide.
    mutating func advance(to time: Double, temperature: Double = 300, reads: Int = 0,
                          idle: Bool = true) throws -> [CheckReason] {
        array.setTime(time, temperature: temperature)
        return try controller.maintain(&array, reads: reads, idle: idle, host: host)
    }
}

func deployed(_ config: DeviceControllerConfig = DeviceControllerConfig(), readNoise: Double = 0,
              programmingNoise: Double = 0, compensation: DriftCompensation = .none, hostStaysAttached: Bool = true,
              seed: UInt64 = 1) throws -> Deployed {
    var (array, weights) = try managedArray(readNoise: readNoise, programmingNoise: programmingNoise,
                                            compensation: compensation, seed: seed)
    let host = MasterWeights([testArray: weights])
    var controller = try ArrayController(config: config, array: testArray, host: host, weightBits: 8, seed: seed,
                                         clock: 1e9, start: 0, temperature: 300)
    try controller.deploy(&array, host: host)
    return Deployed(array: array, controller: controller, master: weights, host: hostStaysAttached ? host : nil)
}

@Suite struct DeviceControllerTests {
    /// No degradation, noise on: at most 1e-4 false column flags per check.
    @Test func noFalseAlarmsWithoutDegradation() throws {
        var d = try deployed(readNoise: 0.5e-6, programmingNoise: 0.3e-6)
        for k in 1...40 { try d.check(at: Double(k) * 3600) }
        let columnChecks = 40 * d.array.columns
        #expect(Double(d.controller.counters.columnsFlagged) / Double(columnChecks) <= 1e-4)
        #expect(d.controller.counters.cellsReprogrammed == 0)
    }

    /// drift injected into known weights is flagged in exactly their columns, localized to exactly
    /// those weights, and repaired to within the program tolerance.
    @Test(arguments: [Localization.readVerify, .bisection])
    func injectedDriftIsFoundAndRepaired(localization: Localization) throws {
        var config = DeviceControllerConfig()
        config.localization = localization
        var d = try deployed(config)
        let degraded = [(3, 1), (40, 1), (17, 5)]
        for (r, c) in degraded { try d.array.degrade(row: r, column: c, by: 0.6) }
        // Make sure each injected weight really moved.
        for (r, c) in degraded {
            #expect(abs(d.array.effectiveWeight(row: r, column: c) - Double(d.master[r, c])) > 4
                    || abs(d.master[r, c]) < 10)
        }
        try d.check(at: 3600)
        let flaggedColumns = d.controller.events.compactMap { event -> Int? in
            if case let .columnFlagged(column, _, _) = event.kind { return column }
            return nil
        }
        let cells = d.controller.events.compactMap { event -> [Int]? in
            if case let .cellDegraded(row, column) = event.kind { return [row, column] }
            return nil
        }
        let moved = degraded.filter { abs(d.master[$0.0, $0.1]) >= 10 }
        #expect(Set(flaggedColumns) == Set(moved.map(\.1)))
        #expect(Set(cells) == Set(moved.map { [$0.0, $0.1] }))
        #expect(d.audit.falsePositives == 0)
        #expect(d.audit.falseNegatives == 0)
        for r in 0..<d.array.rows {
            for c in 0..<d.array.columns {
                #expect(abs(d.array.effectiveWeight(row: r, column: c) - Double(d.master[r, c])) <= 0.5)
            }
        }
    }

    /// with full coverage the host sends only the initial load; repairs come from the references.
    @Test func fullCoverageRepairsWithoutTheHost() throws {
        var d = try deployed()
        let initial = d.controller.hostBytes
        #expect(initial == 64 * 8)  // one byte per 8-bit reference
        for k in 1...5 {
            try d.array.degrade(row: k * 7, column: k, by: 0.3)
            try d.check(at: Double(k) * 3600)
        }
        #expect(d.controller.counters.cellsReprogrammed >= 5)
        #expect(d.controller.hostBytes == initial)
        #expect(d.controller.counters.hostBytesAvoided == d.controller.counters.cellsReprogrammed)
    }

    /// MSB-only references reconstruct within 2^(Bw-Bref-1) and widen the check tolerance to match.
    @Test func msbOnlyReferences() throws {
        var config = DeviceControllerConfig()
        config.referenceBits = 4
        var d = try deployed(config)
        #expect(d.controller.store.reconstructionError == 8)
        for r in 0..<d.array.rows {
            for c in 0..<d.array.columns {
                let reference = try #require(d.controller.store.peek(row: r, column: c))
                #expect(abs(Int(reference) - Int(d.master[r, c])) <= 8)
                #expect(d.controller.store.range(of: reference).contains(d.master[r, c]))
            }
        }
        // The array now holds the reconstructions; an undisturbed check flags nothing.
        try d.check(at: 3600)
        #expect(d.controller.counters.columnsFlagged == 0)
        #expect(d.controller.hostBytes == 64 * 8 / 2)  // four bits per reference
        // A larger drift is still caught.
        try d.array.degrade(row: 5, column: 2, by: 0.0)
        try d.check(at: 7200)
        #expect(d.controller.counters.columnsFlagged == (abs(d.master[5, 2]) > 24 ? 1 : 0))
    }

    /// a flipped reference bit is caught by parity, the reference is nulled, the weight goes to 0,
    /// and `referenceNulled` fires once.
    @Test func parityErrorNullsTheReference() throws {
        var d = try deployed(hostStaysAttached: false)
        let (r, c) = (9, 3)
        #expect(d.master[r, c] != 0)
        d.controller.corruptReference(row: r, column: c, bit: 2)
        try d.check(at: 3600)
        try d.check(at: 7200)
        let nulled = d.controller.events.filter {
            if case .referenceNulled(r, c) = $0.kind { return true }
            return false
        }
        #expect(nulled.count == 1)
        #expect(d.controller.counters.referencesNulled == 1)
        #expect(d.array.effectiveWeight(row: r, column: c) == 0)
        #expect(d.controller.store.peek(row: r, column: c) == nil)
    }

    /// with more than `array_escalation` of the weights drifted the whole array is refreshed.
    @Test func escalationRefreshesTheArray() throws {
        var d = try deployed()
        for r in 0..<8 {
            for c in 0..<d.array.columns { try d.array.degrade(row: r, column: c, by: 0.5) }
        }
        try d.check(at: 3600)
        #expect(d.controller.counters.cellsReprogrammed == d.array.rows * d.array.columns)
        #expect(d.controller.events.contains { $0.kind == .reprogrammed(.array, weights: 64 * 8) })
    }

    /// the timer fires at every multiple of the interval, a temperature step past the limit fires
    /// at once, and age and read count fire at their limits.
    @Test func triggersFireAtTheirLimits() throws {
        var config = DeviceControllerConfig()
        config.checkInterval = Quantity(3600)
        config.maxAge = Quantity(1e9)
        config.maxReads = 1000
        var d = try deployed(config)
        var fired: [Double] = []
        for minute in 1...(5 * 60) {
            let t = Double(minute) * 60
            if try d.advance(to: t, temperature: 300).contains(.timer) { fired.append(t) }
        }
        #expect(fired == [3600, 7200, 10800, 14400, 18000])
        #expect(try d.advance(to: 18060, temperature: 305) == [])
        #expect(try d.advance(to: 18120, temperature: 311) == [.temperature])
        #expect(try d.advance(to: 18180, temperature: 311, reads: 1000) == [])
        #expect(try d.advance(to: 18240, temperature: 311, reads: 1) == [.reads])

        var aged = DeviceControllerConfig()
        aged.maxAge = Quantity(86400)
        aged.checkInterval = Quantity(7 * 86400)
        var d2 = try deployed(aged)
        #expect(try d2.advance(to: 86400, temperature: 300) == [])
        #expect(try d2.advance(to: 86401, temperature: 300) == [.age])
    }

    /// Checks wait for an idle array with `idle_only`; otherwise they preempt and count stall cycles.
    @Test func idleOnlyDefersChecks() throws {
        var config = DeviceControllerConfig()
        var d = try deployed(config)
        #expect(try d.advance(to: 3600, temperature: 300, idle: false) == [])
        #expect(try d.advance(to: 3601, temperature: 300, idle: true) == [.timer])
        #expect(d.controller.counters.arrayUnavailableCycles == 0)
        config.idleOnly = false
        var d2 = try deployed(config)
        try d2.array.degrade(row: 1, column: 1, by: 0.2)
        #expect(try d2.advance(to: 3600, temperature: 300, idle: false) == [.timer])
        #expect(d2.controller.counters.arrayUnavailableCycles > 0)
    }

    /// the energy and latency counters are the sums of their per-pulse and per-read costs.
    @Test func countersAreSumsOfEventCosts() throws {
        var config = DeviceControllerConfig()
        config.pulseEnergy = Quantity(50e-12)
        config.verifyReadEnergy = Quantity(1e-12)
        config.pulseTime = Quantity(1e-6)
        var d = try deployed(config, readNoise: 0.02e-6, programmingNoise: 0.05e-6)
        try d.array.degrade(row: 12, column: 6, by: 0.4)
        try d.check(at: 3600)
        let c = d.controller.counters
        #expect(c.programPulses >= c.cellsReprogrammed)
        #expect(abs(c.programEnergy - (Double(c.programPulses) * 50e-12 + Double(c.verifyReads) * 1e-12)) < 1e-18)
        #expect(abs(c.programLatency - Double(c.programPulses) * 1e-6) < 1e-15)
        let references = Double(c.referenceReads) * 0.5e-12 + Double(c.referenceWrites) * 1e-12
        #expect(abs(c.referenceEnergy - references) < 1e-18)
    }

    /// Cells of different ages under one drift-compensation factor are compensated wrongly, so a repair
    /// covers the factor's scope: the whole array under global compensation, the flagged column under
    /// per-column compensation.
    @Test(arguments: [DriftCompensation.global, .perColumn])
    func repairsCoverTheCompensationScope(compensation: DriftCompensation) throws {
        var d = try deployed(compensation: compensation)
        let index = try #require(d.master.storage.firstIndex { abs($0) > 40 })
        try d.array.degrade(row: index / 8, column: index % 8, by: 0.5)
        try d.check(at: 3600)
        let repairs = d.controller.events.compactMap { event -> String? in
            if case let .reprogrammed(scope, weights) = event.kind { return "\(scope) \(weights)" }
            return nil
        }
        #expect(repairs == [compensation == .global ? "array 512" : "column 64"])
        #expect(abs(d.array.effectiveWeight(row: index / 8, column: index % 8)
                    - Double(d.master.storage[index])) <= 0.5)
    }

    /// Stuck weights are marked once and never retried; a missing reference follows its policy.
    @Test func stuckAndMissing() throws {
        var config = DeviceControllerConfig()
        config.coverage = .topMagnitude
        config.coverageFraction = 0.5
        config.keepProgrammedValues = true
        config.missingReference = .askHost
        var d = try deployed(config)
        let covered = d.controller.store.coveredCount
        #expect(covered == 256)
        // An uncovered weight, degraded, is fetched from the host.
        let uncovered = try #require((0..<64 * 8).first { d.controller.store.entries[$0] == nil && d.master.storage[$0] != 0 })
        let (r, c) = (uncovered / 8, uncovered % 8)
        // A covered weight in another row (one flagged weight per row: no row escalation) whose cells stick
        // after degrading fails write-verify.
        let stuck = try #require((0..<64 * 8).first {
            $0 / 8 != r && d.controller.store.entries[$0] != nil && abs(d.master.storage[$0]) > 40
        })
        let before = d.controller.hostBytes
        try d.array.degrade(row: r, column: c, by: 0)
        try d.array.stick(row: stuck / 8, column: stuck % 8)
        try d.array.degrade(row: stuck / 8, column: stuck % 8, by: 0.25)
        try d.check(at: 3600)
        #expect(d.controller.hostBytes == before + 1)
        #expect(d.controller.counters.stuckCells == 1)
        #expect(abs(d.array.effectiveWeight(row: r, column: c) - Double(d.master[r, c])) <= 0.5)
        let pulses = d.controller.counters.programPulses
        try d.check(at: 7200)
        #expect(d.controller.counters.programPulses == pulses)  // the stuck weight is not retried
        // Past the refresh age the array is refreshed once; the stuck weight, never rewritten, does not
        // keep it refreshing at every check after that.
        let week = 7 * 86400.0
        let reprogrammed = d.controller.counters.cellsReprogrammed
        try d.check(at: week + 3600)
        let refreshed = d.controller.counters.cellsReprogrammed
        #expect(refreshed - reprogrammed == 64 * 8 - 1)
        try d.check(at: week + 7200)
        #expect(d.controller.counters.cellsReprogrammed == refreshed)
    }
}

@Suite struct LifetimeTests {
    /// The aihwkit-pcm profile's tile on a 32x32 array: aihwkit's PCM model with global drift compensation,
    /// 5-bit weights in 4-bit cells, 7-bit two-pass inputs through a 6-bit DAC, a calibrated 9-bit ADC.
    static func pcmTile() -> CrossbarConfig {
        var config = CrossbarConfig()
        config.array.rows = 32
        config.array.cols = 32
        config.array.bitsPerCell = 4
        config.array.weightBits = 5
        config.periphery.inputBits = 7
        config.periphery.dacBits = 6
        config.periphery.inputEncoding = .twoPass
        config.periphery.adc.bits = 9
        config.periphery.adc.range = .calibrated
        config.periphery.adc.percentile = 99.9
        config.periphery.sparsity.enabled = false
        config.device.model = .pcm
        config.device.driftCompensation = .global
        return config
    }

    /// Write-verify senses a weight's cells directly, so it resolves single weights
    /// on a 512-row array, where one weight is far below one code step of the inference ADC. PCM
    /// programming noise (about 0.6 LSB here) makes a working weight miss the 0.5 LSB tolerance eight
    /// times in a row now and then: such a weight has failed, but it is not stuck, and the next repair
    /// brings it in.
    @Test func writeVerifyResolvesSingleWeightsOnTallArrays() throws {
        var config = LifetimeTests.pcmTile()
        config.array.rows = 512
        config.array.cols = 8
        config.device.driftCompensation = .none
        let (weights, _) = LifetimeStudy(crossbar: config, controller: DeviceControllerConfig(), seed: 5, batch: 1,
                                      clock: 1e9, temperature: 300)
            .workload()
        var crossbar = try Crossbar(config: config, id: testArray, temperature: 300)
        try crossbar.map(weights: weights, at: 0, seed: 5)
        var array = try ManagedCrossbar(crossbar: crossbar, seed: 5)
        #expect(array.readResolution > 1)
        let host = MasterWeights([testArray: weights])
        var controller = try ArrayController(config: DeviceControllerConfig(), array: testArray, host: host,
                                             weightBits: 5, seed: 5, clock: 1e9, start: 0, temperature: 300)
        try controller.deploy(&array, host: host)
        #expect(controller.counters.stuckCells == 0)
        #expect(controller.counters.programPulses > weights.storage.count * 3 / 2)
        let failed = controller.counters.programFailures
        #expect(failed > 0 && failed < weights.storage.count / 20)
        #expect(controller.verifyTolerance(array) == 0.5)
        let outOfTolerance = (0..<array.rows * array.columns).filter { i in
            abs(array.effectiveWeight(row: i / array.columns, column: i % array.columns)
                - Double(weights.storage[i])) > 0.5
        }
        #expect(outOfTolerance.count == failed)
    }

    /// With a PCM device and a daily timer, the controller keeps the weight error near its 1-hour
    /// value for a year, while the uncontrolled array degrades; the host sends nothing after deployment.
    @Test func dailyChecksHoldThePCMArrayForAYear() throws {
        var controller = DeviceControllerConfig()
        controller.checkInterval = Quantity(86400)
        let study = LifetimeStudy(crossbar: LifetimeTests.pcmTile(), controller: controller, seed: 3, batch: 8,
                                  clock: 1e9, temperature: 300)
        let off = try study.uncontrolled()
        let on = try study.controlled()
        let schedule: [Double] = [3600, 86400, 604_800, 2_592_000, 31_536_000]
        #expect(off.map(\.time) == schedule)
        // Uncontrolled: the error grows steadily (GDC removes only the mean drift).
        #expect(off[4].weightError > 1.3 * off[0].weightError)
        #expect(zip(off, off.dropFirst()).allSatisfy { $0.weightError < $1.weightError })
        // Controlled: refreshed daily, the array is never more than a day old, so every point stays near
        // the 1-hour error (within 30 %) and no worse than the uncontrolled array at one day; below the
        // uncontrolled one from a week on, with repairs made and no host traffic.
        for point in on {
            #expect(point.weightError < 1.3 * on[0].weightError)
            #expect(point.weightError < 1.05 * off[1].weightError)
        }
        for k in 2..<5 { #expect(on[k].weightError < off[k].weightError) }
        #expect(on[4].mvmError < off[4].mvmError)
        #expect(on[4].reprogrammed > 0)
        #expect(on[4].upkeepEnergy > 0)
        #expect(on.allSatisfy { $0.hostBytes == 0 })
    }
}
