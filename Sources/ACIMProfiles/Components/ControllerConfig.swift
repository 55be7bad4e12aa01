import ACIMCore

/// Which weights the digital weight store keeps a reference for (MECHANISMS.md section 2.2).
public enum ReferenceCoverage: String, Codable, Sendable, CaseIterable {
    case all
    /// The `coverage_fraction` of weights with the largest magnitude.
    case topMagnitude = "top_magnitude"
}

/// How a flagged column is narrowed down to cells (MECHANISMS.md section 2.5, tier B).
public enum Localization: String, Codable, Sendable, CaseIterable {
    case readVerify = "read_verify"
    case bisection
}

/// What is reprogrammed once degradation is found (MECHANISMS.md section 2.6).
public enum ReprogramPolicy: String, Codable, Sendable, CaseIterable {
    case perCell = "per_cell"
    case perColumn = "per_column"
    case perRow = "per_row"
    case perArray = "per_array"
}

/// What the controller does for a weight without a reference.
public enum MissingReferencePolicy: String, Codable, Sendable, CaseIterable {
    case askHost = "ask_host"
    case leave
    case null
}

/// The device controller: digital weight store, write-verify programming, degradation checks and
/// reprogramming policy (profile section `controller`, MECHANISMS.md section 2).
public struct ControllerConfig: ComponentConfiguration {
    public var coverage: ReferenceCoverage = .all
    /// With `top_magnitude`: the fraction of weights covered.
    public var coverageFraction: Double = 1
    /// Most significant bits of each weight kept as its reference.
    public var referenceBits: Int = 8
    /// Periodic check timer.
    public var checkInterval = Quantity<Duration>(3600)
    /// Check an array once its cells are older than this.
    public var maxAge = Quantity<Duration>(86_400)
    /// Check when the temperature moved more than this many kelvin since programming.
    public var maxTemperatureChange: Double = 10
    /// Check after this many reads since the last check.
    public var readsPerCheck: Int = 1_000_000
    /// Column tolerance in standard deviations of the read noise.
    public var toleranceSigma: Double = 4
    public var localization: Localization = .readVerify
    public var policy: ReprogramPolicy = .perCell
    /// Refresh the whole array when more than this fraction of its cells is flagged.
    public var arrayRefreshFraction: Double = 0.05
    /// Refresh the whole array once it is older than this.
    public var refreshAge = Quantity<Duration>(604_800)
    /// Write-verify iterations before a cell is declared stuck.
    public var maxPulses: Int = 8
    /// Write-verify stops within this many weight LSBs of the target.
    public var programTolerance: Double = 0.5
    /// Duration of one program pulse.
    public var pulseTime = Quantity<Duration>(1e-6)
    public var missingReference: MissingReferencePolicy = .askHost

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case coverage
        case coverageFraction = "coverage_fraction"
        case referenceBits = "reference_bits"
        case checkInterval = "check_interval"
        case maxAge = "max_age"
        case maxTemperatureChange = "max_temperature_change"
        case readsPerCheck = "reads_per_check"
        case toleranceSigma = "tolerance_sigma"
        case localization, policy
        case arrayRefreshFraction = "array_refresh_fraction"
        case refreshAge = "refresh_age"
        case maxPulses = "max_pulses"
        case programTolerance = "program_tolerance"
        case pulseTime = "pulse_time"
        case missingReference = "missing_reference"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ControllerConfig()
        coverage = try c.value(.coverage, default: d.coverage)
        coverageFraction = try c.value(.coverageFraction, default: d.coverageFraction)
        referenceBits = try c.value(.referenceBits, default: d.referenceBits)
        checkInterval = try c.value(.checkInterval, default: d.checkInterval)
        maxAge = try c.value(.maxAge, default: d.maxAge)
        maxTemperatureChange = try c.value(.maxTemperatureChange, default: d.maxTemperatureChange)
        readsPerCheck = try c.value(.readsPerCheck, default: d.readsPerCheck)
        toleranceSigma = try c.value(.toleranceSigma, default: d.toleranceSigma)
        localization = try c.value(.localization, default: d.localization)
        policy = try c.value(.policy, default: d.policy)
        arrayRefreshFraction = try c.value(.arrayRefreshFraction, default: d.arrayRefreshFraction)
        refreshAge = try c.value(.refreshAge, default: d.refreshAge)
        maxPulses = try c.value(.maxPulses, default: d.maxPulses)
        programTolerance = try c.value(.programTolerance, default: d.programTolerance)
        pulseTime = try c.value(.pulseTime, default: d.pulseTime)
        missingReference = try c.value(.missingReference, default: d.missingReference)
    }

    public static let fields: [ConfigField] = [
        ConfigField("coverage", "all | top_magnitude", default: "all", "weights with a reference in the digital weight store"),
        ConfigField("coverage_fraction", "number", default: "1", allowed: "0...1",
                    "with top_magnitude: fraction of weights covered, largest magnitudes first"),
        ConfigField("reference_bits", "integer", default: "8", allowed: "1...array.weight_bits",
                    "most significant bits of each weight kept as its reference"),
        ConfigField("check_interval", "quantity (s)", default: "1h", allowed: "1min...1w", "periodic check timer"),
        ConfigField("max_age", "quantity (s)", default: "1d", allowed: "> 0", "check arrays whose cells are older than this"),
        ConfigField("max_temperature_change", "number (K)", default: "10", allowed: "> 0",
                    "check when the temperature moved more than this since programming"),
        ConfigField("reads_per_check", "integer", default: "1000000", allowed: ">= 1", "check after this many reads"),
        ConfigField("tolerance_sigma", "number", default: "4", allowed: "1...10",
                    "column tolerance in standard deviations of the read noise"),
        ConfigField("localization", "read_verify | bisection", default: "read_verify",
                    "how a flagged column is narrowed down to cells"),
        ConfigField("policy", "per_cell | per_column | per_row | per_array", default: "per_cell",
                    "what is reprogrammed once degradation is found"),
        ConfigField("array_refresh_fraction", "number", default: "0.05", allowed: "0...1",
                    "refresh the whole array above this flagged fraction"),
        ConfigField("refresh_age", "quantity (s)", default: "1w", allowed: ">= max_age", "refresh the whole array at this age"),
        ConfigField("max_pulses", "integer", default: "8", allowed: "1...1000", "write-verify iterations before a cell is stuck"),
        ConfigField("program_tolerance", "number", default: "0.5", allowed: "(0, 16]", "write-verify target window in weight LSBs"),
        ConfigField("pulse_time", "quantity (s)", default: "1us", allowed: "> 0", "duration of one program pulse"),
        ConfigField("missing_reference", "ask_host | leave | null", default: "ask_host",
                    "action for a degraded weight without a reference"),
    ]

    public func validate() -> [ConfigIssue] {
        var v = IssueCollector()
        v.check(coverageFraction, in: 0...1, "coverage_fraction")
        v.check(referenceBits, in: 1...16, "reference_bits")
        v.require((60...604_800).contains(checkInterval.value), "check_interval",
                  "expected a time in 1min...1w, got \(checkInterval)")
        v.require(maxAge.value > 0 && maxAge.value.isFinite, "max_age", "expected a time > 0, got \(maxAge)")
        v.require(maxTemperatureChange > 0 && maxTemperatureChange.isFinite, "max_temperature_change",
                  "expected a temperature change > 0 K, got \(maxTemperatureChange)")
        v.require(readsPerCheck >= 1, "reads_per_check", "expected at least 1 read, got \(readsPerCheck)")
        v.check(toleranceSigma, in: 1...10, "tolerance_sigma")
        v.check(arrayRefreshFraction, in: 0...1, "array_refresh_fraction")
        v.require(refreshAge.value >= maxAge.value && refreshAge.value.isFinite, "refresh_age",
                  "refresh_age (\(refreshAge)) must not be shorter than max_age (\(maxAge))")
        v.check(maxPulses, in: 1...1000, "max_pulses")
        v.require(programTolerance > 0 && programTolerance <= 16, "program_tolerance",
                  "expected a number in (0, 16], got \(programTolerance)")
        v.require(pulseTime.value > 0 && pulseTime.value.isFinite, "pulse_time", "expected a time > 0, got \(pulseTime)")
        return v.issues
    }
}
