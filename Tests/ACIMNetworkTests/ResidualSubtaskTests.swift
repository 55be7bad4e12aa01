import ACIMCore
import Testing
@testable import ACIMNetwork

/// A residual block whose two add inputs (conv0's and conv2's filters) share one tied mask.
struct ResidualSubtaskTests {
    func residualNetwork() throws -> (Network, [MaskSite]) {
        let (plain, _) = try Architectures.convNet(inputShape: [1, 8, 8], classes: ["a", "b", "c", "d"], channels: [4, 4, 4], seed: 51)
        // Reuse conv/bn parameters of a plain net; rewire blocks 2-3 around a residual add.
        let nodes = [
            Node("conv1", .conv2d(outChannels: 4, kernel: 3, stride: 1, padding: 1, bias: false), inputs: ["input"]),
            Node("bn1", .batchNorm(epsilon: 1e-5), inputs: ["conv1"]),
            Node("relu1", .relu, inputs: ["bn1"]),
            Node("conv2", .conv2d(outChannels: 4, kernel: 3, stride: 1, padding: 1, bias: false), inputs: ["relu1"]),
            Node("bn2", .batchNorm(epsilon: 1e-5), inputs: ["conv2"]),
            Node("relu2", .relu, inputs: ["bn2"]),
            Node("conv3", .conv2d(outChannels: 4, kernel: 3, stride: 1, padding: 1, bias: false), inputs: ["relu2"]),
            Node("bn3", .batchNorm(epsilon: 1e-5), inputs: ["conv3"]),
            Node("add", .add, inputs: ["bn3", "relu1"]),
            Node("relu3", .relu, inputs: ["add"]),
            Node("pool", .maxPool(kernel: 4, stride: 4), inputs: ["relu3"]),
            Node("flatten", .flatten, inputs: ["pool"]),
            Node("fc", .linear(outFeatures: 4, bias: true), inputs: ["flatten"]),
            Node("scores", .sigmoid, inputs: ["fc"]),
        ]
        var parameters = plain.parameters.filter { !$0.key.hasPrefix("fc.") }
        parameters["fc.weight"] = randomTensor([4, 16], seed: 52, scale: 0.3)
        parameters["fc.bias"] = Tensor(shape: [4])
        let network = try Network(inputShape: [1, 8, 8], nodes: nodes, parameters: parameters, classes: ["a", "b", "c", "d"])
        let sites = [MaskSite(filters: "conv1", gate: "relu1", scaled: false, tie: "stream"),
                     MaskSite(filters: "conv2", gate: "relu2", scaled: true),
                     MaskSite(filters: "conv3", gate: "bn3", scaled: false, tie: "stream")]
        return (network, sites)
    }

    /// Tied residual masks stay equal through training, and pruning through the add equals the masked network.
    @Test func tiedMasksStayEqualAndPruneThroughTheAdd() throws {
        let (base, sites) = try residualNetwork()
        let data = try digits().restricted(to: [0, 1, 2, 3]).subset(Array(0..<96))
        var settings = TrainingSettings()
        settings.maskRate = 0.2
        var trainer = try SubtaskTrainer(base: base, basicSubtasks: [[0, 1], [2, 3]], sites: sites, settings: settings)
        for step in 0..<3 { _ = try trainer.trainStep(data.subset(Array((step * 32)..<((step + 1) * 32)))) }
        let san = trainer.network
        for k in 0..<2 { #expect(san.utilityParameters[k][0] == san.utilityParameters[k][2]) }
        var pruner = SubtaskPruner(san, calibration: data.subset(Array(0..<64)))
        for subtask in [Subtask([0]), Subtask([1]), san.fullSubtask] {
            let pruned = try pruner.prune(subtask)
            let (masked, gates) = try pruner.masked(subtask)
            let test = data.subset(Array(64..<96)).images
            let expected = try masked.forward(test, gates: gates).output.data
            let actual = try pruned.network.forward(test).output.data
            let classes = pruned.outputClasses
            for n in 0..<32 {
                for (j, c) in classes.enumerated() { #expect(abs(actual[n * classes.count + j] - expected[n * 4 + c]) < 1e-5) }
            }
        }
    }

    @Test func untiedOrScaledResidualSitesAreRejected() throws {
        let (base, sites) = try residualNetwork()
        var scaled = sites
        scaled[0].scaled = true
        #expect(throws: ACIMError.self) { try SubtaskTrainer(base: base, basicSubtasks: [[0, 1], [2, 3]], sites: scaled, settings: TrainingSettings()) }
        var untied = sites
        untied[2].tie = nil
        let ones: [Float] = [1, 1, 1, 1]
        let utility: [[[Float]]] = [[[1, 1, 0, 0], ones, [0, 0, 1, 1]], [ones, ones, ones]]
        let san = try SubtaskAdaptiveNetwork(base: base, basicSubtasks: [[0, 1], [2, 3]], sites: untied, threshold: 0.5, beta: 10,
                                             utilityParameters: utility, scaling: [[ones, ones, ones], [ones, ones, ones]])
        // The two inputs of the add keep different channels.
        #expect(throws: ACIMError.self) { try san.prune(Subtask([0]), calibration: try digits().subset(Array(0..<16))) }
        #expect(throws: Never.self) { try san.prune(Subtask([1]), calibration: try digits().subset(Array(0..<16))) }
    }
}
