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

    enum CodingKeys: String, CodingKey, CaseIterable {
        case cell, adc, dac
        case sramPerKiB = "sram_per_kib"
        case digitalUnit = "digital_unit"
        case router, controller
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = AreaConfig()
        cell = try c.value(.cell, default: d.cell)
        adc = try c.value(.adc, default: d.adc)
        dac = try c.value(.dac, default: d.dac)
        sramPerKiB = try c.value(.sramPerKiB, default: d.sramPerKiB)
        digitalUnit = try c.value(.digitalUnit, default: d.digitalUnit)
        router = try c.value(.router, default: d.router)
        controller = try c.value(.controller, default: d.controller)
    }

    public static let fields: [ConfigField] = [
        ConfigField("cell", "quantity (m2)", default: "0.01um2", allowed: ">= 0", "one bit cell"),
        ConfigField("adc", "quantity (m2)", default: "3000um2", allowed: ">= 0", "one ADC at the configured bits"),
        ConfigField("dac", "quantity (m2)", default: "50um2", allowed: ">= 0", "one word-line DAC and driver"),
        ConfigField("sram_per_kib", "quantity (m2)", default: "1500um2", allowed: ">= 0", "one KiB of tile memory"),
        ConfigField("digital_unit", "quantity (m2)", default: "0.05mm2", allowed: ">= 0", "the digital unit of one tile"),
        ConfigField("router", "quantity (m2)", default: "0.02mm2", allowed: ">= 0", "one NoC router"),
        ConfigField("controller", "quantity (m2)", default: "0.1mm2", allowed: ">= 0",
                    "the device controller and its digital weight store logic"),
    ]

    public func validate() -> [ConfigIssue] {
        var v = IssueCollector()
        let all: [(CodingKeys, Quantity<Area>)] = [
            (.cell, cell), (.adc, adc), (.dac, dac), (.sramPerKiB, sramPerKiB), (.digitalUnit, digitalUnit),
            (.router, router), (.controller, controller),
        ]
        for (key, area) in all {
            v.require(area.value >= 0 && area.value.isFinite, key.rawValue, "expected an area >= 0, got \(area)")
        }
        return v.issues
    }
}
