import ACIMArray
import ACIMChip
import ACIMCore
import ACIMNetwork
import Testing
@testable import ACIMHost

/// A network mapped on a chip of many arrays: partitioning, placement, deployment and bit-accurate inference.
@Suite struct NetworkOnChipTests {
    /// Rows and columns split evenly over blocks that fit one array, each block on its own array, covering
    /// the matrix once.
    @Test func partitionCoversTheMatrixInEvenBlocks() throws {
        let chip = try testChip()
        let layout = CrossbarLayout(config: chip.crossbar)
        #expect(layout.logicalRows == 64 && layout.weightCapacity == 8)
        let arrays = (0..<9).map { ArrayID(tile: $0 / 4, slot: $0 % 4) }
        let matrix = try PartitionedMatrix(rows: 150, columns: 20, layout: layout, arrays: arrays)
        #expect(matrix.rowSplits == 3 && matrix.columnSplits == 3)
        #expect(matrix.blocks.map(\.rows.count) == [50, 50, 50, 50, 50, 50, 50, 50, 50])
        #expect(matrix.blocks.map(\.columns.count) == [7, 7, 6, 7, 7, 6, 7, 7, 6])
        var covered = [Int](repeating: 0, count: 150 * 20)
        for block in matrix.blocks { for r in block.rows { for c in block.columns { covered[r * 20 + c] += 1 } } }
        #expect(covered.allSatisfy { $0 == 1 })
        #expect(throws: ACIMError.self) { try PartitionedMatrix(rows: 150, columns: 20, layout: layout, arrays: Array(arrays.prefix(8))) }
    }

    /// On exact arrays, a matrix split over rows and columns multiplies to the integer product, whatever
    /// the split: row splits add, column splits concatenate.
    @Test func partitionedProductIsTheIntegerProduct() throws {
        var chip = try testChip()
        let layout = CrossbarLayout(config: chip.crossbar)
        var rng = RandomStream(seed: 5, purpose: .userInput)
        let weights = Matrix<Int32>(rows: 150, columns: 20) { _, _ in Int32(rng.next() % 255) - 127 }
        let inputs = Matrix<Int32>(rows: 6, columns: 150) { _, _ in Int32(rng.next() % 255) - 127 }
        let arrays = (0..<9).map { ArrayID(tile: $0 / 4, slot: $0 % 4) }
        let matrix = try PartitionedMatrix(rows: 150, columns: 20, layout: layout, arrays: arrays)
        for block in matrix.blocks { try chip.program(block.array, weights: matrix.weights(of: block, from: weights), seed: 1) }
        for concurrent in [false, true] {
            let requests = matrix.blocks.map { (array: $0.array, inputs: matrix.inputs(of: $0, from: inputs)) }
            let results = try chip.mvm(requests, context: ReadContext(seed: 1, firstVector: 0), engine: FastEngine(),
                                       concurrent: concurrent)
            let outputs = matrix.combine(Array(zip(matrix.blocks, results)), vectors: 6)
            for v in 0..<6 {
                for j in 0..<20 {
                    let exact = (0..<150).reduce(0) { $0 + Int(inputs[v, $1]) * Int(weights[$1, j]) }
                    #expect(outputs[v, j] == Double(exact))
                }
            }
        }
    }

