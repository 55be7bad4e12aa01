import ACIMArray
import ACIMChip
import ACIMCore
import ACIMNetwork

/// Where a network's weighted layers sit on a chip: for every conv2d and linear layer, its weight matrix
/// partitioned over arrays, and the tiles those arrays are on.
public struct Placement: Sendable, Equatable {
    /// One weighted layer on the chip.
    public struct Layer: Sendable, Equatable {
        public let name: String
        /// The unrolled weight matrix: `rows` inputs (the im2col patch, or the input features) by
        /// `columns` outputs (filters), partitioned over arrays.
        public let matrix: PartitionedMatrix
        /// The tiles holding its arrays, in order of first use.
        public let tiles: [Int]
        /// Cells holding its weights (with their offset columns) over the cells of its arrays.
        public let utilization: Double

        /// The arrays holding its blocks.
        public var arrays: [ArrayID] { matrix.blocks.map(\.array) }
    }

    /// How layers are laid onto tiles.
    public enum Policy: String, Sendable, CaseIterable {
        /// Every tile's slots filled before the next tile: the fewest tiles.
        case packed
        /// Every layer starts on a tile of its own (consecutive layers on consecutive tiles of the snake), so
        /// layers pipeline across tiles with their own digital units and tile memories, as ISAAC and PUMA
        /// place them.
        case spread
    }

    /// The weighted layers in network order.
    public let layers: [Layer]
    public let policy: Policy
    /// Array slots of the chip.
    public let arraysAvailable: Int

    /// Arrays holding weights.
    public var arraysUsed: Int { layers.reduce(0) { $0 + $1.matrix.blocks.count } }

    /// Weights placed (every layer's rows x columns).
    public var weights: Int { layers.reduce(0) { $0 + $1.matrix.rows * $1.matrix.columns } }

    /// Distinct tiles holding weights.
    public var tilesUsed: Int { Set(layers.flatMap(\.tiles)).count }

    /// The layer named `name`.
    public func layer(_ name: String) -> Layer? { layers.first { $0.name == name } }

    /// Every array in use, in placement order.
    public var arrays: [ArrayID] { layers.flatMap(\.arrays) }

    /// Places the weighted layers of `network` on arrays of `chip`, in network order along a snake of the
    /// tile mesh (left to right on even mesh rows, right to left on odd ones): `packed` fills each tile's
    /// slots before the next tile, `spread` starts every layer on a fresh tile. Consecutive layers land on
    /// the same or neighbouring tiles, so the data path between them is short. Rows and columns of a partly
    /// filled array stay unused (statically disabled, not input sparsity). Throws, with the count per
    /// layer, when the network needs more arrays (or, spread, more tiles) than the chip has.
    public init(_ network: Network, on chip: Chip, policy: Policy = .packed) throws {
        let layout = CrossbarLayout(config: chip.crossbar)
        guard layout.mode == .and else {
            throw ACIMError.inconsistentParameters(
                "the profile's arrays hold binary (XNOR) weights; networks map onto multi-bit (AND mode) arrays only")
        }
        let shapes = network.unrolledShapes
        let needed = shapes.map { PartitionedMatrix.arrayCount(rows: $0.rows, columns: $0.columns, groups: $0.groups, layout: layout) }
        let total = needed.reduce(0, +)
        let available = chip.config.tiles * chip.tile.arrays
        guard total <= available else {
            let largest = zip(shapes, needed).sorted { $0.1 > $1.1 }.prefix(4).map { "\($0.0.name): \($0.1)" }
            let more = shapes.count > 4 ? ", ..." : ""
            throw ACIMError.resourceLimit(
                "the network needs \(total) arrays (\(largest.joined(separator: ", "))\(more)); the chip has \(available) (\(chip.config.tiles) tiles x \(chip.tile.arrays))")
        }
        let perTile = chip.tile.arrays
        let tilesNeeded = needed.reduce(0) { $0 + ($1 + perTile - 1) / perTile }
        if policy == .spread, tilesNeeded > chip.config.tiles {
            throw ACIMError.resourceLimit(
                "spread placement gives every layer its own tiles: \(tilesNeeded) tiles; the chip has \(chip.config.tiles) (use packed)")
        }
        let slots = Placement.snake(chip).flatMap { tile in (0..<perTile).map { ArrayID(tile: tile, slot: $0) } }
        var next = 0
        var layers: [Layer] = []
        let cellsPerArray = Double(chip.crossbar.deviceCells)
        for (shape, count) in zip(shapes, needed) {
            if policy == .spread { next = (next + perTile - 1) / perTile * perTile }
            let arrays = Array(slots[next..<(next + count)])
            next += count
            let matrix = try PartitionedMatrix(rows: shape.rows, columns: shape.columns, groups: shape.groups, layout: layout, arrays: arrays)
            let used = matrix.blocks.reduce(0.0) { total, block in
                total + Double(block.rows.count * layout.wordLinesPerRow
                               * (block.columns.count * layout.columnsPerWeight + layout.offsetColumns))
            }
            var tiles: [Int] = []
            for id in arrays where !tiles.contains(id.tile) { tiles.append(id.tile) }
            layers.append(Layer(name: shape.name, matrix: matrix, tiles: tiles,
                                utilization: used / (cellsPerArray * Double(count))))
        }
        self.layers = layers
        self.arraysAvailable = available
        self.policy = policy
    }

    /// The order layers fill tiles in: a snake over the mesh (row-major tile numbering), or ring order.
    public static func snake(_ chip: Chip) -> [Int] {
        guard chip.config.noc.topology == .mesh else { return Array(0..<chip.config.tiles) }
        return (0..<chip.config.meshRows).flatMap { row -> [Int] in
            let columns = (0..<chip.config.meshCols).map { row * chip.config.meshCols + $0 }
            return (row % 2 == 0 ? columns : columns.reversed()).filter { $0 < chip.config.tiles }
        }
    }
}

extension Network {
    /// The weight matrix every conv2d and linear node unrolls to, in network order: its rows are the inputs
    /// of one output (the im2col patch `in x kh x kw`, or the input features) and its columns the outputs; a
    /// grouped convolution's is block-diagonal with `groups` blocks (`Network.unrolledWeight`).
    public var unrolledShapes: [(name: String, rows: Int, columns: Int, groups: Int)] {
        nodes.compactMap { node in
            switch node.operation {
            case let .conv2d(conv): (node.name, shapes[node.inputs[0]]![0] * conv.kernel[0] * conv.kernel[1], conv.outChannels, conv.groups)
            case let .linear(out, _): (node.name, shapes[node.inputs[0]]![0], out, 1)
            default: nil
            }
        }
    }
}
