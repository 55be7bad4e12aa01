import ACIMCore

/// Area per component, from which the chip area is summed (profile section `area`).
public struct AreaConfig: ComponentConfiguration {
    public var cell = Quantity<Area>(0.01e-12)
    public var adc = Quantity<Area>(3000e-12)
    public var dac = Quantity<Area>(50e-12)
    public var sramPerKiB = Quantity<Area>(1500e-12)
    public var digitalUnit = Quantity<Area>(0.05e-6)
    public var router = Quantity<Area>(0.02e-6)
    public var controller = Quantity<Area>(0.1e-6)

    public init() {}

    public static let keys: [ConfigKey<Self>] = [
        .key(\.cell, "cell", atLeast: 0, "one bit cell"),
        .key(\.adc, "adc", atLeast: 0, "one ADC at the configured bits"),
        .key(\.dac, "dac", atLeast: 0, "one word-line DAC and driver"),
        .key(\.sramPerKiB, "sram_per_kib", atLeast: 0, "one KiB of tile memory"),
        .key(\.digitalUnit, "digital_unit", atLeast: 0, "the digital unit of one tile"),
        .key(\.router, "router", atLeast: 0, "one NoC router"),
        .key(\.controller, "controller", atLeast: 0, "the device controller and its digital weight store logic"),
    ]
}
