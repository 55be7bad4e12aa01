import ACIMCore
import Foundation
import Testing
@testable import ACIMNetwork

/// A small subtask-adaptive network with random masks (signed scalings) over 4 classes in 3 basic subtasks.
func randomSubtaskNetwork(seed: UInt64, sigma: Float = 1) throws -> SubtaskAdaptiveNetwork {
    let (base, sites) = try Architectures.convNet(inputShape: [1, 8, 8], classes: ["a", "b", "c", "d"], channels: [4, 6, 5], seed: seed)
    let rng = RandomStream(seed: seed, purpose: .userInput, event: 9)
    var counter: UInt64 = 0
    func draw(_ scale: Float) -> [[[Float]]] {
        (0..<3).map { _ in sites.map { site in (0..<base.shapes[site.filters]![0]).map { _ in
            counter += 1
            return Float(rng.gaussian(at: counter)) * scale
        } } }
    }
    var scaling = draw(1)
    for k in 0..<3 { for s in sites.indices where !sites[s].scaled { scaling[k][s] = scaling[k][s].map { _ in 1 } } }
    return try SubtaskAdaptiveNetwork(base: base, basicSubtasks: [[0], [1, 2], [3]], sites: sites, threshold: 0.5, beta: 10,
                                      utilityParameters: draw(sigma), scaling: scaling)
}

struct SubtaskMaskTests {
    /// MaxAbs keeps the larger magnitude (the first on a tie), and the element-wise max of utilities with
    /// its source.
    @Test func maxAndMaxAbsCombination() throws {
        var san = try randomSubtaskNetwork(seed: 1)
        san.utilityParameters[0][0] = [0.2, -0.9, 0.6, 0.1]
        san.utilityParameters[1][0] = [-0.7, 0.3, 0.6, 0.4]
        san.scaling[0][0] = [-3, 1, 0.5, 2]
        san.scaling[1][0] = [2, -1, -0.7, -2]
        let masks = try san.masks(for: Subtask([1, 0]))
        #expect(masks.scaling[0] == [-3, 1, -0.7, 2])      // MaxAbs; ties (1,-1) and (2,-2) keep the lower id
        #expect(masks.scalingSource[0] == [0, 0, 1, 0])
        #expect(masks.utilitySource[0] == [1, 0, 0, 1])    // |v| max: 0.7, 0.9, 0.6 (tie → first), 0.4
        #expect(masks.binary[0] == [1, 1, 1, 0])           // threshold 0.5, equality maps to 0
        #expect(masks.gates[0] == [-3, 1, -0.7, 0])
    }

