import ACIMCore

/// Process and operating point of the chip (profile section `technology`).
public struct TechnologyConfig: ComponentConfiguration {
    /// The chip clock every cycle count refers to.
    public var clock = Quantity<Frequency>(1e9)
    /// The process node (feature size F).
    public var node = Quantity<Length>(22e-9)
    /// The nominal operating temperature, at which cells are programmed.
    public var temperature = Quantity<Temperature>(300)

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case clock, node, temperature
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TechnologyConfig()
        clock = try c.value(.clock, default: d.clock)
        node = try c.value(.node, default: d.node)
        temperature = try c.value(.temperature, default: d.temperature)
    }

    public static let fields: [ConfigField] = [
        ConfigField("clock", "quantity (Hz)", default: "1GHz", allowed: "1MHz...10GHz", "chip clock; all cycle counts refer to it"),
        ConfigField("node", "quantity (m)", default: "22nm", allowed: "1nm...1um", "process node (feature size F)"),
        ConfigField("temperature", "quantity (K)", default: "300K", allowed: "200K...450K",
                    "nominal operating temperature, at which cells are programmed"),
    ]

    public func validate() -> [ConfigIssue] {
        var v = IssueCollector()
        v.require((1e6...1e10).contains(clock.value), "clock", "expected a frequency in 1MHz...10GHz, got \(clock)")
        v.require((1e-9...1e-6).contains(node.value), "node", "expected a length in 1nm...1um, got \(node)")
        v.require((200...450).contains(temperature.value), "temperature",
                  "expected a temperature in 200K...450K, got \(temperature)")
        return v.issues
    }
}
