import ACIMCore

/// The device controller (docs/design.md, *The device controller*): it programs an analog array from its
/// digital weight references, checks the array for degraded weights when a trigger fires, localizes them
/// and reprograms them from the references, without the host.
public struct DeviceController: Sendable {
    public let config: DeviceControllerConfig
    public private(set) var store: DigitalWeightStore
    /// The host, if one stays attached after deployment.
    public private(set) var host: HostModel?
    public private(set) var counters = ControllerCounters()
    public private(set) var events: [ControllerEvent] = []
    public private(set) var triggers: CheckTriggers
    /// Clock of the array, for converting check and program time to stall cycles.
    public let clock: Double
    /// The master weights, ground truth for false positives and negatives.
    let truth: Matrix<Int32>
    /// Last programmed value of every weight, kept for uncovered weights when configured.
    private var programmed: Matrix<Int32>
    /// Simulated time each weight was last written by the controller.
    private var writtenAt: [Double]
    /// Weights whose cells are stuck; never retried.
    private var faulty: Set<Int> = []
    /// References nulled after a parity error, waiting for a host refresh.
    private var pendingRefresh: [Int] = []
    /// Failed checks in a row.
    private var consecutiveFailures = 0
    /// The fixed pseudo-random +1/-1 test vector, when configured.
    private let randomVector: [Int32]
    private let hostAttachedAfterDeploy: Bool
    /// Reasons of a check deferred until the array is idle.
    private var pendingReasons: [CheckReason] = []

    /// A controller for the master `weights`, loading the references of the covered weights from `host`.
    /// `hostStaysAttached` keeps the host reachable for fetches after deployment.
    public init(config: DeviceControllerConfig, weights: Matrix<Int32>, weightBits: Int, seed: UInt64,
                clock: Double, start: Double = 0, temperature: Double,
                hostStaysAttached: Bool = true) throws {
        let config = try config.validated()
        self.config = config
        self.clock = clock
        truth = weights
        programmed = weights
        writtenAt = [Double](repeating: start, count: weights.storage.count)
        let covered = DigitalWeightStore.coverage(config.coverage, fraction: config.coverageFraction,
                                                  weights: weights, seed: seed)
        store = DigitalWeightStore(weights: weights, weightBits: weightBits, referenceBits: config.referenceBits,
                                   parity: config.parity, covered: covered)
        var host = HostModel(weights: weights, weightBits: weightBits)
        host.send(bytes: store.loadBytes)
        self.host = host
        counters.referenceWrites = store.coveredCount
        counters.referenceEnergy = Double(store.coveredCount) * config.referenceWriteEnergy.value
        triggers = CheckTriggers(config: config, start: start, temperature: temperature)
        let stream = RandomStream(seed: seed, purpose: .testVectors)
        randomVector = (0..<weights.rows).map { stream.bits(at: UInt64($0)) & 1 == 0 ? 1 : -1 }
        hostAttachedAfterDeploy = hostStaysAttached
        syncHostCounter()
    }

    /// Host bytes sent so far.
    public var hostBytes: Int { counters.hostBytesTransferred }

    private mutating func syncHostCounter() {
        if let host { counters.hostBytesTransferred = host.bytesSent }
    }

    // MARK: Deployment

    /// Programs every weight at `time`: covered weights from their references, the others from the host.
    public mutating func deploy<A: ManagedArray>(_ array: inout A, at time: Double, temperature: Double) throws {
        var targets: [(Int, Int32)] = []
        for r in 0..<array.rows {
            for c in 0..<array.columns {
                if case let .weight(w) = readReference(row: r, column: c, at: time) {
                    targets.append((r * array.columns + c, w))
                } else if var host {
                    targets.append((r * array.columns + c, host.fetch(row: r, column: c)))
                    self.host = host
                } else {
                    targets.append((r * array.columns + c, 0))
                }
            }
        }
        writeVerify(&array, targets, at: time)
        syncHostCounter()
        if !hostAttachedAfterDeploy { host = nil }
        triggers.checked(at: time, temperature: temperature)
    }

    // MARK: Triggers

