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

    public static let keys: [ConfigKey<Self>] = [
        .key(\.arrays, "arrays", in: 1...1024, "crossbars per tile"),
        .key(\.memory, "memory", in: 1024...1_073_741_824, rule: "whole bytes", "tile memory (SRAM) capacity"),
        .key(\.memoryBanks, "memory_banks", in: 1...1024, rule: "divides memory",
             "independently accessible banks of the tile memory"),
        .key(\.bankWidth, "bank_width", in: 1...1024, "bytes one bank moves per cycle"),
        .key(\.digitalLanes, "digital_lanes", in: 1...65536,
             "element operations of the digital unit per cycle (ReLU, pooling, batch norm, compensation)"),
        .key(\.dmaPorts, "dma_ports", in: 1...16, "concurrent DMA descriptors per direction"),
    ]

    public func combinationIssues(keysValid: Bool) -> [ConfigIssue] {
        var v = IssueCollector()
        guard keysValid else { return [] }
        v.require(memory.value == memory.value.rounded(), "memory", "expected a whole number of bytes, got \(memory)")
        if v.issues.isEmpty, Int(memory.value) % memoryBanks != 0 {
            v.add(["memory_banks"], "memory_banks (\(memoryBanks)) must divide memory (\(Int(memory.value)) bytes)")
        }
        return v.issues
    }
}
