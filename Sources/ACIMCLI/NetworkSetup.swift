import ACIMArray
import ACIMChip
import ACIMCore
import ACIMHost
import ACIMNetwork
import ACIMProfiles
import ArgumentParser
import Foundation

/// The network a command puts on the chip: a model file and, for a subtask-adaptive one, a subtask.
struct NetworkOptions: ParsableArguments {
    @Option(help: "Model file (.safetensors, or .onnx).") var model = "Models/digits-san.safetensors"
    @Option(help: "Subtask of a subtask-adaptive model: basic subtasks as class lists joined by '+', e.g. 0,1+2,3; or 'all'.")
    var subtask: String?
    @Option(name: .customLong("subtask-mode"),
            help: "With --subtask: gate (the base network stays programmed; gates, gains and batch norm switch), remap (the pruned network on fewer arrays, reprogrammed), or both.")
    var subtaskMode = "both"
    @Option(help: "packed (fill each tile before the next) or spread (every layer on tiles of its own, pipelined across tiles).")
    var placement = "packed"
    @OptionGroup var data: DataOption

    /// The policy `--placement` names.
    func placementPolicy() throws -> Placement.Policy {
        guard let policy = Placement.Policy(rawValue: placement) else {
            throw CLIError("--placement: expected packed or spread, got '\(placement)'")
        }
        return policy
    }

    /// The modes `--subtask-mode` names.
    func modes() throws -> [SubtaskMode] {
        if subtaskMode == "both" { return SubtaskMode.allCases }
        guard let mode = SubtaskMode(rawValue: subtaskMode) else {
            throw CLIError("--subtask-mode: expected gate, remap or both, got '\(subtaskMode)'")
        }
        return [mode]
    }
}

/// One way to run the network on the chip: the full network, or a subtask in one mode.
struct ChipConfiguration {
    let name: String
    /// The network as mapped (for gate mode, the base network with the subtask's gates).
    let mapped: MappedNetwork
    /// The gate-and-gain form deployed over the base network, when this is gate mode.
    let gating: SubtaskGating?
}

/// The model, the data and the configurations a network command runs, loaded and checked before any work.
struct NetworkSetup {
    let model: ACIMNetwork.Model
    let calibration: Dataset
    /// The inputs to run (preprocessed), their labels (nil when no labels were given), and their rows in the
    /// data set.
    let images: Tensor
    let labels: [Int]?
    let rows: [Int]
    let configurations: [ChipConfiguration]

    /// Loads everything a command needs for `chip`: the model, the data set (`DataOption`; of the bundled
    /// digits, the evaluation split runs and the calibration rows calibrate; of any other, every input runs
    /// and the first 512 calibrate), the slice of inputs to run, and the configurations to run.
    init(options: NetworkOptions, inputs: InputOptions?, chip: Chip) throws {
        let model = try loadModel(options.model)
        let network = model.network
        self.model = model
        if options.subtask == nil, options.subtaskMode != "both" {
            throw CLIError("--subtask-mode: no effect without --subtask; leave it out")
        }
        let loaded = try options.data.load(for: model)
        // Unlabelled inputs are split like labelled ones; their placeholder labels are dropped.
        let all = Dataset(images: loaded.images, labels: loaded.labels ?? [Int](repeating: -1, count: loaded.images.shape[0]))
        let (_, calibration, evaluation, evaluationRows) = try options.data.splits(of: all)
        var images = evaluation.images
        var labels = loaded.labels.map { _ in evaluation.labels }
        var rows = evaluationRows
        self.calibration = calibration
        let policy = try options.placementPolicy()
        let full = try MappedNetwork(network, calibration: calibration, chip: chip, placement: policy)
        var configurations = [ChipConfiguration(name: "full network", mapped: full, gating: nil)]
        var subtaskClasses: [Int]?
        if let text = options.subtask {
            let san = try subtaskNetwork(model, options.model)
            let subtask = try san.subtask(parsing: text)
            let pruner = SubtaskPruner(san, calibration: calibration)
            let served = san.classes(of: subtask)
            subtaskClasses = served.map { network.outputLabels[$0] }
            for mode in try options.modes() {
                switch mode {
                case .gate:
                    let gating = try pruner.gating(subtask)
                    let mapped = try full.switching(to: gating, calibration: calibration, chip: chip)
                    configurations.append(ChipConfiguration(name: "\(text), gate", mapped: mapped, gating: gating))
                case .remap:
                    let pruned = try san.prune(subtask, calibration: calibration)
                    let mapped = try MappedNetwork(pruned.network, calibration: calibration, chip: chip, placement: policy)
                    configurations.append(ChipConfiguration(name: "\(text), remap", mapped: mapped, gating: nil))
                }
            }
        }
        // A subtask runs on the inputs of its classes only.
        if let subtaskClasses, let all = labels {
            let kept = all.indices.filter { subtaskClasses.contains(all[$0]) }
            guard !kept.isEmpty else { throw CLIError("--subtask \(options.subtask!): no input is labelled with its classes") }
            images = Self.rows(kept, of: images)
            labels = kept.map { all[$0] }
            rows = kept.map { rows[$0] }
        }
        if let range = try inputs?.range(of: images.shape[0]) {
            images = Self.rows(Array(range), of: images)
            labels = labels.map { Array($0[range]) }
            rows = Array(rows[range])
        }
        self.images = images
        self.labels = labels
        self.rows = rows
        self.configurations = configurations
    }

    static func rows(_ indices: [Int], of images: Tensor) -> Tensor {
        Dataset(images: images, labels: [Int](repeating: 0, count: images.shape[0])).subset(indices).images
    }
}

/// A slice of the inputs to run.
struct InputOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "First input to run (default 0).") var first: Int?
    @Option(parsing: .unconditional, help: "Number of inputs to run (default: all from --first on).") var count: Int?

    /// The slice of `total` inputs to run, when one was asked for.
    func range(of total: Int) throws -> Range<Int>? {
        guard first != nil || count != nil else { return nil }
        let start = first ?? 0
        guard start < total else { throw CLIError("--first \(start): there are \(total) inputs (0...\(total - 1))") }
        let end = count.map { start + $0 } ?? total
        guard end <= total else { throw CLIError("--count \(count!): inputs \(start)..<\(end) do not all exist; there are \(total)") }
        return start..<end
    }

    func validate() throws {
        if let first { try check(first, atLeast: 0, "--first") }
        if let count { try check(count, atLeast: 1, "--count") }
    }
}

/// The engine an option names, and its single-threaded form for running a layer's arrays side by side.
func mvmEngines(_ name: String) throws -> (engine: any MVMEngine, arrayEngine: any MVMEngine) {
    switch name {
    case "fast": return (FastEngine(), FastEngine(threads: 1))
    case "reference": return (ReferenceEngine(), ReferenceEngine())
    default: throw CLIError("--engine: expected fast or reference, got '\(name)'")
    }
}
