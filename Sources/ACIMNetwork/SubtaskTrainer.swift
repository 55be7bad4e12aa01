import ACIMCore
import Foundation

/// Settings of subtask-adaptive training; defaults are the shipped model's.
public struct TrainingSettings: ComponentConfiguration {
    public var seed: UInt64 = 1
    public var epochs = 40
    public var batchSize = 32
    public var optimizer = OptimizerKind.adam
    /// Learning rate of the base weights (cosine-decayed over the epochs).
    public var weightRate: Float = 3e-3
    /// Learning rate of the utility and scaling masks (cosine-decayed over the epochs).
    public var maskRate: Float = 1e-2
    /// Weight γ of the L1 sparsity term `γ/(K·N) Σ u`.
    public var gamma: Float = 0.1
    /// Standard deviation σ of the initial utility pre-parameters.
    public var sigma: Float = 1
    /// Probability of training a minibatch on the full subtask.
    public var fullProbability = 0.1
    /// Largest number of basic subtasks combined in one minibatch (nil: all of them).
    public var maxCombined: Int?
    /// Subtasks sampled per minibatch, each on its share of the batch.
    public var subtasksPerBatch = 1
    /// Momentum of the running batch-norm statistics.
    public var batchNormMomentum: Float = 0.1

    public init() {}

    public static let keys: [ConfigKey<Self>] = [
        .key(\.seed, "seed", "key of every random stream (initialisation, order, subtask sampling)"),
        .key(\.epochs, "epochs", in: 0...100_000, "passes over the training split"),
        .key(\.batchSize, "batch_size", in: 1...100_000, "minibatch size"),
        .key(\.optimizer, "optimizer", "SGD with momentum 0.9, or Adam"),
        .key(\.weightRate, "weight_rate", in: 0...10, "learning rate of the base weights"),
        .key(\.maskRate, "mask_rate", in: 0...10, "learning rate of the utility and scaling masks"),
        .key(\.gamma, "gamma", in: 0...1000, "weight of the L1 sparsity term gamma/(K*N) sum u"),
        .key(\.sigma, "sigma", in: 0...100, "std of the initial utility pre-parameters"),
        .key(\.fullProbability, "full_probability", in: 0...1, "probability of a full-subtask minibatch"),
        .key(\.maxCombined, "max_combined", in: 1...100_000,
             "most basic subtasks combined in one minibatch; null: all of them"),
        .key(\.subtasksPerBatch, "subtasks_per_batch", in: 1...100_000, rule: "<= batch_size",
             "subtasks sampled per minibatch, each on its share of the batch; gradients averaged"),
        .key(\.batchNormMomentum, "batch_norm_momentum", in: 0...1, "momentum of the running batch-norm statistics"),
    ]

    public func combinationIssues(keysValid: Bool) -> [ConfigIssue] {
        var v = IssueCollector()
        v.require(!keysValid || subtasksPerBatch <= batchSize, "subtasks_per_batch",
                  "subtasks_per_batch (\(subtasksPerBatch)) must not exceed batch_size (\(batchSize))")
        return v.issues
    }
}

/// Trains base weights, utility masks and scaling masks together with the straight-through estimator.
public struct SubtaskTrainer: Sendable {
    public private(set) var network: SubtaskAdaptiveNetwork
    public let settings: TrainingSettings
    private var optimizer: Optimizer
    private var step: UInt64 = 0
    private let logitsNode: String

    /// Starts from `base` with fresh masks: `v ~ N(0, σ²)`, `s = 1`.
    public init(base: Network, basicSubtasks: [[Int]], sites: [MaskSite], threshold: Float = 0.5, beta: Float = 10,
                settings: TrainingSettings) throws {
        _ = try settings.validated()
        guard let last = base.nodes.last, last.operation == .sigmoid else {
            throw ACIMError.inconsistentParameters("training needs per-class sigmoid outputs: the last node must be a sigmoid")
        }
        logitsNode = last.inputs[0]
        let rng = RandomStream(seed: settings.seed, lane: 0, purpose: .training, event: 1)
        var counter: UInt64 = 0
        var utility = basicSubtasks.indices.map { _ in
            sites.map { site in
                (0..<(base.shapes[site.filters]?.first ?? 0)).map { _ -> Float in
                    defer { counter += 1 }
                    return Float(rng.gaussian(at: counter)) * settings.sigma
                }
            }
        }
        for group in SubtaskAdaptiveNetwork.tiedGroups(sites) {
            for k in utility.indices { for s in group { utility[k][s] = utility[k][group[0]] } }
        }
        let ones = utility.map { $0.map { $0.map { _ in Float(1) } } }
        network = try SubtaskAdaptiveNetwork(base: base, basicSubtasks: basicSubtasks, sites: sites, threshold: threshold,
                                             beta: beta, utilityParameters: utility, scaling: ones)
        self.settings = settings
        optimizer = Optimizer(settings.optimizer)
    }

