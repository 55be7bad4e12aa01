/// What the device controller did. Energies in joules, times in seconds.
public struct ControllerCounters: Sendable, Equatable, Codable {
    public var checksRun = 0
    public var testMVMs = 0
    public var cellsReadVerified = 0
    public var columnsFlagged = 0
    public var cellsFlagged = 0
    public var cellsReprogrammed = 0
    public var programPulses = 0
    public var verifyReads = 0
    public var programEnergy = 0.0
    public var programLatency = 0.0
    /// Energy of the functional checks and the localization reads.
    public var checkEnergy = 0.0
    public var checkCycles = 0
    public var referenceReads = 0
    public var referenceWrites = 0
    public var referenceEnergy = 0.0
    /// Cycles inference waited for checks and repairs (only when checks may preempt).
    public var arrayUnavailableCycles = 0
    public var hostBytesTransferred = 0
    /// Bytes the host would have re-sent had each local reprogram come from it.
    public var hostBytesAvoided = 0
    public var referencesNulled = 0
    /// Weights write-verify could not bring within tolerance: stuck, or out of pulses.
    public var programFailures = 0
    /// Weights given up as stuck: a cell did not move under a pulse.
    public var stuckCells = 0

    public init() {}

    /// All energy spent keeping the weights healthy.
    public var upkeepEnergy: Double { programEnergy + checkEnergy + referenceEnergy }

    /// Cycles the upkeep kept an array busy: checks and localization reads, and program pulses at `clock`.
    public func busyCycles(clock: Double) -> Int { checkCycles + Int((programLatency * clock).rounded(.up)) }

    /// The counters of two parts together (two arrays, or two periods of one), every field added.
    public static func + (a: ControllerCounters, b: ControllerCounters) -> ControllerCounters {
        var sum = a
        sum += b
        return sum
    }

    public static func += (a: inout ControllerCounters, b: ControllerCounters) {
        a.combine(b, +, +)
    }

    /// The counters of `b` subtracted from `a`: what happened between two readings.
    public static func - (a: ControllerCounters, b: ControllerCounters) -> ControllerCounters {
        var difference = a
        difference.combine(b, -, -)
        return difference
    }

    /// Every field of `self` and `other` combined by `integer` or `real`.
    private mutating func combine(_ other: ControllerCounters, _ integer: (Int, Int) -> Int,
                                  _ real: (Double, Double) -> Double) {
        for field in ControllerCounters.integerFields {
            self[keyPath: field] = integer(self[keyPath: field], other[keyPath: field])
        }
        for field in ControllerCounters.realFields {
            self[keyPath: field] = real(self[keyPath: field], other[keyPath: field])
        }
    }

    private static var integerFields: [WritableKeyPath<ControllerCounters, Int>] { [
        \.checksRun, \.testMVMs, \.cellsReadVerified, \.columnsFlagged, \.cellsFlagged, \.cellsReprogrammed,
        \.programPulses, \.verifyReads, \.checkCycles, \.referenceReads, \.referenceWrites,
        \.arrayUnavailableCycles, \.hostBytesTransferred, \.hostBytesAvoided, \.referencesNulled,
        \.programFailures, \.stuckCells,
    ] }
    private static var realFields: [WritableKeyPath<ControllerCounters, Double>] { [
        \.programEnergy, \.programLatency, \.checkEnergy, \.referenceEnergy,
    ] }
}

/// Why a check ran.
public enum CheckReason: String, Sendable, Equatable, CaseIterable, Codable {
    case timer, age, temperature, reads, forced
}

/// The scope of one reprogramming.
public enum RepairScope: String, Sendable, Equatable, Codable {
    case cell, row, column, array
}

/// One controller event, at simulated time `time`.
public struct ControllerEvent: Sendable, Equatable, Codable {
    public enum Kind: Sendable, Equatable, Codable {
        case checkTriggered([CheckReason])
        case columnFlagged(column: Int, error: Double, tolerance: Double)
        case cellDegraded(row: Int, column: Int)
        case reprogrammed(RepairScope, weights: Int)
        case hostFetch(row: Int, column: Int)
        case referenceNulled(row: Int, column: Int)
        case programFailed(row: Int, column: Int)
        case stuckCell(row: Int, column: Int)
    }

    public var time: Double
    public var kind: Kind
}
