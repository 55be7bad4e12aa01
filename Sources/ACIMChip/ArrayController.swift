import ACIMCore

/// The device controller's work on one array (docs/design.md, *The device controller*): it programs the
/// array from its digital weight references, checks it for degraded weights when a trigger fires,
/// localizes them and reprograms them from the references, without the host. `DeviceController` runs one
/// of these for every array of a chip.
///
/// Everything happens at the array's own time and temperature: the controller never moves time.
public struct ArrayController: Sendable, Codable, Equatable {
    public let config: DeviceControllerConfig
    /// The array this controller keeps.
    public let array: ArrayID
    /// The array's region of the digital weight store.
    public private(set) var store: DigitalWeightStore
    public private(set) var counters = ControllerCounters()
    public private(set) var log: ControllerLog
    public private(set) var triggers: CheckTriggers
    /// Clock of the array, for converting check and program time to stall cycles.
    public let clock: Double
    /// Last programmed value of every weight, kept for uncovered weights when configured.
    private var programmed: Matrix<Int32>
    /// Simulated time each weight was last written by the controller.
    @Packed private var writtenAt: [Double]
    /// Weights whose cells are stuck; never retried.
    @SortedOnEncode private var faulty: Set<Int> = []
    /// References nulled after a parity error, waiting for a host refresh.
    private var pendingRefresh: [Int] = []
    /// Failed checks in a row.
    private var consecutiveFailures = 0
    /// The fixed pseudo-random +1/-1 test vector, when configured.
    private let randomVector: [Int32]
    /// Reasons of a check deferred until the array is idle.
    private var pendingReasons: [CheckReason] = []

    /// A controller for `array`, loading the references of its covered weights from `host`'s master copy at
    /// simulated time `start` and `temperature` kelvin (the bytes are counted).
    public init(config: DeviceControllerConfig, array: ArrayID, host: any WeightSource, weightBits: Int, seed: UInt64,
                clock: Double, start: Double, temperature: Double) throws {
        let config = try config.validated()
        guard let weights = host.masterWeights(of: array) else {
            throw ACIMError.inconsistentParameters("the host has no master weights for \(array)")
        }
        self.config = config
        self.array = array
        self.clock = clock
        programmed = weights
        writtenAt = [Double](repeating: start, count: weights.storage.count)
        let covered = DigitalWeightStore.coverage(config.coverage, fraction: config.coverageFraction,
                                                  weights: weights, seed: seed, array: array)
        store = DigitalWeightStore(weights: weights, weightBits: weightBits, referenceBits: config.referenceBits,
                                   parity: config.parity, covered: covered)
        log = ControllerLog(capacity: config.eventLog)
        counters.hostBytesTransferred = store.loadBytes
        counters.referenceWrites = store.coveredCount
        counters.referenceEnergy = Double(store.coveredCount) * config.referenceWriteEnergy.value
        triggers = CheckTriggers(config: config, start: start, temperature: temperature)
        let stream = RandomStream(seed: seed, lane: array.streamOwner, purpose: .testVectors)
        randomVector = (0..<weights.rows).map { stream.bits(at: UInt64($0)) & 1 == 0 ? 1 : -1 }
    }

    /// The kept events, oldest first.
    public var events: [ControllerEvent] { log.events }

    /// Host bytes sent so far.
    public var hostBytes: Int { counters.hostBytesTransferred }

    /// Bytes of one weight on the wire from the host.
    private var bytesPerWeight: Int { (store.weightBits + 7) / 8 }

    /// One weight from the host's master copy, its bytes counted; nil without a host.
    private mutating func fetch(row: Int, column: Int, from host: (any WeightSource)?) -> Int32? {
        guard let weights = host?.masterWeights(of: array) else { return nil }
        counters.hostBytesTransferred += bytesPerWeight
        return weights[row, column]
    }

    // MARK: Deployment

