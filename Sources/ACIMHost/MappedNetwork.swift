import ACIMArray
import ACIMChip
import ACIMCore
import ACIMNetwork

/// A network mapped onto a chip: its weighted layers quantized to the chip's codes (the profile's
/// `weight_bits` and `input_bits`, signed inputs as the input encoding applies them) and placed on arrays.
/// It programs the chip (open loop, or through the device controller from digital references) and runs
/// inferences through the arrays; the digital reference runs the same codes exactly in integers.
public struct MappedNetwork: Sendable {
    public let network: Network
    /// The chip's codes: per layer, input and weight scales and the weight codes.
    public let quantization: IntegerQuantization
    public let placement: Placement
    /// Gains per gated node (subtask masks times scalings), applied in the digital unit.
    public let gates: [String: [Float]]
    /// Per weighted layer, the outputs switched off (true): their columns are not converted, and an array
    /// whose outputs are all off is power-gated.
    public let outputGates: [String: [Bool]]

    /// Quantizes `network` for `chip`'s arrays (input ranges calibrated on `calibration` under `gates`) and
    /// places it by `placement`; throws when the chip's arrays cannot hold it or cannot run it.
    /// `outputGates` switches outputs of weighted layers off.
    public init(_ network: Network, calibration: Dataset, chip: Chip, gates: [String: [Float]] = [:],
                outputGates: [String: [Bool]] = [:], placement policy: Placement.Policy = .packed) throws {
        let periphery = chip.crossbar.periphery, array = chip.crossbar.array
        for (name, bits) in [("array.weight_bits", array.weightBits), ("periphery.input_bits", periphery.inputBits)] where bits > 12 {
            throw ACIMError.invalidConfiguration(path: name, message: "networks run with at most 12-bit weights and inputs, got \(bits)")
        }
        let signs: IntegerQuantization.InputSigns = periphery.inputEncoding == .unsigned ? .unsigned : .signed
        let quantization = try IntegerQuantization(network, calibration: calibration, weightBits: array.weightBits,
                                                   activationBits: periphery.inputBits, gates: gates, inputSigns: signs)
        let placement = try Placement(network, on: chip, policy: policy)
        for (name, gated) in outputGates {
            guard let layer = placement.layer(name), layer.matrix.columns == gated.count else {
                throw ACIMError.shapeMismatch("output gates of \(name): expected a weighted layer with \(gated.count) outputs")
            }
        }
        self.network = network
        self.quantization = quantization
        self.placement = placement
        self.gates = gates
        self.outputGates = outputGates
    }

    /// The gate-and-gain form of a subtask on this mapping: the same arrays and weight codes, the
    /// subtask's batch norm, gains and input scales (calibrated on `calibration`), and its outputs switched
    /// off. Throws when the subtask's network would need other weight codes.
    public func switching(to gating: SubtaskGating, calibration: Dataset, chip: Chip) throws -> MappedNetwork {
        let switched = try MappedNetwork(gating.network, calibration: calibration, chip: chip, gates: gating.gates,
                                         outputGates: gating.outputGates, placement: placement.policy)
        guard switched.placement == placement, switched.quantization.weightCodes == quantization.weightCodes else {
            throw ACIMError.inconsistentParameters("subtask \(gating.subtask) changes the analog weights; it cannot be served by gates")
        }
        return switched
    }

    /// The label each output stands for (`Network.outputLabels`), nil for an output switched off (a class
    /// the subtask does not serve).
    public var outputLabels: [Int?] {
        let labels = network.outputLabels
        guard let classifier = network.nodes.last(where: { $0.operation.isWeighted }),
              let off = outputGates[classifier.name], off.count == labels.count else { return labels }
        return zip(labels, off).map { $1 ? nil : $0 }
    }

    /// Bytes of the digital units' registers that set this mapping apart from another on the same arrays,
    /// which a subtask switch in gate-and-gain mode writes: one gate bit per output and a 4-byte input
    /// scale per weighted layer, a 4-byte scale and shift per batch-norm channel, a 4-byte gain per gated
    /// channel.
    public var registerBytes: Int {
        network.nodes.reduce(0) { bytes, node in
            let channels = network.shapes[node.name]![0]
            var total = bytes + (gates[node.name] == nil ? 0 : 4 * channels)
            switch node.operation {
            case .conv2d, .linear: total += (channels + 7) / 8 + 4
            case .batchNorm: total += 8 * channels
            default: break
            }
            return total
        }
    }

