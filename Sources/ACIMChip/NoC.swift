import ACIMCore

/// The on-chip network between tiles: its topology, the route a transfer takes, and what a DMA transfer
/// costs in cycles and energy.
///
/// A mesh routes XY (along the mesh row first, then along the column) through a router at every mesh
/// position; a ring routes the shorter way round (clockwise on a tie). Links are directed and carry
/// `link_width` bytes per cycle. A descriptor holds its source tile's send port, its destination tile's
/// receive port and every link of its route for its whole duration (`dma_setup` + hops x `hop_latency` +
/// the bytes at the link width), so a link never carries more than its width in a cycle; a tile runs
/// `dma_ports` descriptors per direction at once. A copy within one tile moves through the tile memory's
/// banks instead of a link.
public struct NoC: Sendable, Equatable {
    /// A directed link between two neighbouring routers (mesh positions, or ring positions).
    public struct Link: Hashable, Comparable, Sendable, CustomStringConvertible {
        public let from: Int
        public let to: Int

        public init(from: Int, to: Int) {
            self.from = from
            self.to = to
        }

        public static func < (a: Link, b: Link) -> Bool { (a.from, a.to) < (b.from, b.to) }
        public var description: String { "\(from)->\(to)" }
    }

    public let config: ChipConfig
    /// Descriptors per tile and direction.
    public let ports: Int
    /// Bytes per cycle the tile memory's banks move (`memory_banks x bank_width`).
    public let memoryBandwidth: Int
    public let energy: ChipEnergy

    public init(chip: ChipConfig, tile: TileConfig, energy: ChipEnergy) {
        config = chip
        ports = tile.dmaPorts
        memoryBandwidth = tile.memoryBanks * tile.bankWidth
        self.energy = energy
    }

    /// The network of `chip`.
    public init(_ chip: Chip) { self.init(chip: chip.config, tile: chip.tile, energy: chip.energy) }

    public var tiles: Int { config.tiles }

    /// Hops from tile `a` to tile `b`: Manhattan distance on the mesh, ring distance on the ring.
    public func hops(from a: Int, to b: Int) -> Int { route(from: a, to: b).count }

    /// The links a transfer from tile `a` to tile `b` crosses, in order (empty within one tile).
    public func route(from a: Int, to b: Int) -> [Link] {
        guard a != b else { return [] }
        var links: [Link] = []
        switch config.noc.topology {
        case .mesh:
            let columns = config.meshCols
            var (row, column) = (a / columns, a % columns)
            let (toRow, toColumn) = (b / columns, b % columns)
            while column != toColumn {
                let next = column + (toColumn > column ? 1 : -1)
                links.append(Link(from: row * columns + column, to: row * columns + next))
                column = next
            }
            while row != toRow {
                let next = row + (toRow > row ? 1 : -1)
                links.append(Link(from: row * columns + column, to: next * columns + column))
                row = next
            }
        case .ring:
            let n = config.tiles
            let clockwise = (b - a + n) % n
            let step = clockwise <= n - clockwise ? 1 : n - 1
            var at = a
            while at != b {
                let next = (at + step) % n
                links.append(Link(from: at, to: next))
                at = next
            }
        }
        return links
    }

    /// Cycles of one descriptor moving `bytes` from tile `a` to tile `b`: the setup, the hops, and the
    /// bytes at the link width (within one tile, at the tile memory's bandwidth).
    public func transferCycles(bytes: Int, from a: Int, to b: Int) -> Int {
        let hops = hops(from: a, to: b)
        let streaming = hops == 0 ? ceilDiv(bytes, memoryBandwidth) : ceilDiv(bytes, config.noc.linkWidth)
        return config.noc.dmaSetup + hops * config.noc.hopLatency + streaming
    }

    /// Energy of one descriptor moving `bytes` over `hops` hops: the bytes read from the source tile memory
    /// and written to the destination's, every byte over every hop, and the descriptor, by component.
    public func transferEnergy(bytes: Int, hops: Int) -> (tileMemory: Double, noc: Double) {
        let b = Double(bytes)
        return (b * (energy.sramRead.value + energy.sramWrite.value),
                b * Double(hops) * energy.nocHop.value + energy.dmaDescriptor.value)
    }

    /// Cycles to move `bytes` to or from DRAM: the access latency, then the bytes at the DRAM bandwidth.
    public func dramCycles(bytes: Int) -> Int { config.dramLatency + ceilDiv(bytes, config.dramBandwidth) }
}

/// `a / b` rounded up, for non-negative `a` and positive `b`.
public func ceilDiv(_ a: Int, _ b: Int) -> Int { (a + b - 1) / b }