    /// Programs every weight at the array's time: covered weights from their references, the others from
    /// `host` (0 without one).
    public mutating func deploy<A: ManagedArray>(_ array: inout A, host: (any WeightSource)?) throws {
        let time = array.time
        var targets: [(Int, Int32)] = []
        for r in 0..<array.rows {
            for c in 0..<array.columns {
                if case let .weight(w) = readReference(row: r, column: c, at: time, host: host) {
                    targets.append((r * array.columns + c, w))
                } else {
                    targets.append((r * array.columns + c, fetch(row: r, column: c, from: host) ?? 0))
                }
            }
        }
        writeVerify(&array, targets, at: time)
        triggers.checked(at: time, temperature: array.temperature)
    }

    // MARK: Triggers

    /// Counts `reads` inference reads since the last call and runs a check when a trigger fires at the
    /// array's time and temperature. With `idle_only`, a due check waits until `idle`; otherwise it preempts
    /// and its time counts as stall cycles. Returns the reasons of the check that ran, empty when none did.
    @discardableResult
    public mutating func maintain<A: ManagedArray>(_ array: inout A, reads: Int = 0, idle: Bool = true,
                                                   host: (any WeightSource)?,
                                                   findings: ((CheckFindings, A) -> Void)? = nil) throws -> [CheckReason] {
        guard config.enabled else { return [] }
        triggers.recordReads(reads)
        // A deferred reason that is still due is listed once.
        let reasons = Array(Set(pendingReasons + triggers.due(at: array.time, temperature: array.temperature)))
            .sorted { $0.rawValue < $1.rawValue }
        guard !reasons.isEmpty else { return [] }
        if config.idleOnly && !idle {
            pendingReasons = reasons
            return []
        }
        pendingReasons = []
        let before = counters
        try check(&array, reasons: reasons, host: host, findings: findings)
        if !idle { counters.arrayUnavailableCycles += (counters - before).busyCycles(clock: clock) }
        return reasons
    }

    // MARK: Checking

