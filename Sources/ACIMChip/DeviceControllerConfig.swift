import ACIMCore

/// Which weights the digital weight store keeps a reference for: all, a predetermined subset, or the largest.
public enum ReferenceCoverage: String, Codable, Sendable, CaseIterable {
    /// Every mapped weight.
    case all
    /// A subset fixed at design time: `coverage_fraction` of the weights, picked by a seeded hash.
    case predetermined
    /// The `coverage_fraction` of the weights with the largest magnitude.
    case topMagnitude = "top_magnitude"
}

/// How a flagged column is narrowed down to cells (tier B of a check).
public enum Localization: String, Codable, Sendable, CaseIterable {
    /// One-hot reads of every cell of the flagged column.
    case readVerify = "read_verify"
    /// Functional checks on halves of the row group, recursively.
    case bisection
    /// No localization: the whole flagged column is reprogrammed.
    case none
}

/// The functional test vector (tier A of a check).
public enum TestVector: String, Codable, Sendable, CaseIterable {
    /// All rows driven with 1: a column checksum.
    case ones
    /// A stored pseudo-random +1/-1 vector.
    case random
}

/// The smallest scope a repair reprograms; larger scopes follow by escalation.
public enum RepairPolicy: String, Codable, Sendable, CaseIterable {
    case perCell = "per_cell"
    case perRow = "per_row"
    case perColumn = "per_column"
    case perArray = "per_array"
}

/// What to do for a degraded weight that has no reference.
public enum MissingReferencePolicy: String, Codable, Sendable, CaseIterable {
    /// Fetch the weight from the host (counted in host bytes); `null` when no host is attached.
    case askHost = "ask_host"
    /// Leave the analog weight as it is.
    case leave
    /// Program the weight to 0.
    case null
}