    /// Advances to `time` with `reads` inference reads since the last call, and runs a check when a trigger
    /// fires. With `idle_only`, a due check waits until `idle`; otherwise it preempts and its time counts as
    /// stall cycles. Returns the reasons of the check that ran, empty when none did.
    @discardableResult
    public mutating func advance<A: ManagedArray>(_ array: inout A, to time: Double, temperature: Double,
                                                  reads: Int = 0, idle: Bool = true) throws -> [CheckReason] {
        guard config.enabled else { return [] }
        triggers.recordReads(reads)
        let reasons = pendingReasons + triggers.due(at: time, temperature: temperature)
        guard !reasons.isEmpty else { return [] }
        if config.idleOnly && !idle {
            pendingReasons = Array(Set(reasons)).sorted { $0.rawValue < $1.rawValue }
            return []
        }
        pendingReasons = []
        let before = (counters.checkCycles, counters.programLatency)
        try check(&array, at: time, temperature: temperature, reasons: reasons)
        if !idle {
            counters.arrayUnavailableCycles += counters.checkCycles - before.0
                + Int(((counters.programLatency - before.1) * clock).rounded(.up))
        }
        return reasons
    }

    // MARK: Checking

    /// Checks every column functionally, localizes degraded weights in the flagged ones, and repairs them
    /// by the configured policy.
    public mutating func check<A: ManagedArray>(_ array: inout A, at time: Double, temperature: Double,
                                                reasons: [CheckReason] = [.forced]) throws {
        counters.checksRun += 1
        events.append(ControllerEvent(time: time, kind: .checkTriggered(reasons)))
        refreshFromHost(at: time)
        let rows = array.rows
        let columns = array.columns
        let vector = config.testVector == .ones ? [Int32](repeating: 1, count: rows) : randomVector

        // Tier A: one check of every bit line against the sums expected from the references; reading the
        // references checks their parity.
        var ranges = [ClosedRange<Int32>?](repeating: nil, count: rows * columns)
        var nulledNow: [(Int, Int)] = []
        for r in 0..<rows {
            for c in 0..<columns {
                switch readReference(row: r, column: c, at: time) {
                case let .weight(w): ranges[r * columns + c] = store.range(of: w)
                case .nulled: ranges[r * columns + c] = 0...0
                case .corrupted:
                    ranges[r * columns + c] = 0...0
                    nulledNow.append((r, c))
                case .missing:
                    if config.keepProgrammedValues { ranges[r * columns + c] = programmed[r, c]...programmed[r, c] }
                }
            }
        }
        let expected = array.expectedCheckSums(vector) { ranges[$0 * columns + $1] }
        let measured = try measure(&array, vector, at: time)
        var flaggedColumns: [Int] = []
        var checkable = [Bool](repeating: false, count: columns)
        for (k, output) in array.checkColumnOutputs.enumerated() {
            guard let (sum, slack) = expected[k] else { continue }
            checkable[output] = true
            let error = abs(measured[k] - sum)
            let tolerance = checkTolerance(array, vector: vector, slack: slack)
            if error > tolerance && !flaggedColumns.contains(output) {
                flaggedColumns.append(output)
                events.append(ControllerEvent(time: time, kind: .columnFlagged(column: output, error: error, tolerance: tolerance)))
            }
        }
        flaggedColumns.sort()
        counters.columnsFlagged += flaggedColumns.count

        // Tier B: localize inside the flagged columns. A column whose check fails while no single weight
        // is out of tolerance has drifted as a whole (many small errors adding up): it is flagged whole.
        var flagged = Set<Int>()
        var wholeColumns: [Int] = []
        for c in flaggedColumns {
            let rows = try localize(&array, column: c, vector: vector, at: time)
            if rows.isEmpty { wholeColumns.append(c) }
            for r in rows.isEmpty ? Array(0..<array.rows) : rows {
                flagged.insert(r * columns + c)
                events.append(ControllerEvent(time: time, kind: .cellDegraded(row: r, column: c)))
            }
        }
        counters.cellsFlagged += flagged.count
        countAgainstGroundTruth(array, flagged: flagged, checkable: checkable, at: time)
        consecutiveFailures = flaggedColumns.isEmpty ? 0 : consecutiveFailures + 1

        // Repair: weights with a nulled reference go to 0, then the flagged weights by policy.
        var targets: [(Int, Int32)] = nulledNow.map { ($0.0 * columns + $0.1, 0) }
        var planned = Set(targets.map(\.0))
        let plan = repairPlan(array, flagged: flagged, flaggedColumns: flaggedColumns, wholeColumns: wholeColumns,
                              at: time)
        for (scope, weights) in plan {
            if scope == .array { consecutiveFailures = 0 }
            for index in weights where planned.insert(index).inserted {
                if let target = repairTarget(row: index / columns, column: index % columns, columns: columns, at: time) {
                    targets.append(target)
                }
            }
            events.append(ControllerEvent(time: time, kind: .reprogrammed(scope, weights: weights.count)))
        }
        counters.cellsReprogrammed += targets.count
        writeVerify(&array, targets, at: time)
        triggers.checked(at: time, temperature: temperature)
        syncHostCounter()
    }

