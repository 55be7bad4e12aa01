import ACIMCore

/// One tile: its crossbars, tile memory and digital unit (profile section `tile`).
public struct TileConfig: ComponentConfiguration {
    /// Crossbars in one tile.
    public var arrays: Int = 8
    /// Tile memory (SRAM) capacity.
    public var memory = Quantity<Bytes>(262_144)
    /// Independently accessible banks of the tile memory.
    public var memoryBanks: Int = 8
    /// Bytes one bank reads or writes per cycle.
    public var bankWidth: Int = 16
    /// Element operations (ReLU, pooling, batch norm, compensation) the digital unit completes per cycle.
    public var digitalLanes: Int = 64
    /// DMA descriptors a tile can issue at once (send and receive each).
    public var dmaPorts: Int = 1

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case arrays, memory
        case memoryBanks = "memory_banks"
        case bankWidth = "bank_width"
        case digitalLanes = "digital_lanes"
        case dmaPorts = "dma_ports"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TileConfig()
        arrays = try c.value(.arrays, default: d.arrays)
        memory = try c.value(.memory, default: d.memory)
        memoryBanks = try c.value(.memoryBanks, default: d.memoryBanks)
        bankWidth = try c.value(.bankWidth, default: d.bankWidth)
        digitalLanes = try c.value(.digitalLanes, default: d.digitalLanes)
        dmaPorts = try c.value(.dmaPorts, default: d.dmaPorts)
    }

    public static let fields: [ConfigField] = [
        ConfigField("arrays", "integer", default: "8", allowed: "1...1024", "crossbars per tile"),
        ConfigField("memory", "quantity (B)", default: "256KiB", allowed: "1KiB...1GiB", "tile memory (SRAM) capacity"),
        ConfigField("memory_banks", "integer", default: "8", allowed: "1...1024, dividing memory",
                    "independently accessible banks of the tile memory"),
        ConfigField("bank_width", "integer", default: "16", allowed: "1...1024", "bytes one bank moves per cycle"),
        ConfigField("digital_lanes", "integer", default: "64", allowed: "1...65536",
                    "element operations of the digital unit per cycle (ReLU, pooling, batch norm, compensation)"),
        ConfigField("dma_ports", "integer", default: "1", allowed: "1...16", "concurrent DMA descriptors per direction"),
    ]

    public func validate() -> [ConfigIssue] {
        var v = IssueCollector()
        v.check(arrays, in: 1...1024, "arrays")
        v.require((1024...1_073_741_824).contains(memory.value) && memory.value == memory.value.rounded(),
                  "memory", "expected a whole number of bytes in 1KiB...1GiB, got \(memory)")
        v.check(memoryBanks, in: 1...1024, "memory_banks")
        v.check(bankWidth, in: 1...1024, "bank_width")
        v.check(digitalLanes, in: 1...65536, "digital_lanes")
        v.check(dmaPorts, in: 1...16, "dma_ports")
        if v.issues.isEmpty, Int(memory.value) % memoryBanks != 0 {
            v.require(false, "memory_banks", "memory_banks (\(memoryBanks)) must divide memory (\(Int(memory.value)) bytes)")
        }
        return v.issues
    }
}
