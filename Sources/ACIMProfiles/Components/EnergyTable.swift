import ACIMArray
import ACIMCore

/// Energy per event of the tiles, the network and DRAM (profile section `energy.chip`; the controller's program
/// and verify energies are in its own section).
public struct ChipEnergy: ComponentConfiguration {
    public var sramRead = Quantity<Energy>(1e-12)
    public var sramWrite = Quantity<Energy>(1e-12)
    public var digitalOp = Quantity<Energy>(0.1e-12)
    public var nocHop = Quantity<Energy>(0.5e-12)
    public var dmaDescriptor = Quantity<Energy>(20e-12)
    public var dram = Quantity<Energy>(40e-12)

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case sramRead = "sram_read"
        case sramWrite = "sram_write"
        case digitalOp = "digital_op"
        case nocHop = "noc_hop"
        case dmaDescriptor = "dma_descriptor"
        case dram
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ChipEnergy()
        sramRead = try c.value(.sramRead, default: d.sramRead)
        sramWrite = try c.value(.sramWrite, default: d.sramWrite)
        digitalOp = try c.value(.digitalOp, default: d.digitalOp)
        nocHop = try c.value(.nocHop, default: d.nocHop)
        dmaDescriptor = try c.value(.dmaDescriptor, default: d.dmaDescriptor)
        dram = try c.value(.dram, default: d.dram)
    }

    public static let fields: [ConfigField] = [
        ConfigField("sram_read", "quantity (J)", default: "1pJ", allowed: ">= 0", "one byte read from tile memory"),
        ConfigField("sram_write", "quantity (J)", default: "1pJ", allowed: ">= 0", "one byte written to tile memory"),
        ConfigField("digital_op", "quantity (J)", default: "100fJ", allowed: ">= 0", "one element operation of the digital unit"),
        ConfigField("noc_hop", "quantity (J)", default: "500fJ", allowed: ">= 0", "one byte over one NoC hop"),
        ConfigField("dma_descriptor", "quantity (J)", default: "20pJ", allowed: ">= 0", "one DMA descriptor"),
        ConfigField("dram", "quantity (J)", default: "40pJ", allowed: ">= 0", "one byte to or from DRAM"),
    ]

    public func validate() -> [ConfigIssue] {
        var v = IssueCollector()
        let all: [(CodingKeys, Quantity<Energy>)] = [
            (.sramRead, sramRead), (.sramWrite, sramWrite), (.digitalOp, digitalOp), (.nocHop, nocHop),
            (.dmaDescriptor, dmaDescriptor), (.dram, dram),
        ]
        for (key, energy) in all {
            v.require(energy.value >= 0 && energy.value.isFinite, key.rawValue, "expected an energy >= 0, got \(energy)")
        }
        return v.issues
    }
}

/// The `energy` section: the crossbar's events under `array`, the rest of the chip under `chip`.
public struct EnergyTable: ComponentConfiguration {
    public var array = CrossbarEnergy()
    public var chip = ChipEnergy()

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case array, chip
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        array = try c.value(.array, default: CrossbarEnergy())
        chip = try c.value(.chip, default: ChipEnergy())
    }

    public static let fields: [ConfigField] = [
        CrossbarEnergy.section("array", "energy per crossbar event"),
        ChipEnergy.section("chip", "energy per event outside the crossbars"),
    ]

    public func validate() -> [ConfigIssue] {
        var v = IssueCollector()
        v.nest("array", array.validate())
        v.nest("chip", chip.validate())
        return v.issues
    }
}
