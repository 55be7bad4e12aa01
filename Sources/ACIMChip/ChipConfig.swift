import ACIMCore

/// The shape of the on-chip network.
public enum NoCTopology: String, ConfigEnumeration {
    /// A 2-D mesh with XY routing; hops are Manhattan distances.
    case mesh
    /// A bidirectional ring; hops are ring distances.
    case ring
}

/// The on-chip network between tiles (profile section `chip.noc`).
public struct NoCConfig: ComponentConfiguration {
    public var topology: NoCTopology = .mesh
    /// Bytes a link carries per cycle.
    public var linkWidth: Int = 32
    /// Cycles per hop.
    public var hopLatency: Int = 2
    /// Cycles to set up one DMA descriptor.
    public var dmaSetup: Int = 8

    public init() {}

    public static let keys: [ConfigKey<Self>] = [
        .key(\.topology, "topology", "2-D mesh with XY routing, or a bidirectional ring"),
        .key(\.linkWidth, "link_width", in: 1...4096, "bytes per cycle of one link"),
        .key(\.hopLatency, "hop_latency", in: 0...1000, "cycles per hop"),
        .key(\.dmaSetup, "dma_setup", in: 0...10000, "cycles to set up one DMA descriptor"),
    ]
}

/// The chip: tiles placed on a mesh, the network between them, and off-chip memory (profile section `chip`).
public struct ChipConfig: ComponentConfiguration {
    /// Tiles (cores) on the chip.
    public var tiles: Int = 16
    /// The most tiles a chip may have.
    public static let maximumTiles = 4096
    /// Mesh rows and columns the tiles are placed on (row-major).
    public var meshRows: Int = 4
    public var meshCols: Int = 4
    public var noc = NoCConfig()
    /// Bytes per cycle between the chip and DRAM or a global buffer.
    public var dramBandwidth: Int = 16
    /// Cycles of one DRAM access before data flows.
    public var dramLatency: Int = 100

    public init() {}

    public static let keys: [ConfigKey<Self>] = [
        .key(\.tiles, "tiles", in: 1...ChipConfig.maximumTiles, rule: "<= mesh_rows x mesh_cols", "tiles (cores) on the chip"),
        .key(\.meshRows, "mesh_rows", in: 1...256, "rows of the tile mesh"),
        .key(\.meshCols, "mesh_cols", in: 1...256, "columns of the tile mesh"),
        .section(\.noc, "noc", "on-chip network"),
        .key(\.dramBandwidth, "dram_bandwidth", in: 1...4096, "bytes per cycle to DRAM or a global buffer"),
        .key(\.dramLatency, "dram_latency", in: 0...100_000, "cycles before a DRAM transfer flows"),
    ]

    public func combinationIssues(keysValid: Bool) -> [ConfigIssue] {
        var v = IssueCollector()
        if keysValid, noc.topology == .mesh, meshRows * meshCols < tiles {
            v.add(["tiles"], "\(tiles) tiles do not fit a \(meshRows)x\(meshCols) mesh")
        }
        return v.issues
    }
}