    /// Multiply-accumulates of one inference that do useful work: each weighted layer's, times the
    /// fraction of its outputs switched on and the fraction of input channels still carrying data (after
    /// the outputs switched off upstream; an add carries the channels either input carries).
    public var macs: Int {
        var live: [String: Double] = [:]
        var total = 0.0
        let perNode = network.macsPerNode
        for node in network.nodes {
            let input = live[node.inputs[0]] ?? 1
            var fraction = input
            if node.operation.isWeighted {
                fraction = outputGates[node.name].map { Double($0.count { !$0 }) / Double($0.count) } ?? 1
                total += Double(perNode[node.name] ?? 0) * input * fraction
            } else if node.operation == .add {
                fraction = max(input, live[node.inputs[1]] ?? 1)
            }
            live[node.name] = fraction
        }
        return Int(total.rounded())
    }

    /// Whether every output of `block` of `layer` is switched off (its array is power-gated).
    func isPowerGated(_ block: PartitionedMatrix.Block, of layer: String) -> Bool {
        guard let gated = outputGates[layer] else { return false }
        return block.columns.allSatisfy { gated[$0] }
    }

    /// Arrays whose outputs are all switched off, by layer.
    public var powerGatedArrays: [ArrayID] {
        placement.layers.flatMap { layer in layer.matrix.blocks.filter { isPowerGated($0, of: layer.name) }.map(\.array) }
    }

    /// The weight codes of `layer` as the arrays hold them: `rows x columns`, inputs by outputs.
    public func weightMatrix(_ layer: Placement.Layer) -> Matrix<Int32> {
        let codes = quantization.weightCodes[layer.name]!
        let rows = layer.matrix.rows
        return Matrix(rows: rows, columns: layer.matrix.columns) { r, c in codes[c * rows + r] }
    }

    /// The host's master copy of every array's weight codes.
    public var masterWeights: MasterWeights {
        var master = MasterWeights()
        for layer in placement.layers {
            let weights = weightMatrix(layer)
            for block in layer.matrix.blocks { master.set(layer.matrix.weights(of: block, from: weights), for: block.array) }
        }
        return master
    }

    /// Programs every block open loop at the chip's time (one write per cell, with the device's programming
    /// noise from streams keyed by `seed`), without a device controller.
    public func program(on chip: inout Chip, seed: UInt64) throws {
        let master = masterWeights
        for id in placement.arrays { try chip.program(id, weights: master.masterWeights(of: id)!, seed: seed) }
        try setOutputGates(on: &chip)
    }

    /// Sets every array's output gates to this mapping's: the outputs switched off stop being converted,
    /// the others convert again. A subtask switch in gate-and-gain mode writes these gates.
    public func setOutputGates(on chip: inout Chip) throws {
        for layer in placement.layers {
            let gated = outputGates[layer.name] ?? [Bool](repeating: false, count: layer.matrix.columns)
            for block in layer.matrix.blocks {
                let off = block.columns.map { gated[$0] }
                try chip.withArray(block.array) { try $0.gateOutputs(off) }
            }
        }
    }

    /// Deploys the network: maps every block with its cells unwritten, then the device controller loads the
    /// digital references from the host (bytes counted) and programs every array by write-verify at the
    /// chip's time. Returns what deployment cost.
    public func deploy(on chip: inout Chip, controller: inout DeviceController, seed: UInt64) throws -> MaintenanceReport {
        let master = masterWeights
        for id in placement.arrays { try chip.map(id, weights: master.masterWeights(of: id)!, seed: seed) }
        let report = try controller.deploy(&chip, host: master)
        try setOutputGates(on: &chip)
        return report
    }

