import ACIMCore
import Foundation

/// How the digital periphery compensates the mean conductance drift (aihwkit's global drift
/// compensation; docs/devices.md).
public enum DriftCompensation: String, Codable, Sendable, CaseIterable {
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

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model
        case gMin = "g_min"
        case gMax = "g_max"
        case programmingNoise = "programming_noise"
        case readNoise = "read_noise"
        case programmingNoiseScale = "programming_noise_scale"
        case driftScale = "drift_scale"
        case readNoiseScale = "read_noise_scale"
        case t0 = "t0"
        case tRead = "t_read"
        case hermesDevices = "hermes_devices"
        case reramAcceptance = "reram_acceptance"
        case driftCompensation = "drift_compensation"
        case aging
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CellDeviceConfig()
        model = try c.value(.model, default: d.model)
        gMin = try c.value(.gMin, default: d.gMin)
        gMax = try c.value(.gMax, default: d.gMax)
        programmingNoise = try c.value(.programmingNoise, default: d.programmingNoise)
        readNoise = try c.value(.readNoise, default: d.readNoise)
        programmingNoiseScale = try c.value(.programmingNoiseScale, default: d.programmingNoiseScale)
        driftScale = try c.value(.driftScale, default: d.driftScale)
        readNoiseScale = try c.value(.readNoiseScale, default: d.readNoiseScale)
        t0 = try c.value(.t0, default: d.t0)
        tRead = try c.value(.tRead, default: d.tRead)
        hermesDevices = try c.value(.hermesDevices, default: d.hermesDevices)
        reramAcceptance = try c.value(.reramAcceptance, default: d.reramAcceptance)
        driftCompensation = try c.value(.driftCompensation, default: d.driftCompensation)
        aging = try c.value(.aging, default: d.aging)
    }

    public static let fields: [ConfigField] = [
        ConfigField("model", "ideal | pcm | hermes_pcm | state_independent | reram_cmo", default: "ideal",
                    "device model (docs/devices.md): programming noise, drift and 1/f read noise"),
        ConfigField("g_min", "quantity (S)", default: "0S", allowed: ">= 0", "conductance of level 0"),
        ConfigField("g_max", "quantity (S)", default: "25uS", allowed: "> g_min", "conductance of the top level"),
        ConfigField("programming_noise", "quantity (S)", default: "0S", allowed: ">= 0",
                    "std of the programmed conductance (ideal model)"),
        ConfigField("read_noise", "quantity (S)", default: "0S", allowed: ">= 0",
                    "std of one read of a cell, independent per read"),
        ConfigField("programming_noise_scale", "number", default: "1", allowed: ">= 0", "model programming noise multiplier"),
        ConfigField("drift_scale", "number", default: "1", allowed: ">= 0", "drift exponent multiplier"),
        ConfigField("read_noise_scale", "number", default: "1", allowed: ">= 0", "accumulated 1/f read noise multiplier"),
        ConfigField("t0", "quantity (s)", default: "0s", allowed: ">= 0",
                    "first read after programming; 0: the model's (20 s PCM, 300 s HERMES)"),
        ConfigField("t_read", "quantity (s)", default: "0s", allowed: ">= 0", "1/f integration width; 0: the model's"),
        ConfigField("hermes_devices", "integer", default: "2", allowed: "1...2", "devices per weight of the HERMES fit"),
        ConfigField("reram_acceptance", "number", default: "0.2", allowed: "0.2 or 2",
                    "acceptance range (%) of the ReRAM CMO programming fit"),
        ConfigField("drift_compensation", "none | global | per_column", default: "none",
                    "digital drift compensation of the outputs (aihwkit GDC, exact reference)"),
        CellAgingConfig.section("aging", "retention, read disturb, stuck cells, endurance, temperature"),
    ]

    public func validate() -> [ConfigIssue] {
        var v = IssueCollector()
        v.require(gMin.value >= 0 && gMin.value.isFinite, "g_min", "expected a conductance >= 0, got \(gMin)")
        v.require(gMax.value > gMin.value && gMax.value.isFinite, "g_max",
                  "expected a conductance above g_min (\(gMin)), got \(gMax)")
        v.require(programmingNoise.value >= 0, "programming_noise", "expected a conductance >= 0")
        v.require(readNoise.value >= 0, "read_noise", "expected a conductance >= 0")
        for (key, value) in [("programming_noise_scale", programmingNoiseScale), ("drift_scale", driftScale),
                             ("read_noise_scale", readNoiseScale)] {
            v.require(value >= 0 && value.isFinite, key, "expected a number >= 0, got \(value)")
        }
        v.require(t0.value >= 0, "t0", "expected a duration >= 0, got \(t0)")
        v.require(tRead.value >= 0, "t_read", "expected a duration >= 0, got \(tRead)")
        v.check(hermesDevices, in: 1...2, "hermes_devices")
        v.require(reramAcceptance == 0.2 || reramAcceptance == 2, "reram_acceptance",
                  "expected 0.2 or 2 (the fitted acceptance ranges), got \(reramAcceptance)")
        v.nest("aging", aging.validate())
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

    enum CodingKeys: String, CodingKey, CaseIterable {
        case retentionTime = "retention_time"
        case activationEnergy = "activation_energy"
        case referenceTemperature = "reference_temperature"
        case readDisturb = "read_disturb"
        case readDisturbStd = "read_disturb_std"
        case stuckProbability = "stuck_probability"
        case stuckGrowth = "stuck_growth"
        case endurance
        case temperatureCoefficient = "temperature_coefficient"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CellAgingConfig()
        retentionTime = try c.value(.retentionTime, default: d.retentionTime)
        activationEnergy = try c.value(.activationEnergy, default: d.activationEnergy)
        referenceTemperature = try c.value(.referenceTemperature, default: d.referenceTemperature)
        readDisturb = try c.value(.readDisturb, default: d.readDisturb)
        readDisturbStd = try c.value(.readDisturbStd, default: d.readDisturbStd)
        stuckProbability = try c.value(.stuckProbability, default: d.stuckProbability)
        stuckGrowth = try c.value(.stuckGrowth, default: d.stuckGrowth)
        endurance = try c.value(.endurance, default: d.endurance)
        temperatureCoefficient = try c.value(.temperatureCoefficient, default: d.temperatureCoefficient)
    }

    public static let fields: [ConfigField] = [
        ConfigField("retention_time", "quantity (s)", default: "0s", allowed: ">= 0",
                    "charge-loss time constant at the reference temperature; 0: off"),
        ConfigField("activation_energy", "number (eV)", default: "1", allowed: "> 0", "Arrhenius activation energy"),
        ConfigField("reference_temperature", "quantity (K)", default: "300K", allowed: "> 0",
                    "temperature of retention_time"),
        ConfigField("read_disturb", "number", default: "0", allowed: ">= 0",
                    "mean conductance added per read, fraction of g_max - g_min (typical: 1e-4)"),
        ConfigField("read_disturb_std", "number", default: "0", allowed: ">= 0", "its std per read (typical: 5e-5)"),
        ConfigField("stuck_probability", "number", default: "0", allowed: "0...1",
                    "probability a write sticks a cell (typical: 1e-6)"),
        ConfigField("stuck_growth", "number", default: "100000", allowed: "> 0",
                    "writes that double the stuck probability"),
        ConfigField("endurance", "integer", default: "0", allowed: ">= 0", "writes before a cell sticks; 0: unlimited"),
        ConfigField("temperature_coefficient", "number (1/K)", default: "0", allowed: "any",
                    "read-out change per kelvin from the programming temperature (typical: -0.002)"),
    ]

    public func validate() -> [ConfigIssue] {
        var v = IssueCollector()
        v.require(retentionTime.value >= 0, "retention_time", "expected a duration >= 0, got \(retentionTime)")
        v.require(activationEnergy > 0, "activation_energy", "expected a number > 0, got \(activationEnergy)")
        v.require(referenceTemperature.value > 0, "reference_temperature", "expected a temperature > 0 K")
        v.require(readDisturb >= 0, "read_disturb", "expected a number >= 0, got \(readDisturb)")
        v.require(readDisturbStd >= 0, "read_disturb_std", "expected a number >= 0, got \(readDisturbStd)")
        v.check(stuckProbability, in: 0...1, "stuck_probability")
        v.require(stuckGrowth > 0, "stuck_growth", "expected a number > 0, got \(stuckGrowth)")
        v.require(endurance >= 0, "endurance", "expected an integer >= 0, got \(endurance)")
        v.require(temperatureCoefficient.isFinite, "temperature_coefficient", "expected a finite number")
        return v.issues
    }

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