    /// One functional check: the measured check sums, with their cost counted.
    private mutating func measure<A: ManagedArray>(_ array: inout A, _ vector: [Int32], at time: Double) throws -> [Double] {
        let result = try array.checkSums(vector, at: time)
        counters.testMVMs += 1
        counters.checkEnergy += result.energy
        counters.checkCycles += result.cycles
        return result.sums
    }

    /// The noise-aware tolerance of one check sum: the cell noise over the driven rows at
    /// `k_sigma`, at least the ADC error of each conversion, plus the spread MSB-only references allow; or,
    /// with `relative_tolerance`, a fraction of the full-scale sum.
    func checkTolerance<A: ManagedArray>(_ array: A, vector: [Int32], slack: Double) -> Double {
        let active = vector.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        let conversions = Double(Set(vector.filter { $0 != 0 }).count)
        let tolerance: Double
        if config.relativeTolerance > 0 {
            tolerance = config.relativeTolerance * Double(active) * array.checkFullScalePerRow
        } else {
            tolerance = max(config.kSigma * Double(active).squareRoot() * array.checkNoise,
                            conversions * array.checkResolution(activeRows: active))
        }
        return tolerance + slack
    }

    /// The tolerance of one weight read: one reference LSB, or the noise at `k_sigma` when larger.
    func cellTolerance<A: ManagedArray>(_ array: A) -> Double {
        let residual = verifyTolerance(array) * verifyTolerance(array) / 3
        let noise = config.kSigma * (array.readNoise * array.readNoise + residual).squareRoot()
        return max(store.referenceLSB, noise, array.readResolution)
    }

    /// How close write-verify brings a weight: the program tolerance, or the verify-read noise at `k_sigma`
    /// when a single verify read cannot resolve finer.
    func verifyTolerance<A: ManagedArray>(_ array: A) -> Double {
        max(config.programTolerance, config.kSigma * array.verifyNoise)
    }

    /// The rows of `column` whose weights are degraded.
    private mutating func localize<A: ManagedArray>(_ array: inout A, column: Int, vector: [Int32],
                                                    at time: Double) throws -> [Int] {
        switch config.localization {
        case .none:
            return Array(0..<array.rows)
        case .readVerify:
            let tolerance = cellTolerance(array)
            var rows: [Int] = []
            for r in 0..<array.rows {
                guard let reference = expectedWeight(row: r, column: column) else { continue }
                let read = try array.readWeight(row: r, column: column, at: time)
                counters.cellsReadVerified += 1
                counters.checkEnergy += config.verifyReadEnergy.value
                if abs(read - Double(reference)) > tolerance { rows.append(r) }
            }
            return rows
        case .bisection:
            return try bisect(&array, column: column, rows: 0..<array.rows, vector: vector, at: time)
        }
    }

    /// Recursive halving of a flagged row group: a half is searched further only when one of the column's
    /// check sums fails on it; a single failing row is a degraded weight.
    private mutating func bisect<A: ManagedArray>(_ array: inout A, column: Int, rows: Range<Int>, vector: [Int32],
                                                  at time: Double) throws -> [Int] {
        guard rows.count > 1 else { return Array(rows) }
        let middle = rows.lowerBound + rows.count / 2
        var found: [Int] = []
        for half in [rows.lowerBound..<middle, middle..<rows.upperBound] {
            var partial = [Int32](repeating: 0, count: array.rows)
            for r in half { partial[r] = vector[r] }
            let expected = array.expectedCheckSums(partial) { r, c in
                self.expectedWeight(row: r, column: c).map { self.store.range(of: $0) }
            }
            let measured = try measure(&array, partial, at: time)
            let fails = array.checkColumnOutputs.indices.contains { k in
                guard array.checkColumnOutputs[k] == column, let (sum, slack) = expected[k] else { return false }
                return abs(measured[k] - sum) > checkTolerance(array, vector: partial, slack: slack)
            }
            if fails { found += try bisect(&array, column: column, rows: half, vector: vector, at: time) }
        }
        return found
    }