    /// The subtask of minibatch `step`: the full one with probability `fullProbability`, else the union of
    /// `n ~ U{1..nMax}` distinct basic subtasks drawn uniformly.
    public func sampleSubtask(step: UInt64) -> Subtask {
        let rng = RandomStream(seed: settings.seed, lane: 2, purpose: .training, event: step)
        let k = network.basicSubtasks.count
        if rng.uniform(at: 0) < settings.fullProbability { return network.fullSubtask }
        let n = 1 + Int(rng.bits(at: 1) % UInt64(min(settings.maxCombined ?? k, k)))
        var ids = Array(0..<k)
        for i in 0..<n { ids.swapAt(i, i + Int(rng.bits(at: 2 + UInt64(i)) % UInt64(k - i))) }
        return Subtask(ids[0..<n])
    }

    /// One pass over `data` in a seeded order, learning rates on a cosine schedule over `settings.epochs`;
    /// returns the mean loss (subtask loss plus sparsity term).
    public mutating func trainEpoch(_ data: Dataset, epoch: Int) throws -> Float {
        let rateScale = Float(0.5 * (1 + cos(Double.pi * Double(epoch) / Double(max(settings.epochs, 1)))))
        let order = RandomStream(seed: settings.seed, lane: 1, purpose: .training, event: UInt64(epoch)).permutation(data.count)
        var total: Float = 0, batches = 0
        for start in stride(from: 0, to: data.count, by: settings.batchSize) {
            let batch = data.subset(Array(order[start..<min(start + settings.batchSize, data.count)]))
            total += try trainStep(batch, rateScale: rateScale)
            batches += 1
        }
        return total / Float(max(batches, 1))
    }

    /// One optimisation step on one minibatch, with learning rates scaled by `rateScale`. The batch is split
    /// into `subtasksPerBatch` parts, each with its own sampled subtask and batch-norm statistics; their
    /// gradients are averaged into one update of the shared weights and masks.
    public mutating func trainStep(_ batch: Dataset, rateScale: Float = 1) throws -> Float {
        let parts = min(settings.subtasksPerBatch, batch.count)
        var weightGradients: [String: [Float]] = [:]
        var utilityGradients = network.utilityParameters.map { $0.map { $0.map { _ in Float(0) } } }
        var scalingGradients = utilityGradients
        var loss: Float = 0
        for part in 0..<parts {
            let subtask = sampleSubtask(step: step &* UInt64(parts) &+ UInt64(part))
            let rows = Array((part * batch.count / parts)..<((part + 1) * batch.count / parts))
            let data = batch.subset(rows)
            let masks = try network.masks(for: subtask)
            let gates = Dictionary(uniqueKeysWithValues: zip(network.sites.map(\.gate), masks.gates))
            let pass = try network.base.forward(data.images, mode: .batch, gates: gates)
            let objective = SubtaskLoss(classCount: network.base.classes.count, subtaskClasses: network.classes(of: subtask),
                                        beta: network.beta)
            let (value, seed) = objective.evaluate(logits: pass.outputs[logitsNode]!.data, labels: data.labels)
            let grads = network.base.backward(pass, seeds: [logitsNode: seed])
            loss += value / Float(parts)
            for (name, gradient) in grads.parameters {
                weightGradients[name] = weightGradients[name].map { zip($0, gradient).map { $0 + $1 } } ?? gradient
            }
            accumulateMaskGradients(grads, masks: masks, utility: &utilityGradients, scaling: &scalingGradients)
            updateRunningStatistics(pass)
        }
        step += 1
        if parts > 1 {
            let share = 1 / Float(parts)
            weightGradients = weightGradients.mapValues { $0.map { $0 * share } }
            utilityGradients = utilityGradients.map { $0.map { $0.map { $0 * share } } }
            scalingGradients = scalingGradients.map { $0.map { $0.map { $0 * share } } }
        }
        for (name, gradient) in weightGradients.sorted(by: { $0.key < $1.key }) {
            guard var tensor = network.base.parameters[name] else { continue }
            optimizer.step(name, &tensor.data, gradient: gradient, rate: settings.weightRate * rateScale)
            network.base.parameters[name] = tensor
        }
        return loss + updateMasks(utility: utilityGradients, scaling: scalingGradients, rate: settings.maskRate * rateScale)
    }