    /// Sets the ADC range of every array whose profile asks for a calibrated range, from the column sums of
    /// the input codes that `calibration` gives each layer in the digital reference (up to `maxVectors`
    /// vectors per layer).
    public func calibrateADCs(on chip: inout Chip, calibration: Dataset, maxVectors: Int = 2048) throws {
        guard chip.crossbar.periphery.adc.range == .calibrated else { return }
        var recorder = CodeRecorder(quantization: quantization, maxVectors: maxVectors)
        _ = try network.infer(calibration.images, gates: gates, backend: &recorder)
        for layer in placement.layers {
            guard let codes = recorder.codes[layer.name] else { continue }
            for block in layer.matrix.blocks {
                let inputs = layer.matrix.inputs(of: block, from: codes)
                let percentile = chip.crossbar.periphery.adc.percentile
                try chip.withArray(block.array) { try $0.calibrateADC(inputs: inputs, percentile: percentile) }
            }
        }
    }

    /// Runs `images` (`[N, inputShape...]`) through the chip at its time: every weighted layer's blocks on
    /// their arrays with `engine`, the rest in the digital units. Inference `n` of the batch is identified as
    /// `firstInference + n` (it keys the read noise), so results do not depend on batching. A layer on
    /// several arrays runs them concurrently on `arrayEngine` when one is given (a single-threaded engine,
    /// so parallelism never nests), else one after another on `engine`.
    public func infer(_ images: Tensor, on chip: inout Chip, engine: any MVMEngine, arrayEngine: (any MVMEngine)? = nil,
                      seed: UInt64, firstInference: UInt64) throws -> ChipInference {
        // The backend works on the chip and hands it back; copying the chip value shares its cells.
        var backend = ChipBackend(chip: chip, mapped: self, engine: engine, arrayEngine: arrayEngine, seed: seed,
                                  firstInference: firstInference)
        defer { chip = backend.chip }
        let logits = try network.infer(images, gates: gates, backend: &backend)
        return ChipInference(logits: logits, costs: costs(of: backend, samples: images.shape[0], chip: backend.chip))
    }

    /// The digital reference of `images`: the same codes, every product exact.
    public func reference(_ images: Tensor) throws -> Tensor {
        var backend = IntegerBackend(quantization)
        return try network.infer(images, gates: gates, backend: &backend)
    }

    /// The weighted layer each node's digital work is done beside: its own, else that of the nearest
    /// weighted node it reads from (the first weighted layer for nodes before any).
    var stageOfNode: [String: String] {
        var stage: [String: String] = [:]
        let first = placement.layers.first?.name ?? ""
        for node in network.nodes {
            stage[node.name] = node.operation.isWeighted ? node.name : (stage[node.inputs[0]] ?? first)
        }
        return stage
    }

    /// Costs of one batch: the arrays' MVM ledger by layer, the digital units' and tile memories' work, and
    /// the layer-by-layer latency.
    private func costs(of backend: ChipBackend, samples: Int, chip: Chip) -> InferenceCosts {
        let stageOfNode = self.stageOfNode
        let codeBytes = (chip.crossbar.periphery.inputBits + 7) / 8
        var work: [String: DigitalWork] = [:]
        for node in network.nodes {
            let splits = placement.layer(node.name)?.matrix.rowSplits ?? 1
            var perInference = DigitalWork.of(node, in: network, rowSplits: splits, codeBytes: codeBytes,
                                              gated: gates[node.name] != nil)
            perInference.operations *= samples
            perInference.bytesRead *= samples
            perInference.bytesWritten *= samples
            work[stageOfNode[node.name]!, default: DigitalWork()] += perInference
        }
        var ledger = backend.ledger
        let energy = chip.energy
        var stages: [InferenceCosts.Stage] = []
        for layer in placement.layers {
            let done = work[layer.name] ?? DigitalWork()
            let place = CostPlace.layer(layer.name)
            ledger.add(Double(done.operations) * energy.digitalOp.value, to: .digitalUnit, at: place)
            ledger.add(Double(done.bytesRead) * energy.sramRead.value + Double(done.bytesWritten) * energy.sramWrite.value,
                       to: .tileMemory, at: place)
            let tiles = layer.tiles.count
            let lanes = chip.tile.digitalLanes * tiles
            let bandwidth = chip.tile.memoryBanks * chip.tile.bankWidth * tiles
            stages.append(InferenceCosts.Stage(
                name: layer.name, arrays: layer.matrix.blocks.count, tiles: tiles,
                mvmCycles: backend.mvmCycles[layer.name] ?? 0,
                digitalCycles: (done.operations + lanes - 1) / lanes,
                memoryCycles: (done.bytesRead + done.bytesWritten + bandwidth - 1) / bandwidth,
                work: done))
        }
        return InferenceCosts(inferences: samples, stages: stages, ledger: ledger, clock: chip.clock, macs: macs)
    }
}