    /// The weight a check expects at (`row`, `column`), without counting a reference read: the reference,
    /// 0 when nulled, the kept programmed value when uncovered and kept, else nil.
    private func expectedWeight(row: Int, column: Int) -> Int32? {
        if let reference = store.peek(row: row, column: column) { return reference }
        if store.entries[row * store.columns + column] != nil { return 0 }
        return config.keepProgrammedValues ? programmed[row, column] : nil
    }

    /// Which weights to reprogram, by scope: escalation to the whole array, rows with several flagged
    /// weights, whole columns without localization, single weights otherwise.
    private func repairPlan<A: ManagedArray>(_ array: A, flagged: Set<Int>, flaggedColumns: [Int],
                                             wholeColumns: [Int], at time: Double) -> [(RepairScope, [Int])] {
        let rows = array.rows
        let columns = array.columns
        let total = rows * columns
        // The weights given up as stuck are not rewritten, so they do not count towards the refresh age.
        let oldest = writtenAt.indices.lazy.filter { !self.faulty.contains($0) }.map { self.writtenAt[$0] }.min() ?? time
        let failed = !flaggedColumns.isEmpty
        if time - oldest > config.refreshAge.value
            || Double(flagged.count) > config.arrayEscalation * Double(total)
            || (failed && (config.policy == .perArray || consecutiveFailures >= config.errorEscalation
                           || array.driftCompensation == .global)) {
            return [(.array, Array(0..<total))]
        }
        guard !flagged.isEmpty else { return [] }
        if config.policy == .perColumn || config.localization == .none || array.driftCompensation == .perColumn {
            return [(.column, flaggedColumns.flatMap { c in (0..<rows).map { $0 * columns + c } })]
        }
        var plan: [(RepairScope, [Int])] = []
        if !wholeColumns.isEmpty {
            plan.append((.column, wholeColumns.flatMap { c in (0..<rows).map { $0 * columns + c } }))
        }
        let flagged = flagged.filter { !wholeColumns.contains($0 % columns) }
        var byRow: [Int: [Int]] = [:]
        for index in flagged.sorted() { byRow[index / columns, default: []].append(index) }
        var cells: [Int] = []
        for (row, indices) in byRow.sorted(by: { $0.key < $1.key }) {
            if config.policy == .perRow || indices.count >= config.rowEscalation {
                plan.append((.row, (0..<columns).map { row * columns + $0 }))
            } else {
                cells += indices
            }
        }
        if !cells.isEmpty { plan.append((.cell, cells)) }
        return plan
    }

    // MARK: Reprogramming

    /// The value to reprogram one weight to: its reference, or what the missing- and corrupted-reference
    /// rules say; nil when the weight is left alone (stuck, or `missing_reference: leave`).
    private mutating func repairTarget(row: Int, column: Int, columns: Int, at time: Double) -> (Int, Int32)? {
        let index = row * columns + column
        guard !faulty.contains(index) else { return nil }
        switch readReference(row: row, column: column, at: time) {
        case let .weight(w):
            counters.hostBytesAvoided += (store.weightBits + 7) / 8
            return (index, w)
        case .corrupted, .nulled:
            return (index, 0)
        case .missing:
            switch config.missingReference {
            case .leave:
                return nil
            case .null:
                return (index, 0)
            case .askHost:
                guard var host else { return (index, 0) }
                let weight = host.fetch(row: row, column: column)
                self.host = host
                events.append(ControllerEvent(time: time, kind: .hostFetch(row: row, column: column)))
                return (index, weight)
            }
        }
    }

    /// Reads one reference with its parity check, counting the read; a parity failure nulls the entry,
    /// emits `referenceNulled` and, with a host attached, queues a refresh.
    private mutating func readReference(row: Int, column: Int, at time: Double) -> DigitalWeightStore.Lookup {
        let lookup = store.read(row: row, column: column)
        if lookup != .missing {
            counters.referenceReads += 1
            counters.referenceEnergy += config.referenceReadEnergy.value
        }
        if lookup == .corrupted {
            counters.referencesNulled += 1
            events.append(ControllerEvent(time: time, kind: .referenceNulled(row: row, column: column)))
            if host != nil { pendingRefresh.append(row * store.columns + column) }
        }
        return lookup
    }