    /// A union never prunes more.
    @Test(arguments: [2, 3, 4] as [UInt64]) func masksAreMonotone(seed: UInt64) throws {
        let san = try randomSubtaskNetwork(seed: seed)
        let subsets: [[Int]] = [[0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]]
        for small in subsets {
            for large in subsets where Set(small).isSubset(of: large) {
                let a = try san.masks(for: Subtask(small)).binary, b = try san.masks(for: Subtask(large)).binary
                for s in a.indices { #expect(zip(a[s], b[s]).allSatisfy { $0 <= $1 }, "\(small) vs \(large) site \(s)") }
            }
        }
    }

    /// Every site keeps at least one filter even when all utilities are small.
    @Test func guardKeepsOneFilterPerLayer() throws {
        let san = try randomSubtaskNetwork(seed: 5, sigma: 0.01)
        for masks in try [0, 1, 2].map({ try san.masks(for: Subtask([$0])) }) {
            #expect(masks.binary.allSatisfy { $0.reduce(0, +) == 1 })
        }
    }

    /// The subtask loss: β = 1 is the mean BCE; the weights sum to α|C|.
    @Test func subtaskLossNormalisation() {
        let logits: [Float] = [0.5, -1, 2, 0.25, -0.5, 1.5]
        let plain = SubtaskLoss(classCount: 3, subtaskClasses: [1], beta: 1).evaluate(logits: logits, labels: [0, 2]).loss
        var bce: Float = 0
        for (i, z) in logits.enumerated() {
            let y: Float = (i == 0 || i == 5) ? 1 : 0, p = 1 / (1 + exp(-z))
            bce -= y * log(p) + (1 - y) * log(1 - p)
        }
        #expect(abs(plain - bce / 6) < 1e-5)
        let weighted = SubtaskLoss(classCount: 10, subtaskClasses: [2, 3], beta: 10)
        #expect(abs(weighted.alpha - 2.8) < 1e-6)
        #expect(abs(weighted.weights.reduce(0, +) - weighted.alpha * 10) < 1e-4)
    }

    /// The straight-through estimator moves the utilities of the argmax subtask.
    @Test func straightThroughReachesArgmaxUtilities() throws {
        let data = try digits().restricted(to: [0, 1, 2, 3]).subset(Array(0..<32))
        let (base, sites) = try Architectures.convNet(inputShape: [1, 8, 8], classes: ["0", "1", "2", "3"], channels: [4, 6], seed: 3)
        var settings = TrainingSettings()
        settings.gamma = 0
        settings.fullProbability = 1
        var trainer = try SubtaskTrainer(base: base, basicSubtasks: [[0, 1], [2, 3]], sites: sites, settings: settings)
        let before = trainer.network
        let masks = try before.masks(for: before.fullSubtask)
        _ = try trainer.trainStep(data)
        for s in sites.indices {
            for i in masks.binary[s].indices {
                let k = masks.utilitySource[s][i], other = 1 - k
                #expect(trainer.network.utilityParameters[k][s][i] != before.utilityParameters[k][s][i])
                #expect(trainer.network.utilityParameters[other][s][i] == before.utilityParameters[other][s][i])
            }
        }
    }

    @Test func subtaskParsingAndSampling() throws {
        let san = try randomSubtaskNetwork(seed: 6)
        #expect(try san.subtask(parsing: "d+b,c") == Subtask([1, 2]))
        #expect(try san.subtask(parsing: "all") == san.fullSubtask)
        #expect(throws: ACIMError.self) { try san.subtask(parsing: "b") }
        #expect(throws: ACIMError.self) { try san.subtask(parsing: "a+z") }
        let trainer = try SubtaskTrainer(base: san.base, basicSubtasks: san.basicSubtasks, sites: san.sites, settings: TrainingSettings())
        let draws = (0..<400).map { trainer.sampleSubtask(step: UInt64($0)) }
        let full = draws.filter { $0 == san.fullSubtask }.count
        #expect((130...190).contains(full))   // p = 0.1, plus 0.9 x P(n = 3) = 0.3: 160 expected
        #expect(Set(draws.map(\.basicIDs.count)) == [1, 2, 3])
        #expect(draws == (0..<400).map { trainer.sampleSubtask(step: UInt64($0)) })
    }
}

struct MaskSiteTests {
    @Test func sitesMustFollowTheirFiltersAndFeedWeightedLayers() throws {
        let (base, sites) = try Architectures.convNet(inputShape: [1, 8, 8], classes: ["a", "b"], channels: [4, 6], seed: 1)
        func make(_ site: MaskSite) throws -> SubtaskAdaptiveNetwork {
            let count = base.shapes[site.filters]![0]
            return try SubtaskAdaptiveNetwork(base: base, basicSubtasks: [[0], [1]], sites: [site], threshold: 0.5, beta: 10,
                                              utilityParameters: [[Array(repeating: 1, count: count)], [Array(repeating: 1, count: count)]],
                                              scaling: [[Array(repeating: 1, count: count)], [Array(repeating: 1, count: count)]])
        }
        #expect(throws: Never.self) { try make(sites[0]) }
        // conv2's gate reached from conv1: not through per-channel operations only.
        #expect(throws: ACIMError.self) { try make(MaskSite(filters: "conv1", gate: "pool2", scaled: false)) }
        // A scaled gain before batch norm would be normalised away.
        #expect(throws: ACIMError.self) { try make(MaskSite(filters: "conv2", gate: "conv2", scaled: true)) }
        // Wrong channel count.
        #expect(throws: ACIMError.self) { try make(MaskSite(filters: "conv1", gate: "pool2", scaled: true)) }
    }
}