    /// Checks every column functionally at the array's time, localizes degraded weights in the flagged ones,
    /// and repairs them by the configured policy, asking `host` only for what the references cannot give.
    /// `findings`, when given, sees what the check found before anything is repaired (to score it
    /// against the simulation's ground truth, which the controller never sees).
    public mutating func check<A: ManagedArray>(_ array: inout A, reasons: [CheckReason] = [.forced],
                                                host: (any WeightSource)?,
                                                findings: ((CheckFindings, A) -> Void)? = nil) throws {
        let time = array.time
        counters.checksRun += 1
        log.append(ControllerEvent(time: time, kind: .checkTriggered(reasons)))
        refreshFromHost(at: time, host: host)
        let rows = array.rows
        let columns = array.columns
        let vector = config.testVector == .ones ? [Int32](repeating: 1, count: rows) : randomVector

        // Tier A: one check of every bit line against the sums expected from the references; reading the
        // references checks their parity.
        var ranges = [ClosedRange<Int32>?](repeating: nil, count: rows * columns)
        var nulledNow: [(Int, Int)] = []
        for r in 0..<rows {
            for c in 0..<columns {
                switch readReference(row: r, column: c, at: time, host: host) {
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
        let measured = try measure(&array, vector)
        var flaggedColumns: [Int] = []
        var checkable = [Bool](repeating: false, count: columns)
        for (k, output) in array.checkColumnOutputs.enumerated() {
            guard let (sum, slack) = expected[k] else { continue }
            checkable[output] = true
            let error = abs(measured[k] - sum)
            let tolerance = checkTolerance(array, vector: vector, slack: slack)
            if error > tolerance && !flaggedColumns.contains(output) {
                flaggedColumns.append(output)
                log.append(ControllerEvent(time: time, kind: .columnFlagged(column: output, error: error, tolerance: tolerance)))
            }
        }
        flaggedColumns.sort()
        counters.columnsFlagged += flaggedColumns.count

        // Tier B: localize inside the flagged columns. A column whose check fails while no single weight
        // is out of tolerance has drifted as a whole (many small errors adding up): it is flagged whole.
        var flagged = Set<Int>()
        var wholeColumns: [Int] = []
        for c in flaggedColumns {
            let rows = try localize(&array, column: c, vector: vector)
            if rows.isEmpty { wholeColumns.append(c) }
            for r in rows.isEmpty ? Array(0..<array.rows) : rows {
                flagged.insert(r * columns + c)
                log.append(ControllerEvent(time: time, kind: .cellDegraded(row: r, column: c)))
            }
        }
        counters.cellsFlagged += flagged.count
        if let findings {
            let zeroed = Set(store.entries.indices.filter { store.entries[$0]?.valid == false })
            findings(CheckFindings(array: self.array, flagged: flagged, checkable: checkable,
                                   tolerance: cellTolerance(array), skipped: faulty, zeroed: zeroed), array)
        }
        consecutiveFailures = flaggedColumns.isEmpty ? 0 : consecutiveFailures + 1

        // Repair: weights with a nulled reference go to 0, then the flagged weights by policy.
        var targets: [(Int, Int32)] = nulledNow.map { ($0.0 * columns + $0.1, 0) }
        var planned = Set(targets.map(\.0))
        let plan = repairPlan(array, flagged: flagged, flaggedColumns: flaggedColumns, wholeColumns: wholeColumns,
                              at: time)
        for (scope, weights) in plan {
            if scope == .array { consecutiveFailures = 0 }
            for index in weights where planned.insert(index).inserted {
                if let target = repairTarget(row: index / columns, column: index % columns, columns: columns,
                                             at: time, host: host) {
                    targets.append(target)
                }
            }
            log.append(ControllerEvent(time: time, kind: .reprogrammed(scope, weights: weights.count)))
        }
        counters.cellsReprogrammed += targets.count
        writeVerify(&array, targets, at: time)
        triggers.checked(at: time, temperature: array.temperature)
    }

    /// One functional check: the measured check sums, with their cost counted.
    private mutating func measure<A: ManagedArray>(_ array: inout A, _ vector: [Int32]) throws -> [Double] {
        let result = try array.checkSums(vector)
        counters.testMVMs += 1
        counters.checkEnergy += result.energy
        counters.checkCycles += result.cycles
        return result.sums
    }

    /// The noise-aware tolerance of one check sum: the cell noise over the driven rows at
    /// `k_sigma`, plus the ADC error of each conversion, plus the spread MSB-only references allow; or,
    /// with `relative_tolerance`, a fraction of the full-scale sum.
    func checkTolerance<A: ManagedArray>(_ array: A, vector: [Int32], slack: Double) -> Double {
        let active = vector.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        let conversions = Double(Set(vector.filter { $0 != 0 }).count)
        let tolerance: Double
        if config.relativeTolerance > 0 {
            tolerance = config.relativeTolerance * Double(active) * array.checkFullScalePerRow
        } else {
            // The noise and the rounding of each conversion add up.
            tolerance = config.kSigma * Double(active).squareRoot() * array.checkNoise
                + conversions * array.checkResolution(activeRows: active)
        }
        // A sum that lies on an ADC rounding midpoint decodes exactly half a step away: the bound holds with
        // equality, so it gets the few ulps the decode's floating point may add.
        return (tolerance + slack) * (1 + 1e-12)
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
    private mutating func localize<A: ManagedArray>(_ array: inout A, column: Int, vector: [Int32]) throws -> [Int] {
        switch config.localization {
        case .none:
            return Array(0..<array.rows)
        case .readVerify:
            let tolerance = cellTolerance(array)
            var rows: [Int] = []
            for r in 0..<array.rows {
                guard let reference = expectedWeight(row: r, column: column) else { continue }
                let read = try array.readWeight(row: r, column: column)
                counters.cellsReadVerified += 1
                counters.checkEnergy += config.verifyReadEnergy.value
                if abs(read - Double(reference)) > tolerance { rows.append(r) }
            }
            return rows
        case .bisection:
            return try bisect(&array, column: column, rows: 0..<array.rows, vector: vector)
        }
    }

    /// Recursive halving of a flagged row group: a half is searched further only when one of the column's
    /// check sums fails on it; a single failing row is a degraded weight.
    private mutating func bisect<A: ManagedArray>(_ array: inout A, column: Int, rows: Range<Int>,
                                                  vector: [Int32]) throws -> [Int] {
        guard rows.count > 1 else { return Array(rows) }
        let middle = rows.lowerBound + rows.count / 2
        var found: [Int] = []
        for half in [rows.lowerBound..<middle, middle..<rows.upperBound] {
            var partial = [Int32](repeating: 0, count: array.rows)
            for r in half { partial[r] = vector[r] }
            let expected = array.expectedCheckSums(partial) { r, c in
                self.expectedWeight(row: r, column: c).map { self.store.range(of: $0) }
            }
            let measured = try measure(&array, partial)
            let fails = array.checkColumnOutputs.indices.contains { k in
                guard array.checkColumnOutputs[k] == column, let (sum, slack) = expected[k] else { return false }
                return abs(measured[k] - sum) > checkTolerance(array, vector: partial, slack: slack)
            }
            if fails { found += try bisect(&array, column: column, rows: half, vector: vector) }
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
    private mutating func repairTarget(row: Int, column: Int, columns: Int, at time: Double,
                                       host: (any WeightSource)?) -> (Int, Int32)? {
        let index = row * columns + column
        guard !faulty.contains(index) else { return nil }
        switch readReference(row: row, column: column, at: time, host: host) {
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
                guard let weight = fetch(row: row, column: column, from: host) else { return (index, 0) }
                log.append(ControllerEvent(time: time, kind: .hostFetch(row: row, column: column)))
                return (index, weight)
            }
        }
    }

    /// Reads one reference with its parity check, counting the read; a parity failure nulls the entry,
    /// emits `referenceNulled` and, with a host attached, queues a refresh.
    private mutating func readReference(row: Int, column: Int, at time: Double,
                                        host: (any WeightSource)?) -> DigitalWeightStore.Lookup {
        let lookup = store.read(row: row, column: column)
        if lookup != .missing {
            counters.referenceReads += 1
            counters.referenceEnergy += config.referenceReadEnergy.value
        }
        if lookup == .corrupted {
            counters.referencesNulled += 1
            log.append(ControllerEvent(time: time, kind: .referenceNulled(row: row, column: column)))
            if host != nil { pendingRefresh.append(row * store.columns + column) }
        }
        return lookup
    }

    /// The host rewrites the references nulled since the last check.
    private mutating func refreshFromHost(at time: Double, host: (any WeightSource)?) {
        guard host != nil else { return }
        for index in pendingRefresh {
            let (row, column) = index.quotientAndRemainder(dividingBy: store.columns)
            guard let weight = fetch(row: row, column: column, from: host) else { continue }
            store.write(row: row, column: column, weight: weight)
            counters.referenceWrites += 1
            counters.referenceEnergy += config.referenceWriteEnergy.value
            log.append(ControllerEvent(time: time, kind: .hostFetch(row: row, column: column)))
        }
        pendingRefresh = []
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
                if array.programPulse(row: index / columns, column: index % columns, target: value) {
                    moved.append((index, value))
                } else {
                    markStuck(index, columns: columns, at: time)
                }
            }
            pending = moved.filter { index, value in
                let read = array.verifyRead(row: index / columns, column: index % columns)
                counters.verifyReads += 1
                counters.programEnergy += config.verifyReadEnergy.value
                return abs(read - Double(value)) > tolerance
            }
        }
        for (index, _) in pending {
            let (row, column) = index.quotientAndRemainder(dividingBy: columns)
            counters.programFailures += 1
            log.append(ControllerEvent(time: time, kind: .programFailed(row: row, column: column)))
        }
    }

    private mutating func markStuck(_ index: Int, columns: Int, at time: Double) {
        let (row, column) = index.quotientAndRemainder(dividingBy: columns)
        faulty.insert(index)
        counters.stuckCells += 1
        counters.programFailures += 1
        log.append(ControllerEvent(time: time, kind: .programFailed(row: row, column: column)))
        log.append(ControllerEvent(time: time, kind: .stuckCell(row: row, column: column)))
    }

    /// Injects a parity-detectable fault: flips one bit of a stored reference.
    public mutating func corruptReference(row: Int, column: Int, bit: Int) {
        store.flipBit(row: row, column: column, bit: bit)
    }
}
