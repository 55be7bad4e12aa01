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

    public static let keys: [ConfigKey<Self>] = [
        .key(\.clock, "clock", in: 1e6...1e10, "chip clock; all cycle counts refer to it"),
        .key(\.node, "node", in: 1e-9...1e-6, "process node (feature size F)"),
        .key(\.temperature, "temperature", in: 200...450, "nominal operating temperature, at which cells are programmed"),
    ]
}