    /// Layers fill the tiles along a snake of the mesh, each tile's slots in order; a network larger than
    /// the chip is refused with the count per layer.
    @Test func placementFollowsTheSnakeAndRefusesWhatDoesNotFit() throws {
        let chip = try testChip(tiles: 8, meshColumns: 4)
        #expect(Placement.snake(chip) == [0, 1, 2, 3, 7, 6, 5, 4])
        let network = try residualNetwork(seed: 1)
        let placement = try Placement(network, on: chip)
        // conv1: 18 rows x 6 outputs, conv2: 54 x 12, conv3: 108 x 12, fc: 48 x 5 on 64-row, 8-output arrays.
        #expect(placement.layers.map(\.matrix.blocks.count) == [1, 2, 4, 1])
        #expect(placement.arrays == (0..<8).map { ArrayID(tile: $0 / 4, slot: $0 % 4) })
        #expect(placement.layers.map(\.tiles) == [[0], [0], [0, 1], [1]])
        let conv1 = try #require(placement.layer("conv1"))
        #expect(abs(conv1.utilization - Double(18 * 6 * 8) / Double(64 * 64)) < 1e-12)
        let small = try testChip(tiles: 1, meshColumns: 1)
        #expect {
            try Placement(network, on: small)
        } throws: { error in
            "\(error)".contains("needs 8 arrays (conv3: 4, conv2: 2, conv1: 1, fc: 1); the chip has 4 (1 tiles x 4)")
        }
    }

    /// With ideal cells, no noise and an ADC fine enough not to round, the chip's logits equal the digital
    /// reference's bit for bit: residual adds, strides, padding, pooling, bias, row and column splits.
    @Test(arguments: [false, true]) func idealChipEqualsTheIntegerReference(deployed: Bool) throws {
        var chip = try testChip()
        let network = try residualNetwork(seed: 2)
        let calibration = Dataset(images: images(16, for: network, seed: 3), labels: [Int](repeating: 0, count: 16))
        let mapped = try MappedNetwork(network, calibration: calibration, chip: chip)
        if deployed {
            var controller = try DeviceController(config: chip.controller, seed: 7)
            let report = try mapped.deploy(on: &chip, controller: &controller, seed: 7)
            #expect(report.hostBytes > 0)
            #expect(report.total.checksRun == 0)
        } else {
            try mapped.program(on: &chip, seed: 7)
        }
        let batch = images(5, for: network, seed: 4)
        let result = try mapped.infer(batch, on: &chip, engine: FastEngine(), seed: 1, firstInference: 0)
        let reference = try mapped.reference(batch)
        #expect(result.logits == reference)
        // The reference engine gives the same logits.
        let slow = try mapped.infer(batch, on: &chip, engine: ReferenceEngine(), seed: 1, firstInference: 0)
        #expect(slow.logits == reference)
        #expect(result.costs.macs == network.macs)
        #expect(result.costs.ledger.energy(.adcConversion) > 0 && result.costs.ledger.energy(.digitalUnit) > 0)
    }

    /// Read noise is keyed by the inference's identity: a batch gives bit-identical logits whether run at
    /// once, one image at a time, or with its layers' arrays run concurrently.
    @Test func noisyInferenceDoesNotDependOnBatching() throws {
        var chip = try testChip { $0.device.readNoise = Quantity(0.5e-6) }
        let network = try residualNetwork(seed: 2)
        let calibration = Dataset(images: images(16, for: network, seed: 3), labels: [Int](repeating: 0, count: 16))
        let mapped = try MappedNetwork(network, calibration: calibration, chip: chip)
        try mapped.program(on: &chip, seed: 7)
        let batch = images(4, for: network, seed: 4)
        let whole = try mapped.infer(batch, on: &chip, engine: FastEngine(), seed: 9, firstInference: 10)
        #expect(whole.logits != (try mapped.reference(batch)))
        let concurrent = try mapped.infer(batch, on: &chip, engine: FastEngine(), arrayEngine: FastEngine(threads: 1), seed: 9,
                                          firstInference: 10)
        #expect(concurrent.logits == whole.logits)
        let per = network.inputShape.reduce(1, *)
        for n in 0..<4 {
            let one = Tensor(shape: [1] + network.inputShape, data: Array(batch.data[(n * per)..<((n + 1) * per)]))
            let single = try mapped.infer(one, on: &chip, engine: FastEngine(), seed: 9, firstInference: 10 + UInt64(n))
            #expect(single.logits.data == Array(whole.logits.data[(n * 5)..<((n + 1) * 5)]))
        }
    }
}
