import ACIMCore
import Foundation

/// How the digital periphery compensates the mean conductance drift (aihwkit's global drift
/// compensation; docs/devices.md).
public enum DriftCompensation: String, ConfigEnumeration {
    case none
    /// One factor per array: `mean|W_ref| / mean|W(t)|`.
    case global
    /// One factor per weight column.
    case perColumn = "per_column"
}

/// The cell device (profile section `device`): conductance range, device model and its parameters,
/// per-read noise, drift compensation and aging.
public struct CellDeviceConfig: ComponentConfiguration {
    public var model: DeviceModelKind = .ideal
    public var gMin = Quantity<Conductance>(0)
    public var gMax = Quantity<Conductance>(25e-6)
    /// Standard deviation of the programmed conductance around its target (ideal model).
    public var programmingNoise = Quantity<Conductance>(0)
    /// Standard deviation of the conductance seen by one read, independent per read.
    public var readNoise = Quantity<Conductance>(0)
    /// Multipliers of the model's programming noise, drift exponent and accumulated read noise.
    public var programmingNoiseScale = 1.0
    public var driftScale = 1.0
    public var readNoiseScale = 1.0
    /// First read after programming and 1/f integration width; 0 takes the model's value.
    public var t0 = Quantity<ACIMCore.Duration>(0)
    public var tRead = Quantity<ACIMCore.Duration>(0)
    /// Devices per weight of the HERMES fit (1 or 2).
    public var hermesDevices = 2
    /// Acceptance range in percent of the ReRAM CMO programming fit (0.2 or 2).
    public var reramAcceptance = 0.2
    public var driftCompensation: DriftCompensation = .none
    public var aging = CellAgingConfig()

    public init() {}

    public static let keys: [ConfigKey<Self>] = [
        .key(\.model, "model", "device model: programming noise, drift and 1/f read noise"),
        .key(\.gMin, "g_min", atLeast: 0, "conductance of level 0"),
        .key(\.gMax, "g_max", above: 0, rule: "> g_min", "conductance of the top level"),
        .key(\.programmingNoise, "programming_noise", atLeast: 0, "std of the programmed conductance (ideal model)"),
        .key(\.readNoise, "read_noise", atLeast: 0, "std of one read of a cell, independent per read"),
        .key(\.programmingNoiseScale, "programming_noise_scale", atLeast: 0, "model programming noise multiplier"),
        .key(\.driftScale, "drift_scale", atLeast: 0, "drift exponent multiplier"),
        .key(\.readNoiseScale, "read_noise_scale", atLeast: 0, "accumulated 1/f read noise multiplier"),
        .key(\.t0, "t0", atLeast: 0, "first read after programming; 0: the model's (20 s PCM, 300 s HERMES)"),
        .key(\.tRead, "t_read", atLeast: 0, "1/f integration width; 0: the model's"),
        .key(\.hermesDevices, "hermes_devices", in: 1...2, "devices per weight of the HERMES fit"),
        .key(\.reramAcceptance, "reram_acceptance", oneOf: [0.2, 2],
             "acceptance range (%) of the ReRAM CMO programming fit"),
        .key(\.driftCompensation, "drift_compensation",
             "digital drift compensation of the outputs (aihwkit GDC, exact reference)"),
        .section(\.aging, "aging", "retention, read disturb, stuck cells, endurance, temperature"),
    ]

    public func combinationIssues(keysValid: Bool) -> [ConfigIssue] {
        var v = IssueCollector()
        v.require(!keysValid || gMax > gMin, "g_max", "expected a conductance above g_min (\(gMin)), got \(gMax)")
        return v.issues
    }
}

/// Degradation beyond the device model (docs/devices.md, aging); every effect is off at its default.
public struct CellAgingConfig: ComponentConfiguration {
    /// Charge-loss time constant towards `g_min` at the reference temperature; 0: no retention loss.
    public var retentionTime = Quantity<ACIMCore.Duration>(0)
    /// Arrhenius activation energy, eV.
    public var activationEnergy = 1.0
    public var referenceTemperature = Quantity<Temperature>(300)
    /// Mean and std of the conductance each read adds, as fractions of `g_max - g_min`.
    public var readDisturb = 0.0
    public var readDisturbStd = 0.0
    /// Probability that a program operation leaves a cell stuck, growing as `1 + writes / stuck_growth`.
    public var stuckProbability = 0.0
    public var stuckGrowth = 1e5
    /// Writes a cell survives; later writes leave it stuck. 0: unlimited.
    public var endurance = 0
    /// Relative read-out change per kelvin away from the programming temperature.
    public var temperatureCoefficient = 0.0

    public init() {}

    public static let keys: [ConfigKey<Self>] = [
        .key(\.retentionTime, "retention_time", atLeast: 0,
             "charge-loss time constant at the reference temperature; 0: off"),
        .key(\.activationEnergy, "activation_energy", above: 0, unit: "eV", "Arrhenius activation energy"),
        .key(\.referenceTemperature, "reference_temperature", above: 0, "temperature of retention_time"),
        .key(\.readDisturb, "read_disturb", atLeast: 0,
             "mean conductance added per read, fraction of g_max - g_min (typical: 1e-4)"),
        .key(\.readDisturbStd, "read_disturb_std", atLeast: 0, "its std per read (typical: 5e-5)"),
        .key(\.stuckProbability, "stuck_probability", in: 0...1, "probability a write sticks a cell (typical: 1e-6)"),
        .key(\.stuckGrowth, "stuck_growth", above: 0, "writes that double the stuck probability"),
        .key(\.endurance, "endurance", atLeast: 0, "writes before a cell sticks; 0: unlimited"),
        .key(\.temperatureCoefficient, "temperature_coefficient", unit: "1/K",
             "read-out change per kelvin from the programming temperature (typical: -0.002)"),
    ]

    /// True when any aging effect is on.
    public var isActive: Bool {
        retentionTime.value > 0 || readDisturb > 0 || readDisturbStd > 0 || temperatureCoefficient != 0
    }

    /// Boltzmann's constant in eV/K.
    static let boltzmann = 8.617333262e-5

    /// The fraction of the conductance above `g_min` left after `elapsed` seconds at `temperature` K:
    /// `exp(-elapsed / tau(T))`, `tau(T) = tau_ref exp(Ea / k (1/T - 1/T_ref))`.
    public func retention(elapsed: Double, temperature: Double) -> Double {
        guard retentionTime.value > 0, elapsed > 0 else { return 1 }
        let tau = retentionTime.value
            * Foundation.exp(activationEnergy / CellAgingConfig.boltzmann * (1 / temperature - 1 / referenceTemperature.value))
        return Foundation.exp(-elapsed / tau)
    }

    /// The probability that a write sticks a cell that has seen `writes` writes.
    public func stuckProbability(writes: UInt32) -> Double {
        stuckProbability * (1 + Double(writes) / stuckGrowth)
    }

    /// The read-out factor at `temperature` for a cell programmed at `programmedAt` K.
    public func readoutFactor(temperature: Double, programmedAt: Double) -> Double {
        1 + temperatureCoefficient * (temperature - programmedAt)
    }
}
