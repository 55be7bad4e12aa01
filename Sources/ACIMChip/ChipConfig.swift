import ACIMCore

/// The shape of the on-chip network.
public enum NoCTopology: String, Codable, Sendable, CaseIterable {
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

    enum CodingKeys: String, CodingKey, CaseIterable {
        case topology
        case linkWidth = "link_width"
        case hopLatency = "hop_latency"
        case dmaSetup = "dma_setup"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = NoCConfig()
        topology = try c.value(.topology, default: d.topology)
        linkWidth = try c.value(.linkWidth, default: d.linkWidth)
        hopLatency = try c.value(.hopLatency, default: d.hopLatency)
        dmaSetup = try c.value(.dmaSetup, default: d.dmaSetup)
    }

    public static let fields: [ConfigField] = [
        ConfigField("topology", "mesh | ring", default: "mesh", "2-D mesh with XY routing, or a bidirectional ring"),
        ConfigField("link_width", "integer", default: "32", allowed: "1...4096", "bytes per cycle of one link"),
        ConfigField("hop_latency", "integer", default: "2", allowed: "0...1000", "cycles per hop"),
        ConfigField("dma_setup", "integer", default: "8", allowed: "0...10000", "cycles to set up one DMA descriptor"),
    ]

    public func validate() -> [ConfigIssue] {
        var v = IssueCollector()
        v.check(linkWidth, in: 1...4096, "link_width")
        v.check(hopLatency, in: 0...1000, "hop_latency")
        v.check(dmaSetup, in: 0...10000, "dma_setup")
        return v.issues
    }
}

/// The chip: tiles placed on a mesh, the network between them, and off-chip memory (profile section `chip`).
public struct ChipConfig: ComponentConfiguration {
    /// Tiles (cores) on the chip.
    public var tiles: Int = 16
    /// Mesh rows and columns the tiles are placed on (row-major).
    public var meshRows: Int = 4
    public var meshCols: Int = 4
    public var noc = NoCConfig()
    /// Bytes per cycle between the chip and DRAM or a global buffer.
    public var dramBandwidth: Int = 16
    /// Cycles of one DRAM access before data flows.
    public var dramLatency: Int = 100

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case tiles
        case meshRows = "mesh_rows"
        case meshCols = "mesh_cols"
        case noc
        case dramBandwidth = "dram_bandwidth"
        case dramLatency = "dram_latency"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ChipConfig()
        tiles = try c.value(.tiles, default: d.tiles)
        meshRows = try c.value(.meshRows, default: d.meshRows)
        meshCols = try c.value(.meshCols, default: d.meshCols)
        noc = try c.value(.noc, default: d.noc)
        dramBandwidth = try c.value(.dramBandwidth, default: d.dramBandwidth)
        dramLatency = try c.value(.dramLatency, default: d.dramLatency)
    }

    public static let fields: [ConfigField] = [
        ConfigField("tiles", "integer", default: "16", allowed: "1...4096", "tiles (cores) on the chip"),
        ConfigField("mesh_rows", "integer", default: "4", allowed: "1...256", "rows of the tile mesh"),
        ConfigField("mesh_cols", "integer", default: "4", allowed: "1...256, mesh_rows x mesh_cols >= tiles",
                    "columns of the tile mesh"),
        NoCConfig.section("noc", "on-chip network"),
        ConfigField("dram_bandwidth", "integer", default: "16", allowed: "1...4096",
                    "bytes per cycle to DRAM or a global buffer"),
        ConfigField("dram_latency", "integer", default: "100", allowed: "0...100000", "cycles before a DRAM transfer flows"),
    ]

    public func validate() -> [ConfigIssue] {
        var v = IssueCollector()
        v.check(tiles, in: 1...4096, "tiles")
        v.check(meshRows, in: 1...256, "mesh_rows")
        v.check(meshCols, in: 1...256, "mesh_cols")
        v.nest("noc", noc.validate())
        v.check(dramBandwidth, in: 1...4096, "dram_bandwidth")
        v.check(dramLatency, in: 0...100_000, "dram_latency")
        if v.issues.isEmpty, noc.topology == .mesh, meshRows * meshCols < tiles {
            v.require(false, "tiles", "\(tiles) tiles do not fit a \(meshRows)x\(meshCols) mesh")
        }
        return v.issues
    }
}
