import ACIMArray
import ACIMCore

/// The chip's device controller: one digital weight store with a region for every array in use, and one
/// `ArrayController` per array that programs it from its references and keeps it healthy without the host.
/// It works at the chip's time; the chip's clock moves time, the controller never does. It is saved and
/// restored exactly with the chip it keeps (`Codable`).
public struct DeviceController: Sendable, Codable, Equatable {
    public let config: DeviceControllerConfig
    /// Seed of the controller's random streams (coverage picks, test vectors, programming noise).
    public let seed: UInt64
    /// The controllers of the arrays, by array.
    public private(set) var arrays: [ArrayID: ArrayController] = [:]
    /// The controller's read, pulse and verify counts per array, which key its next random draws.
    private var draws: [ArrayID: ManagedCrossbar.Draws] = [:]
    /// Each array's inference read count at its last maintenance.
    private var readsSeen: [ArrayID: UInt64] = [:]

    public init(config: DeviceControllerConfig, seed: UInt64) throws {
        self.config = try config.validated()
        self.seed = seed
    }

    /// Every counter of every array added up, in array order, so the sums do not depend on hashing.
    public var counters: ControllerCounters {
        arrays.keys.sorted().reduce(ControllerCounters()) { $0 + arrays[$1]!.counters }
    }

    /// Bytes of the digital weight store: the references of every array in use.
    public var storeBytes: Int { arrays.values.reduce(0) { $0 + $1.store.loadBytes } }

    /// Loads the references of every array in use on `chip` from `host` and programs each array by
    /// write-verify at the chip's time (arrays mapped with `Chip.map`); returns what it cost.
    public mutating func deploy(_ chip: inout Chip, host: any WeightSource) throws -> MaintenanceReport {
        var report = MaintenanceReport(time: chip.time)
        for id in chip.arraysInUse {
            var unit = try ArrayController(config: config, array: id, host: host,
                                           weightBits: chip.crossbar.array.weightBits, seed: seed,
                                           clock: chip.clock, start: chip.time, temperature: chip.temperature)
            try onArray(id, of: &chip) { managed in try unit.deploy(&managed, host: host) }
            report.add(id, unit.counters, clock: chip.clock, config: config)
            arrays[id] = unit
            readsSeen[id] = try chip.array(id).reads
        }
        return report
    }

    /// One round of upkeep at the chip's time: every array counts the inference reads since its last
    /// round, its triggers are evaluated, and the checks that are due run with their repairs. With
    /// `idle_only`, a due check waits until the chip is `idle`; otherwise it preempts inference and its
    /// time counts as stall cycles. `force` checks every array now. `host` serves what the references
    /// cannot (nil once the host is detached); `audit`, when given, scores every check against the
    /// master weights of `truth`.
    public mutating func maintain(_ chip: inout Chip, idle: Bool = true, force: Bool = false,
                                  host: (any WeightSource)?, audit: inout DetectionAudit?,
                                  truth: (any WeightSource)? = nil) throws -> MaintenanceReport {
        var report = MaintenanceReport(time: chip.time)
        for id in arrays.keys.sorted() {
            guard var unit = arrays.removeValue(forKey: id) else { continue }
            defer { arrays[id] = unit }
            let before = unit.counters
            let reads = try chip.array(id).reads
            // An array given new weights since the last round starts its read count again.
            let seen = readsSeen[id] ?? reads
            let newReads = Int(reads >= seen ? reads - seen : reads)
            readsSeen[id] = reads
            var scored = audit
            let master = truth?.masterWeights(of: id)
            try onArray(id, of: &chip) { managed in
                let findings: ((CheckFindings, ManagedCrossbar) -> Void)? = master.map { master in
                    { findings, array in scored?.score(findings, on: array, master: master) }
                }
                if force {
                    try unit.check(&managed, reasons: [.forced], host: host, findings: findings)
                } else {
                    try unit.maintain(&managed, reads: newReads, idle: idle, host: host, findings: findings)
                }
            }
            audit = scored
            report.add(id, unit.counters - before, clock: chip.clock, config: config)
        }
        return report
    }

    /// Runs `body` on array `id` of `chip` as the controller sees it, keeping its draws.
    private mutating func onArray(_ id: ArrayID, of chip: inout Chip,
                                  _ body: (inout ManagedCrossbar) throws -> Void) throws {
        let draws = self.draws[id] ?? ManagedCrossbar.Draws()
        let seed = self.seed
        let after = try chip.withArray(id) { crossbar -> ManagedCrossbar.Draws in
            var managed = ManagedCrossbar(mapped: consume crossbar, seed: seed, draws: draws)
            defer { crossbar = managed.crossbar }
            try body(&managed)
            return managed.draws
        }
        self.draws[id] = after
    }
}

/// What one deployment or maintenance round did: checks, repairs, cost, per array and in total.
public struct MaintenanceReport: Sendable, Codable, Equatable {
    /// The chip's time of the round.
    public var time: Double
    /// What each array's controller did in the round.
    public private(set) var arrays: [ArrayID: ControllerCounters] = [:]
    /// Everything added up.
    public private(set) var total = ControllerCounters()
    /// Cycles the round kept arrays busy, summed over arrays.
    public private(set) var busyCycles = 0
    /// The round's energy by component (program pulses, verify reads, checks, references) and its busy
    /// cycles, per array.
    public private(set) var costs = CostLedger()

    public init(time: Double) { self.time = time }

    /// Checks run, weights reprogrammed, energy spent and host bytes, in total.
    public var checks: Int { total.checksRun }
    public var weightsRepaired: Int { total.cellsReprogrammed }
    public var energy: Double { total.upkeepEnergy }
    public var hostBytes: Int { total.hostBytesTransferred }

    mutating func add(_ array: ArrayID, _ counters: ControllerCounters, clock: Double,
                      config: DeviceControllerConfig) {
        arrays[array, default: ControllerCounters()] += counters
        total += counters
        let busy = counters.busyCycles(clock: clock)
        busyCycles += busy
        let place = CostPlace.array(array)
        let verify = Double(counters.verifyReads) * config.verifyReadEnergy.value
        costs.add(counters.programEnergy - verify, to: .programPulse, at: place)
        costs.add(verify, to: .verifyRead, at: place)
        costs.add(counters.checkEnergy, to: .check, at: place)
        costs.add(counters.referenceEnergy, to: .reference, at: place)
        costs.addBusy(busy, at: place)
    }
}
