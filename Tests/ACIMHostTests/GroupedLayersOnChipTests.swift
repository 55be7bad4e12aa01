import ACIMArray
import ACIMChip
import ACIMCore
import ACIMNetwork
import Testing
@testable import ACIMHost

/// Grouped and depthwise convolutions and the newer digital layers on the chip.
@Suite struct GroupedLayersOnChipTests {
    /// A grouped matrix is partitioned group by group: its blocks cover each diagonal group once and
    /// nothing between the groups.
    @Test func groupsArePartitionedOnTheirOwn() throws {
        let layout = CrossbarLayout(config: try testChip().crossbar)
        #expect(PartitionedMatrix.arrayCount(rows: 300, columns: 40, groups: 2, layout: layout) == 18)
        let arrays = (0..<18).map { ArrayID(tile: $0 / 4, slot: $0 % 4) }
        let matrix = try PartitionedMatrix(rows: 300, columns: 40, groups: 2, layout: layout, arrays: arrays)
        #expect(matrix.rowSplits == 3 && matrix.columnSplits == 3 && matrix.blocks.count == 18)
        var covered = [Int](repeating: 0, count: 300 * 40)
        for block in matrix.blocks { for r in block.rows { for c in block.columns { covered[r * 40 + c] += 1 } } }
        for r in 0..<300 {
            for c in 0..<40 { #expect(covered[r * 40 + c] == (r / 150 == c / 20 ? 1 : 0)) }
        }
        #expect(throws: ACIMError.self) { try PartitionedMatrix(rows: 301, columns: 40, groups: 2, layout: layout, arrays: arrays) }
    }

    /// A network of grouped, depthwise, dilated and rectangular convolutions, concat, products and the
    /// activations: on ideal arrays the chip's logits equal the integer reference bit for bit, every group on
    /// arrays of its own.
    @Test func idealChipEqualsTheIntegerReference() throws {
        var chip = try testChip(tiles: 8)
        let network = try groupedNetwork(seed: 11)
        let calibration = Dataset(images: images(8, for: network, seed: 12), labels: [Int](repeating: 0, count: 8))
        let mapped = try MappedNetwork(network, calibration: calibration, chip: chip)
        // stem 3x5 over 4 channels: 60 rows, 1 block; grouped (2 groups): 2; depthwise (8 groups): 8; fc: 1.
        #expect(mapped.placement.layers.map(\.matrix.blocks.count) == [1, 2, 8, 1])
        try mapped.program(on: &chip, seed: 3)
        // The first three calibration images (no input beyond the calibrated ranges).
        let batch = images(3, for: network, seed: 12)
        let result = try mapped.infer(batch, on: &chip, engine: FastEngine(), seed: 1, firstInference: 0)
        #expect(result.logits == (try mapped.reference(batch)))
        #expect(result.costs.macs == network.macs)
        let float = try network.forward(batch).output.data
        let scale = float.map(abs).max()!
        #expect(zip(result.logits.data, float).allSatisfy { abs($0 - $1) < 0.05 * scale }, "\(result.logits.data) vs \(float)")
    }

    func groupedNetwork(seed: UInt64) throws -> Network {
        var parameters: [String: Tensor] = [:]
        var stream = seed
        func fill(_ name: String, _ shape: [Int]) {
            stream += 1
            parameters[name] = Tensor(shape: shape, data: gaussians(shape.reduce(1, *), seed: stream, scale: 0.5))
        }
        fill("stem.weight", [8, 4, 3, 5]); fill("stem.bias", [8])
        fill("grouped.weight", [8, 4, 1, 1])
        fill("dw.weight", [8, 1, 3, 3]); fill("dw.bias", [8])
        fill("fc.weight", [3, 16]); fill("fc.bias", [3])
        let nodes = [
            Node("stem", .conv2d(Convolution(outChannels: 8, kernel: [3, 5], stride: [1, 2], padding: [1, 2, 1, 2])), inputs: ["input"]),
            Node("act", .leakyRelu(slope: 0.1), inputs: ["stem"]),
            Node("grouped", .conv2d(Convolution(outChannels: 8, kernel: [1, 1], groups: 2, bias: false)), inputs: ["act"]),
            Node("gate", .sigmoid, inputs: ["grouped"]),
            Node("silu", .mul, inputs: ["grouped", "gate"]),
            Node("dw", .conv2d(Convolution(outChannels: 8, kernel: [3, 3], padding: [2, 2, 2, 2], dilation: [2, 2], groups: 8)),
                 inputs: ["silu"]),
            Node("tanh", .tanh, inputs: ["dw"]),
            Node("cat", .concat, inputs: ["tanh", "act"]),
            Node("gap", .globalAvgPool, inputs: ["cat"]),
            Node("flat", .flatten, inputs: ["gap"]),
            Node("fc", .linear(outFeatures: 3, bias: true), inputs: ["flat"]),
        ]
        return try Network(inputShape: [4, 6, 8], nodes: nodes, parameters: parameters, classes: ["a", "b", "c"])
    }
}
