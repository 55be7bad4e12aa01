import ACIMCore
import Testing
@testable import ACIMNetwork

struct PruneTests {
    /// The physically pruned network (gains as input gains, BN re-estimated on
    /// the calibration set) computes the masked network's outputs on the subtask's classes.
    @Test(arguments: [[0], [1], [0, 2], [0, 1, 2]]) func prunedEqualsMasked(ids: [Int]) throws {
        let san = try randomSubtaskNetwork(seed: 11)
        let data = try digits().subset(Array(0..<96))
        var pruner = SubtaskPruner(san, calibration: data.subset(Array(0..<64)))
        let subtask = Subtask(ids)
        let pruned = try pruner.prune(subtask)
        let (masked, gates) = try pruner.masked(subtask)
        let test = data.subset(Array(64..<96)).images
        let expected = try masked.forward(test, gates: gates).output.data
        let actual = try pruned.network.forward(test).output.data
        let classes = san.classes(of: subtask)
        #expect(pruned.outputClasses == classes)
        var worst: Float = 0
        for n in 0..<32 {
            for (j, c) in classes.enumerated() { worst = max(worst, abs(actual[n * classes.count + j] - expected[n * 4 + c])) }
        }
        #expect(worst < 1e-5)
        let kept = try san.masks(for: subtask).binary.map { Int($0.reduce(0, +)) }
        #expect(pruned.filters.map(\.kept) == kept)
        #expect(pruned.network.macs < san.base.macs)
        #expect(pruned.network.parameters["conv2.input_gain"]!.count == kept[0])
    }

    /// The batch-norm cache is keyed by the set of basic ids; different subtasks get
    /// different batch-norm statistics.
    @Test func batchNormCachePerSubtask() throws {
        let san = try randomSubtaskNetwork(seed: 12)
        var pruner = SubtaskPruner(san, calibration: try digits().subset(Array(0..<64)))
        let a = try pruner.prune(Subtask([2, 0])), b = try pruner.prune(Subtask([0, 2])), c = try pruner.prune(Subtask([1]))
        #expect(a.network.parameters == b.network.parameters)
        #expect(a.network.parameters["bn1.running_mean"] != c.network.parameters["bn1.running_mean"])
    }

    @Test func prunedNetworkRoundTripsThroughModelFile() throws {
        let san = try randomSubtaskNetwork(seed: 13)
        let pruned = try san.prune(Subtask([1]), calibration: try digits().subset(Array(0..<32)))
        let restored = try ModelFile.decode(try ModelFile.encode(Model(network: pruned.network)), path: "pruned")
        #expect(restored.network.parameters == pruned.network.parameters)
        #expect(restored.network.classes == ["b", "c"])
    }
}