/// The device controller (profile section `controller`): digital weight
/// references, write-verify programming, degradation checks, triggers and repair policies.
public struct DeviceControllerConfig: ComponentConfiguration {
    /// Master switch: with `false` the array is programmed once and never checked.
    public var enabled = true
    // Digital weight store.
    public var coverage: ReferenceCoverage = .all
    public var coverageFraction = 1.0
    /// Bits kept per reference (MSB-only when below the weight bits); 0 keeps every bit.
    public var referenceBits = 0
    public var parity = true
    /// Keep the last programmed value of uncovered weights, so their columns can still be checked.
    public var keepProgrammedValues = false
    // Write-verify programming.
    public var programTolerance = 0.5
    public var maxPulses = 8
    public var pulseEnergy = Quantity<Energy>(50e-12)
    public var pulseTime = Quantity<ACIMCore.Duration>(1e-6)
    public var verifyReadEnergy = Quantity<Energy>(1e-12)
    public var referenceReadEnergy = Quantity<Energy>(0.5e-12)
    public var referenceWriteEnergy = Quantity<Energy>(1e-12)
    // Detection.
    public var testVector: TestVector = .ones
    public var kSigma = 4.0
    /// Column tolerance as a fraction of the full-scale column sum instead of the noise-based one; 0: off.
    public var relativeTolerance = 0.0
    public var localization: Localization = .readVerify
    // Triggers.
    public var checkInterval = Quantity<ACIMCore.Duration>(3600)
    public var maxAge = Quantity<ACIMCore.Duration>(86400)
    public var maxTemperatureChange = 10.0
    public var maxReads = 1_000_000
    public var errorEscalation = 3
    public var idleOnly = true
    // Repair.
    public var policy: RepairPolicy = .perCell
    public var rowEscalation = 2
    public var arrayEscalation = 0.05
    public var refreshAge = Quantity<ACIMCore.Duration>(7 * 86400)
    public var missingReference: MissingReferencePolicy = .askHost

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, coverage
        case coverageFraction = "coverage_fraction"
        case referenceBits = "reference_bits"
        case parity
        case keepProgrammedValues = "keep_programmed_values"
        case programTolerance = "program_tolerance"
        case maxPulses = "max_pulses"
        case pulseEnergy = "pulse_energy"
        case pulseTime = "pulse_time"
        case verifyReadEnergy = "verify_read_energy"
        case referenceReadEnergy = "reference_read_energy"
        case referenceWriteEnergy = "reference_write_energy"
        case testVector = "test_vector"
        case kSigma = "k_sigma"
        case relativeTolerance = "relative_tolerance"
        case localization
        case checkInterval = "check_interval"
        case maxAge = "max_age"
        case maxTemperatureChange = "max_temperature_change"
        case maxReads = "max_reads"
        case errorEscalation = "error_escalation"
        case idleOnly = "idle_only"
        case policy
        case rowEscalation = "row_escalation"
        case arrayEscalation = "array_escalation"
        case refreshAge = "refresh_age"
        case missingReference = "missing_reference"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = DeviceControllerConfig()
        enabled = try c.value(.enabled, default: d.enabled)
        coverage = try c.value(.coverage, default: d.coverage)
        coverageFraction = try c.value(.coverageFraction, default: d.coverageFraction)
        referenceBits = try c.value(.referenceBits, default: d.referenceBits)
        parity = try c.value(.parity, default: d.parity)
        keepProgrammedValues = try c.value(.keepProgrammedValues, default: d.keepProgrammedValues)
        programTolerance = try c.value(.programTolerance, default: d.programTolerance)
        maxPulses = try c.value(.maxPulses, default: d.maxPulses)
        pulseEnergy = try c.value(.pulseEnergy, default: d.pulseEnergy)
        pulseTime = try c.value(.pulseTime, default: d.pulseTime)
        verifyReadEnergy = try c.value(.verifyReadEnergy, default: d.verifyReadEnergy)
        referenceReadEnergy = try c.value(.referenceReadEnergy, default: d.referenceReadEnergy)
        referenceWriteEnergy = try c.value(.referenceWriteEnergy, default: d.referenceWriteEnergy)
        testVector = try c.value(.testVector, default: d.testVector)
        kSigma = try c.value(.kSigma, default: d.kSigma)
        relativeTolerance = try c.value(.relativeTolerance, default: d.relativeTolerance)
        localization = try c.value(.localization, default: d.localization)
        checkInterval = try c.value(.checkInterval, default: d.checkInterval)
        maxAge = try c.value(.maxAge, default: d.maxAge)
        maxTemperatureChange = try c.value(.maxTemperatureChange, default: d.maxTemperatureChange)
        maxReads = try c.value(.maxReads, default: d.maxReads)
        errorEscalation = try c.value(.errorEscalation, default: d.errorEscalation)
        idleOnly = try c.value(.idleOnly, default: d.idleOnly)
        policy = try c.value(.policy, default: d.policy)
        rowEscalation = try c.value(.rowEscalation, default: d.rowEscalation)
        arrayEscalation = try c.value(.arrayEscalation, default: d.arrayEscalation)
        refreshAge = try c.value(.refreshAge, default: d.refreshAge)
        missingReference = try c.value(.missingReference, default: d.missingReference)
    }

    public static let fields: [ConfigField] = [
        ConfigField("enabled", "boolean", default: "true", "check and repair the analog weights"),
        ConfigField("coverage", "all | predetermined | top_magnitude", default: "all",
                    "which weights have a digital reference"),
        ConfigField("coverage_fraction", "number", default: "1", allowed: "0...1",
                    "fraction of the weights covered (predetermined, top_magnitude)"),
        ConfigField("reference_bits", "integer", default: "0", allowed: "0...16",
                    "bits kept per reference, most significant first; 0 keeps all weight bits"),
        ConfigField("parity", "boolean", default: "true", "an even-parity check bit per reference"),
        ConfigField("keep_programmed_values", "boolean", default: "false",
                    "remember the programmed value of uncovered weights for checking"),
        ConfigField("program_tolerance", "number", default: "0.5", allowed: "> 0",
                    "write-verify stops within this many weight LSB of the target (or k_sigma read-noise std)"),
        ConfigField("max_pulses", "integer", default: "8", allowed: "1...1000", "pulses before a cell counts as stuck"),
        ConfigField("pulse_energy", "quantity (J)", default: "50pJ", allowed: ">= 0", "one program pulse"),
        ConfigField("pulse_time", "quantity (s)", default: "1us", allowed: ">= 0", "one program pulse"),
        ConfigField("verify_read_energy", "quantity (J)", default: "1pJ", allowed: ">= 0", "one verify read"),
        ConfigField("reference_read_energy", "quantity (J)", default: "500fJ", allowed: ">= 0",
                    "one digital reference read"),
        ConfigField("reference_write_energy", "quantity (J)", default: "1pJ", allowed: ">= 0",
                    "one digital reference write"),
        ConfigField("test_vector", "ones | random", default: "ones", "functional check input"),
        ConfigField("k_sigma", "number", default: "4", allowed: "> 0", "noise multiple in the column tolerance"),
        ConfigField("relative_tolerance", "number", default: "0", allowed: "0...1",
                    "column tolerance as a fraction of full scale; 0 uses the noise-based tolerance"),
        ConfigField("localization", "read_verify | bisection | none", default: "read_verify",
                    "how flagged columns are narrowed to cells"),
        ConfigField("check_interval", "quantity (s)", default: "1h", allowed: "1min...1week", "timer trigger"),
        ConfigField("max_age", "quantity (s)", default: "1d", allowed: "> 0", "check when weights are older"),
        ConfigField("max_temperature_change", "number (K)", default: "10", allowed: "> 0",
                    "check when the temperature moved this far from programming"),
        ConfigField("max_reads", "integer", default: "1000000", allowed: ">= 1", "check after this many reads"),
        ConfigField("error_escalation", "integer", default: "3", allowed: ">= 1",
                    "failed checks in a row before the whole array is refreshed"),
        ConfigField("idle_only", "boolean", default: "true",
                    "check only when idle; otherwise checks preempt inference and count stalls"),
        ConfigField("policy", "per_cell | per_row | per_column | per_array", default: "per_cell",
                    "smallest repair scope"),
        ConfigField("row_escalation", "integer", default: "2", allowed: ">= 1",
                    "flagged cells in a row that reprogram the whole row"),
        ConfigField("array_escalation", "number", default: "0.05", allowed: "0...1",
                    "flagged fraction that refreshes the whole array"),
        ConfigField("refresh_age", "quantity (s)", default: "1week", allowed: "> 0",
                    "weights older than this are refreshed whole"),
        ConfigField("missing_reference", "ask_host | leave | null", default: "ask_host",
                    "repair of a degraded weight without a reference"),
    ]

    public func validate() -> [ConfigIssue] {
        var v = IssueCollector()
        v.check(coverageFraction, in: 0...1, "coverage_fraction")
        v.check(referenceBits, in: 0...16, "reference_bits")
        v.require(programTolerance > 0 && programTolerance.isFinite, "program_tolerance",
                  "expected a number > 0, got \(programTolerance)")
        v.check(maxPulses, in: 1...1000, "max_pulses")
        for (key, energy) in [("pulse_energy", pulseEnergy), ("verify_read_energy", verifyReadEnergy),
                              ("reference_read_energy", referenceReadEnergy),
                              ("reference_write_energy", referenceWriteEnergy)] {
            v.require(energy.value >= 0, key, "expected an energy >= 0, got \(energy)")
        }
        v.require(pulseTime.value >= 0, "pulse_time", "expected a duration >= 0, got \(pulseTime)")
        v.require(kSigma > 0 && kSigma.isFinite, "k_sigma", "expected a number > 0, got \(kSigma)")
        v.check(relativeTolerance, in: 0...1, "relative_tolerance")
        v.require((60...(7 * 86400)).contains(checkInterval.value), "check_interval",
                  "expected a duration in 1min...1week, got \(checkInterval)")
        v.require(maxAge.value > 0, "max_age", "expected a duration > 0, got \(maxAge)")
        v.require(maxTemperatureChange > 0, "max_temperature_change", "expected a number > 0")
        v.require(maxReads >= 1, "max_reads", "expected an integer >= 1, got \(maxReads)")
        v.require(errorEscalation >= 1, "error_escalation", "expected an integer >= 1, got \(errorEscalation)")
        v.require(rowEscalation >= 1, "row_escalation", "expected an integer >= 1, got \(rowEscalation)")
        v.check(arrayEscalation, in: 0...1, "array_escalation")
        v.require(refreshAge.value > 0, "refresh_age", "expected a duration > 0, got \(refreshAge)")
        return v.issues
    }
}
