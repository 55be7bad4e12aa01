import ACIMArray
import ACIMChip
import ACIMCore
import ACIMNetwork
import Foundation

/// A chip of `tiles` tiles (on a mesh `meshColumns` wide) of 4 arrays of `rows x cols` cells, 8-bit
/// differential weights in 2-bit cells, 8-bit two-pass inputs on a 1-bit DAC; ideal cells and a 12-bit ADC
/// (exact on these arrays) unless the caller changes the configuration.
func testChip(rows: Int = 64, cols: Int = 64, tiles: Int = 8, meshColumns: Int = 4,
              configure: (inout CrossbarConfig) -> Void = { _ in }) throws -> Chip {
    var crossbar = CrossbarConfig()
    crossbar.array.rows = rows
    crossbar.array.cols = cols
    crossbar.device.gMax = Quantity(25e-6)
    crossbar.periphery.adc.bits = 12
    configure(&crossbar)
    var tile = TileConfig()
    tile.arrays = 4
    var chip = ChipConfig()
    chip.tiles = tiles
    chip.meshCols = meshColumns
    chip.meshRows = (tiles + meshColumns - 1) / meshColumns
    return try Chip(technology: TechnologyConfig(), crossbar: crossbar, tile: tile, chip: chip,
                    controller: DeviceControllerConfig(), energy: ChipEnergy(), area: AreaConfig())
}

/// A chip for network and reshape studies: `tiles` tiles on a mesh `columns` wide (or a ring), each with
/// `arraysPerTile` arrays of `arraySize x arraySize` cells, `memory` bytes of tile memory and `ports` DMA
/// ports per direction, links `linkWidth` bytes wide.
func nocChip(tiles: Int, columns: Int, arraysPerTile: Int = 1, arraySize: Int = 64, ports: Int = 1, linkWidth: Int = 32,
             memory: Int = 65536, topology: NoCTopology = .mesh) throws -> Chip {
    var tile = TileConfig()
    tile.arrays = arraysPerTile
    tile.memory = Quantity(Double(memory))
    tile.dmaPorts = ports
    var config = ChipConfig()
    config.tiles = tiles
    config.meshCols = columns
    config.meshRows = (tiles + columns - 1) / columns
    config.noc.topology = topology
    config.noc.linkWidth = linkWidth
    var crossbar = CrossbarConfig()
    crossbar.array.rows = arraySize
    crossbar.array.cols = arraySize
    return try Chip(technology: TechnologyConfig(), crossbar: crossbar, tile: tile, chip: config,
                    controller: DeviceControllerConfig(), energy: ChipEnergy(), area: AreaConfig())
}

/// Seeded Gaussian values.
func gaussians(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    let rng = RandomStream(seed: seed, purpose: .userInput)
    return (0..<count).map { Float(rng.gaussian(at: UInt64($0))) * scale }
}

/// A small residual network on `[2, 9, 9]` inputs: a padded convolution, a strided one, a residual add
/// around a third, max pooling, a linear classifier with bias; batch norm with random statistics.
func residualNetwork(seed: UInt64) throws -> Network {
    var parameters: [String: Tensor] = [:]
    var stream = seed
    func fill(_ name: String, _ shape: [Int], positive: Bool = false) {
        stream += 1
        let values = gaussians(shape.reduce(1, *), seed: stream, scale: 0.5)
        parameters[name] = Tensor(shape: shape, data: positive ? values.map { 0.5 + abs($0) } : values)
    }
    func batchNorm(_ name: String, _ channels: Int) {
        fill("\(name).weight", [channels], positive: true)
        fill("\(name).bias", [channels])
        fill("\(name).running_mean", [channels])
        fill("\(name).running_var", [channels], positive: true)
    }
    fill("conv1.weight", [6, 2, 3, 3]); batchNorm("bn1", 6)
    fill("conv2.weight", [12, 6, 3, 3]); batchNorm("bn2", 12)
    fill("conv3.weight", [12, 12, 3, 3]); fill("conv3.bias", [12]); batchNorm("bn3", 12)
    fill("fc.weight", [5, 48]); fill("fc.bias", [5])
    let nodes = [
        Node("conv1", .conv2d(outChannels: 6, kernel: 3, stride: 1, padding: 1, bias: false), inputs: ["input"]),
        Node("bn1", .batchNorm(epsilon: 1e-5), inputs: ["conv1"]),
        Node("relu1", .relu, inputs: ["bn1"]),
        Node("conv2", .conv2d(outChannels: 12, kernel: 3, stride: 2, padding: 1, bias: false), inputs: ["relu1"]),
        Node("bn2", .batchNorm(epsilon: 1e-5), inputs: ["conv2"]),
        Node("relu2", .relu, inputs: ["bn2"]),
        Node("conv3", .conv2d(outChannels: 12, kernel: 3, stride: 1, padding: 1, bias: true), inputs: ["relu2"]),
        Node("bn3", .batchNorm(epsilon: 1e-5), inputs: ["conv3"]),
        Node("add", .add, inputs: ["bn3", "relu2"]),
        Node("relu3", .relu, inputs: ["add"]),
        Node("pool", .maxPool(kernel: 2, stride: 2), inputs: ["relu3"]),
        Node("flatten", .flatten, inputs: ["pool"]),
        Node("fc", .linear(outFeatures: 5, bias: true), inputs: ["flatten"]),
    ]
    return try Network(inputShape: [2, 9, 9], nodes: nodes, parameters: parameters, classes: (0..<5).map(String.init))
}

/// `count` random images for `network`, keyed by `seed`.
func images(_ count: Int, for network: Network, seed: UInt64) -> Tensor {
    let shape = [count] + network.inputShape
    return Tensor(shape: shape, data: gaussians(shape.reduce(1, *), seed: seed))
}

/// The repository's root folder.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
