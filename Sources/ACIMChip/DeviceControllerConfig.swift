import ACIMCore

/// Which weights the digital weight store keeps a reference for: all, a predetermined subset, or the largest.
public enum ReferenceCoverage: String, ConfigEnumeration {
    /// Every mapped weight.
    case all
    /// A subset fixed at design time: `coverage_fraction` of the weights, picked by a seeded hash.
    case predetermined
    /// The `coverage_fraction` of the weights with the largest magnitude.
    case topMagnitude = "top_magnitude"
}

/// How a flagged column is narrowed down to cells (tier B of a check).
public enum Localization: String, ConfigEnumeration {
    /// One-hot reads of every cell of the flagged column.
    case readVerify = "read_verify"
    /// Functional checks on halves of the row group, recursively.
    case bisection
    /// No localization: the whole flagged column is reprogrammed.
    case none
}

/// The functional test vector (tier A of a check).
public enum TestVector: String, ConfigEnumeration {
    /// All rows driven with 1: a column checksum.
    case ones
    /// A stored pseudo-random +1/-1 vector.
    case random
}

/// The smallest scope a repair reprograms; larger scopes follow by escalation.
public enum RepairPolicy: String, ConfigEnumeration {
    case perCell = "per_cell"
    case perRow = "per_row"
    case perColumn = "per_column"
    case perArray = "per_array"
}

/// What to do for a degraded weight that has no reference.
public enum MissingReferencePolicy: String, ConfigEnumeration {
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
    /// Events kept per array for reports; older ones are dropped (the counters keep every event).
    public var eventLog = 1024

    public init() {}

    public static let keys: [ConfigKey<Self>] = [
        .key(\.enabled, "enabled", "check and repair the analog weights"),
        .key(\.coverage, "coverage", "which weights have a digital reference"),
        .key(\.coverageFraction, "coverage_fraction", in: 0...1,
             "fraction of the weights covered (predetermined, top_magnitude)"),
        .key(\.referenceBits, "reference_bits", in: 0...16, rule: "<= array.weight_bits",
             "bits kept per reference, most significant first; 0 keeps all weight bits"),
        .key(\.parity, "parity", "an even-parity check bit per reference"),
        .key(\.keepProgrammedValues, "keep_programmed_values",
             "remember the programmed value of uncovered weights for checking"),
        .key(\.programTolerance, "program_tolerance", above: 0,
             "write-verify stops within this many weight LSB of the target (or k_sigma read-noise std)"),
        .key(\.maxPulses, "max_pulses", in: 1...1000, "write-verify rounds before a weight counts as a program failure (retried at its next repair)"),
        .key(\.pulseEnergy, "pulse_energy", atLeast: 0, "one program pulse"),
        .key(\.pulseTime, "pulse_time", atLeast: 0, "one program pulse"),
        .key(\.verifyReadEnergy, "verify_read_energy", atLeast: 0, "one verify read"),
        .key(\.referenceReadEnergy, "reference_read_energy", atLeast: 0, "one digital reference read"),
        .key(\.referenceWriteEnergy, "reference_write_energy", atLeast: 0, "one digital reference write"),
        .key(\.testVector, "test_vector", "functional check input"),
        .key(\.kSigma, "k_sigma", above: 0, "noise multiple in the column tolerance"),
        .key(\.relativeTolerance, "relative_tolerance", in: 0...1,
             "column tolerance as a fraction of full scale; 0 uses the noise-based tolerance"),
        .key(\.localization, "localization", "how flagged columns are narrowed to cells"),
        .key(\.checkInterval, "check_interval", in: 60...604_800, "timer trigger"),
        .key(\.maxAge, "max_age", above: 0, "check when weights are older"),
        .key(\.maxTemperatureChange, "max_temperature_change", above: 0, unit: "K",
             "check when the temperature moved this far from programming"),
        .key(\.maxReads, "max_reads", atLeast: 1, "check after this many reads"),
        .key(\.errorEscalation, "error_escalation", atLeast: 1,
             "failed checks in a row before the whole array is refreshed"),
        .key(\.idleOnly, "idle_only", "check only when idle; otherwise checks preempt inference and count stalls"),
        .key(\.policy, "policy", "smallest repair scope"),
        .key(\.rowEscalation, "row_escalation", atLeast: 1, "flagged cells in a row that reprogram the whole row"),
        .key(\.arrayEscalation, "array_escalation", in: 0...1, "flagged fraction that refreshes the whole array"),
        .key(\.refreshAge, "refresh_age", above: 0, "weights older than this are refreshed whole"),
        .key(\.missingReference, "missing_reference", "repair of a degraded weight without a reference"),
        .key(\.eventLog, "event_log", in: 0...1_000_000,
             "events kept per array for reports; the oldest are dropped, the counters keep every event"),
    ]
}
