import ACIMArray
import ACIMChip
import ACIMCore
import ACIMNetwork
import Testing
@testable import ACIMHost

/// Subtasks on the chip: gate-and-gain on the base network's arrays, and remap of the pruned network.
@Suite struct SubtaskOnChipTests {
    static func shipped() throws -> (SubtaskAdaptiveNetwork, Dataset, Dataset) {
        let model = try ModelFile.load(path: repositoryRoot.appendingPathComponent("Models/digits-san.safetensors").path)
        let raw = try Digits.load(path: repositoryRoot.appendingPathComponent("Data/digits/digits.csv").path)
        let all = Dataset(images: model.preprocessing.apply(to: raw.images), labels: raw.labels)
        let (_, calibration, evaluation) = try Digits.splits(all)
        return (try #require(model.subtaskNetwork), calibration, evaluation)
    }

    /// Switched-off outputs are not converted and read 0, on both engines alike.
    @Test func gatedOutputsAreNotConverted() throws {
        var chip = try testChip()
        var rng = RandomStream(seed: 3, purpose: .userInput)
        let weights = Matrix<Int32>(rows: 40, columns: 8) { _, _ in Int32(rng.next() % 255) - 127 }
        let inputs = Matrix<Int32>(rows: 3, columns: 40) { _, _ in Int32(rng.next() % 255) - 127 }
        let id = ArrayID(tile: 0, slot: 0)
        try chip.program(id, weights: weights, seed: 1)
        let context = ReadContext(seed: 1, firstVector: 0)
        let open = try chip.mvm(id, inputs: inputs, context: context, engine: FastEngine())
        let off = [false, true, false, false, true, true, false, false]
        try chip.withArray(id) { try $0.gateOutputs(off) }
        for engine in [FastEngine(), ReferenceEngine()] as [any MVMEngine] {
            let gated = try chip.mvm(id, inputs: inputs, context: context, engine: engine)
            for v in 0..<3 {
                for j in 0..<8 { #expect(gated.outputs[v, j] == (off[j] ? 0 : open.outputs[v, j])) }
            }
            // 3 of 8 outputs off: 3 x 8 of 64 columns are not converted in any phase.
            #expect(gated.cost.activity.adcConversions * 64 == open.cost.activity.adcConversions * 40)
        }
        try chip.withArray(id) { try $0.gateOutputs([Bool](repeating: false, count: 8)) }
        #expect(try chip.mvm(id, inputs: inputs, context: context, engine: FastEngine()).outputs == open.outputs)
    }

    /// Gate-and-gain serves a subtask on the base network's arrays with the same weight codes: the chip
    /// equals the digital reference of the masked network on every served logit, skips the conversions of
    /// pruned filters, and power-gates arrays whose outputs are all pruned.
    @Test func gateAndGainOnTheBaseArrays() throws {
        let (san, calibration, evaluation) = try Self.shipped()
        var chip = try testChip()
        let full = try MappedNetwork(san.base, calibration: calibration, chip: chip)
        let pruner = SubtaskPruner(san, calibration: calibration)
        let subtask = Subtask([1])
        let gating = try pruner.gating(subtask)
        let gated = try full.switching(to: gating, calibration: calibration, chip: chip)
        #expect(gated.placement == full.placement)
        #expect(gated.outputGates["fc"] == (0..<10).map { ![2, 3].contains($0) })
        // The classifier's second column block (classes 5 to 9) is off on both of its row splits.
        let fc = try #require(full.placement.layer("fc"))
        #expect(fc.matrix.rowSplits == 2 && fc.matrix.columnSplits == 2)
        #expect(Set(gated.powerGatedArrays).isSuperset(of: [fc.matrix.blocks[1].array, fc.matrix.blocks[3].array]))

        let images = evaluation.restricted(to: [2, 3]).subset(Array(0..<12)).images
        try full.program(on: &chip, seed: 2)
        let fullRun = try full.infer(images, on: &chip, engine: FastEngine(), seed: 1, firstInference: 0)
        try gated.setOutputGates(on: &chip)
        let gatedRun = try gated.infer(images, on: &chip, engine: FastEngine(), seed: 1, firstInference: 0)
        let reference = try gated.reference(images)
        for n in 0..<12 { for c in [2, 3] { #expect(gatedRun.logits.data[n * 10 + c] == reference.data[n * 10 + c]) } }
        let conversions = { (costs: InferenceCosts) in costs.ledger.energy(.adcConversion) }
        #expect(conversions(gatedRun.costs) < conversions(fullRun.costs) / 2)
        // Back to the full network: the gates open again.
        try full.setOutputGates(on: &chip)
        #expect(try full.infer(images, on: &chip, engine: FastEngine(), seed: 1, firstInference: 0).logits == fullRun.logits)
    }

    /// Remap maps the pruned network compactly: fewer arrays, fewer weights to program, the same answer as
    /// its digital reference on an exact chip.
    @Test func remapUsesFewerArrays() throws {
        let (san, calibration, evaluation) = try Self.shipped()
        var chip = try testChip()
        let full = try MappedNetwork(san.base, calibration: calibration, chip: chip)
        let pruned = try san.prune(Subtask([1]), calibration: calibration)
        let remapped = try MappedNetwork(pruned.network, calibration: calibration, chip: chip)
        #expect(remapped.placement.arraysUsed < full.placement.arraysUsed / 2)
        #expect(remapped.placement.weights < full.placement.weights / 5)
        var controller = try DeviceController(config: chip.controller, seed: 3)
        let deployment = try remapped.deploy(on: &chip, controller: &controller, seed: 3)
        #expect(deployment.hostBytes == remapped.placement.weights)
        let images = evaluation.restricted(to: [2, 3]).subset(Array(0..<12)).images
        let run = try remapped.infer(images, on: &chip, engine: FastEngine(), seed: 1, firstInference: 0)
        #expect(run.logits == (try remapped.reference(images)))
    }
}