/// The logits of a batch run on the chip, and what the batch cost.
public struct ChipInference: Sendable {
    public var logits: Tensor
    public var costs: InferenceCosts
}

/// Runs the weighted layers on the chip's arrays, in the chip's codes.
struct ChipBackend: LayerBackend {
    var chip: Chip
    let mapped: MappedNetwork
    let engine: any MVMEngine
    let arrayEngine: (any MVMEngine)?
    let seed: UInt64
    let firstInference: UInt64
    /// MVM energy by layer and component.
    var ledger = CostLedger()
    /// Per layer, the busy cycles of its busiest array.
    var mvmCycles: [String: Int] = [:]

    mutating func product(_ layer: String, x: [Float], weight: [Float], m: Int, n: Int, k: Int, samples: Int) throws -> [Float] {
        let codes = Matrix(rows: m, columns: k, storage: try mapped.quantization.inputCodes(layer, x))
        return try run(layer, vectors: m, samples: samples) { matrix, block in matrix.inputs(of: block, from: codes) }
    }

    /// A convolution from its input: the input quantized as it is (quantization commutes with the copying of
    /// im2col, and a zero of the padding has code 0), and each block's patch entries expanded from the codes.
    mutating func convolution(_ layer: String, input: [Float], geometry: ConvolutionGeometry, weight: [Float], n: Int,
                              groups: Int) throws -> [Float] {
        let codes = try mapped.quantization.inputCodes(layer, input)
        return try run(layer, vectors: geometry.rows, samples: geometry.batch) { _, block in
            geometry.patchCodes(codes, entries: block.rows)
        }
    }

    /// Runs the blocks of `layer` that are not power-gated on `vectors` input vectors of `samples` inputs, each
    /// block on its `inputs` (made once per row range: the column splits of a row range share them); returns
    /// the rescaled `vectors x outputs` products.
    private mutating func run(_ layer: String, vectors m: Int, samples: Int,
                              inputs: (PartitionedMatrix, PartitionedMatrix.Block) -> Matrix<Int32>) throws -> [Float] {
        guard let placed = mapped.placement.layer(layer) else {
            throw ACIMError.inconsistentParameters("layer \(layer) is not placed on the chip")
        }
        // Vector v of inference n is read number (firstInference + n) * perSample + v of its arrays.
        let context = ReadContext(seed: seed, firstVector: firstInference &* UInt64(m / max(samples, 1)))
        // Power-gated arrays do not run: their outputs are 0.
        let running = placed.matrix.blocks.filter { !mapped.isPowerGated($0, of: layer) }
        var byRows: [Range<Int>: Matrix<Int32>] = [:]
        let requests = running.map { block in
            let codes = byRows[block.rows] ?? inputs(placed.matrix, block)
            byRows[block.rows] = codes
            return (array: block.array, inputs: codes)
        }
        let concurrent = arrayEngine != nil && requests.count > 1
        let results = try chip.mvm(requests, context: context, engine: concurrent ? arrayEngine! : engine, concurrent: concurrent)
        for result in results {
            ledger += result.cost.ledger.rolledUp { _ in .layer(layer) }
        }
        mvmCycles[layer] = results.map(\.cost.activity.cycles).max() ?? 0
        return mapped.quantization.rescale(layer, placed.matrix.combine(zip(running, results).map { ($0, $1) }, vectors: m).storage)
    }
}

/// Records the input codes of every weighted layer while computing exactly (for ADC calibration).
struct CodeRecorder: LayerBackend {
    let quantization: IntegerQuantization
    let maxVectors: Int
    var codes: [String: Matrix<Int32>] = [:]

    mutating func product(_ layer: String, x: [Float], weight: [Float], m: Int, n: Int, k: Int, samples: Int) throws -> [Float] {
        let all = try quantization.inputCodes(layer, x)
        let kept = min(m, maxVectors)
        codes[layer] = Matrix(rows: kept, columns: k, storage: Array(all[0..<(kept * k)]))
        return quantization.rescale(layer, quantization.exactProduct(layer, codes: all, m: m))
    }
}
