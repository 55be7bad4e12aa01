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

    public static let keys: [ConfigKey<Self>] = [
        .key(\.sramRead, "sram_read", atLeast: 0, "one byte read from tile memory"),
        .key(\.sramWrite, "sram_write", atLeast: 0, "one byte written to tile memory"),
        .key(\.digitalOp, "digital_op", atLeast: 0, "one element operation of the digital unit"),
        .key(\.nocHop, "noc_hop", atLeast: 0, "one byte over one NoC hop"),
        .key(\.dmaDescriptor, "dma_descriptor", atLeast: 0, "one DMA descriptor"),
        .key(\.dram, "dram", atLeast: 0, "one byte to or from DRAM"),
    ]
}

/// The `energy` section: the crossbar's events under `array`, the rest of the chip under `chip`.
public struct EnergyTable: ComponentConfiguration {
    public var array = CrossbarEnergy()
    public var chip = ChipEnergy()

    public init() {}

    public static let keys: [ConfigKey<Self>] = [
        .section(\.array, "array", "energy per crossbar event"),
        .section(\.chip, "chip", "energy per event outside the crossbars"),
    ]
}
