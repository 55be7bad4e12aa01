/// The trigger state of the device controller: a periodic timer, weight age, temperature change and read count.
public struct CheckTriggers: Sendable, Codable, Equatable {
    public let interval: Double
    public let maxAge: Double
    public let maxTemperatureChange: Double
    public let maxReads: Int
    /// When the timer fires next.
    public private(set) var nextTimer: Double
    /// When the weights were last verified (checked or programmed).
    public private(set) var verifiedAt: Double
    /// The temperature at the last check or programming, in kelvin.
    public private(set) var referenceTemperature: Double
    public private(set) var readsSinceCheck = 0

    public init(config: DeviceControllerConfig, start: Double, temperature: Double) {
        interval = config.checkInterval.value
        maxAge = config.maxAge.value
        maxTemperatureChange = config.maxTemperatureChange
        maxReads = config.maxReads
        nextTimer = start + interval
        verifiedAt = start
        referenceTemperature = temperature
    }

    /// Counts `count` inference reads of the array.
    public mutating func recordReads(_ count: Int) { readsSinceCheck += count }

    /// The reasons a check is due at `time` with the array at `temperature` (kelvin), empty when none.
    /// The timer fires at every multiple of the interval; a step over several multiples fires it once.
    public mutating func due(at time: Double, temperature: Double) -> [CheckReason] {
        var reasons: [CheckReason] = []
        if time >= nextTimer {
            reasons.append(.timer)
            nextTimer += interval * ((time - nextTimer) / interval + 1).rounded(.down)
        }
        if time - verifiedAt > maxAge { reasons.append(.age) }
        if abs(temperature - referenceTemperature) > maxTemperatureChange { reasons.append(.temperature) }
        if readsSinceCheck > maxReads { reasons.append(.reads) }
        return reasons
    }

    /// Restarts the age, temperature and read triggers after a check at `time`.
    public mutating func checked(at time: Double, temperature: Double) {
        verifiedAt = time
        referenceTemperature = temperature
        readsSinceCheck = 0
    }
}