    private mutating func updateRunningStatistics(_ pass: ForwardPass) {
        let m = settings.batchNormMomentum
        for (name, stats) in pass.batchStatistics {
            for (suffix, values) in [("running_mean", stats.mean), ("running_var", stats.variance)] {
                let key = "\(name).\(suffix)"
                network.base.parameters[key]!.data = zip(network.base.parameters[key]!.data, values).map { (1 - m) * $0 + m * $1 }
            }
        }
    }

    /// Straight-through gradients of the task loss: through the gate `M·S` to `M` and `S`, from `M` to the
    /// combined utility (threshold as identity), through the max to the argmax basic subtask, through |v|
    /// by sign(v); from `S` through MaxAbs to the selected basic subtask.
    private func accumulateMaskGradients(_ grads: Gradients, masks: SubtaskMasks,
                                         utility: inout [[[Float]]], scaling: inout [[[Float]]]) {
        for (s, site) in network.sites.enumerated() {
            guard let dGate = grads.gates[site.gate] else { continue }
            for i in dGate.indices {
                let source = masks.utilitySource[s][i], v = network.utilityParameters[source][s][i]
                utility[source][s][i] += dGate[i] * masks.scaling[s][i] * (v > 0 ? 1 : (v < 0 ? -1 : 0))
                if site.scaled { scaling[masks.scalingSource[s][i]][s][i] += dGate[i] * masks.binary[s][i] }
            }
        }
    }

    /// Adds the L1 sparsity gradient, shares gradients among tied sites, steps the masks; returns the
    /// sparsity term's value.
    private mutating func updateMasks(utility: [[[Float]]], scaling: [[[Float]]], rate: Float) -> Float {
        let k = network.basicSubtasks.count
        let filters = network.utilityParameters[0].reduce(0) { $0 + $1.count }
        guard filters > 0 else { return 0 }
        let l1 = settings.gamma / Float(k * filters)
        var sparsity: Float = 0
        var dv = zip(network.utilityParameters, utility).map { params, grads in
            zip(params, grads).map { zip($0, $1).map { v, g in l1 * (v > 0 ? 1 : (v < 0 ? -1 : 0)) + g } }
        }
        for group in SubtaskAdaptiveNetwork.tiedGroups(network.sites) {
            for b in 0..<k {
                let shared = group.dropFirst().reduce(dv[b][group[0]]) { sum, s in zip(sum, dv[b][s]).map { $0 + $1 } }
                for s in group { dv[b][s] = shared }
            }
        }
        for b in 0..<k {
            for s in network.sites.indices {
                sparsity += l1 * network.utilityParameters[b][s].reduce(0) { $0 + abs($1) }
                optimizer.step("san.v.\(b).\(s)", &network.utilityParameters[b][s], gradient: dv[b][s], rate: rate)
                if network.sites[s].scaled {
                    optimizer.step("san.s.\(b).\(s)", &network.scaling[b][s], gradient: scaling[b][s], rate: rate)
                }
            }
        }
        return sparsity
    }
}

extension RandomStream {
    /// A seeded Fisher-Yates permutation of `0..<count`.
    func permutation(_ count: Int) -> [Int] {
        var order = Array(0..<count)
        guard count > 1 else { return order }
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(bits(at: UInt64(i)) % UInt64(i + 1)))
        }
        return order
    }
}