    /// The host rewrites the references nulled since the last check.
    private mutating func refreshFromHost(at time: Double) {
        guard var host else { return }
        for index in pendingRefresh {
            let (row, column) = index.quotientAndRemainder(dividingBy: store.columns)
            store.write(row: row, column: column, weight: host.fetch(row: row, column: column))
            counters.referenceWrites += 1
            counters.referenceEnergy += config.referenceWriteEnergy.value
            events.append(ControllerEvent(time: time, kind: .hostFetch(row: row, column: column)))
        }
        pendingRefresh = []
        self.host = host
    }

    /// Program-and-verify of the weights `targets` (`(index, value)`), in rounds: every
    /// weight not yet within the verify tolerance gets one pulse, then all are read back. A weight with a
    /// cell that does not move is marked stuck and never retried. A weight still out of tolerance after
    /// `max_pulses` rounds has failed this programming: it keeps its last pulse and is retried at its next
    /// repair (with noisy devices a working cell can miss several times in a row; see the README).
    private mutating func writeVerify<A: ManagedArray>(_ array: inout A, _ targets: [(Int, Int32)], at time: Double) {
        let columns = array.columns
        let tolerance = verifyTolerance(array)
        var pending = targets
        for (index, value) in targets {
            programmed[index / columns, index % columns] = value
            writtenAt[index] = time
        }
        for _ in 0..<config.maxPulses where !pending.isEmpty {
            var moved: [(Int, Int32)] = []
            for (index, value) in pending {
                counters.programPulses += 1
                counters.programEnergy += config.pulseEnergy.value
                counters.programLatency += config.pulseTime.value
                if array.programPulse(row: index / columns, column: index % columns, target: value, at: time) {
                    moved.append((index, value))
                } else {
                    markStuck(index, columns: columns, at: time)
                }
            }
            pending = moved.filter { index, value in
                let read = array.verifyRead(row: index / columns, column: index % columns, at: time)
                counters.verifyReads += 1
                counters.programEnergy += config.verifyReadEnergy.value
                return abs(read - Double(value)) > tolerance
            }
        }
        for (index, _) in pending {
            let (row, column) = index.quotientAndRemainder(dividingBy: columns)
            counters.programFailures += 1
            events.append(ControllerEvent(time: time, kind: .programFailed(row: row, column: column)))
        }
    }

    private mutating func markStuck(_ index: Int, columns: Int, at time: Double) {
        let (row, column) = index.quotientAndRemainder(dividingBy: columns)
        faulty.insert(index)
        counters.stuckCells += 1
        counters.programFailures += 1
        events.append(ControllerEvent(time: time, kind: .programFailed(row: row, column: column)))
        events.append(ControllerEvent(time: time, kind: .stuckCell(row: row, column: column)))
    }

    // MARK: Ground truth

    /// Counts flagged weights that were not degraded and degraded weights that were not flagged. A weight
    /// is degraded when its noise-free effective value is further than the cell tolerance from its master
    /// value (0 once its reference was nulled).
    private mutating func countAgainstGroundTruth<A: ManagedArray>(_ array: A, flagged: Set<Int>, checkable: [Bool],
                                                                   at time: Double) {
        let tolerance = cellTolerance(array)
        for r in 0..<array.rows {
            for c in 0..<array.columns where checkable[c] {
                let index = r * array.columns + c
                guard !faulty.contains(index) else { continue }
                let target = store.entries[index].map { $0.valid } == false ? 0 : Double(truth[r, c])
                let degraded = abs(array.effectiveWeight(row: r, column: c, at: time) - target) > tolerance
                if flagged.contains(index) && !degraded { counters.falsePositives += 1 }
                if !flagged.contains(index) && degraded { counters.falseNegatives += 1 }
            }
        }
    }

    /// Mean and largest |W_eff - W_ref| over all weights at `time`, in LSB.
    public func weightError<A: ManagedArray>(_ array: A, at time: Double) -> (mean: Double, max: Double) {
        var sum = 0.0
        var largest = 0.0
        for r in 0..<array.rows {
            for c in 0..<array.columns {
                let error = abs(array.effectiveWeight(row: r, column: c, at: time) - Double(truth[r, c]))
                sum += error
                largest = max(largest, error)
            }
        }
        return (sum / Double(max(1, array.rows * array.columns)), largest)
    }

    /// Injects a parity-detectable fault: flips one bit of a stored reference.
    public mutating func corruptReference(row: Int, column: Int, bit: Int) {
        store.flipBit(row: row, column: column, bit: bit)
    }
}
