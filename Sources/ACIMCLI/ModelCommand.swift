import ACIMCore
import ACIMNetwork
import ACIMONNX
import ArgumentParser
import Foundation

/// `acim model`: inspect, train, prune and evaluate networks.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Inspect, train, prune, evaluate and import networks (safetensors model files, or ONNX).",
        subcommands: [ModelInfo.self, ModelTrain.self, ModelPrune.self, ModelEval.self, ModelImport.self]
    )
}

/// JSON with sorted keys, so the same value always gives the same bytes.
func sortedJSON<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// Reads a model: an ONNX model (`.onnx`, imported) or a safetensors model file.
func loadModel(_ path: String) throws -> ACIMNetwork.Model {
    do {
        return try path.lowercased().hasSuffix(".onnx") ? ONNXImport.load(path: path) : ModelFile.load(path: path)
    } catch let error as ACIMError { throw CLIError(error.description) }
}

/// Throws unless a model file can be written at `path`, before any work is done for it.
func checkWritable(_ path: String) throws {
    if let problem = FileAccess.problem(writing: path) { throw CLIError("-o \(path): \(problem)") }
}

func subtaskNetwork(_ model: ACIMNetwork.Model, _ path: String) throws -> SubtaskAdaptiveNetwork {
    guard let san = model.subtaskNetwork else { throw CLIError("\(path): the model has no subtask masks") }
    return san
}


struct ModelInfo: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Print layers, shapes, parameters and subtasks.")

    @Argument(help: "Model file (.safetensors, or .onnx).") var file: String

    func run() throws {
        let model = try loadModel(file)
        let network = model.network
        say("\(file): input \(network.inputShape), \(network.classes.count) classes [\(network.classes.joined(separator: " "))]")
        let p = model.preprocessing
        say("preprocessing: raw input x scale \(p.scale) + offset \(p.offset)\(p.scale.count > 1 || p.offset.count > 1 ? " per channel" : "")")
        let macs = network.macsPerNode
        let rows = [["node", "op", "input", "output", "MACs"]] + network.nodes.map { node in
            [node.name, node.operation.kind, node.inputs.joined(separator: ","),
             network.shapes[node.name]!.map(String.init).joined(separator: "x"), macs[node.name].map(String.init) ?? ""]
        }
        // Every column but the last as wide as its longest entry, plus two spaces.
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max()! + 2 }
        for fields in rows {
            say(zip(fields, widths + [0]).map { $1 > 0 ? $0.padding(toLength: $1, withPad: " ", startingAt: 0) : $0 }.joined())
        }
        say("parameters: \(network.parameterCount), MACs per inference: \(network.macs)")
        let gains = network.nodes.filter { network.parameters["\($0.name).input_gain"] != nil }
        if !gains.isEmpty {
            say("input gains (subtask scaling, applied digitally): " + gains.map { node in
                "\(node.name) [\(network.parameters["\(node.name).input_gain"]!.count)]" }.joined(separator: ", "))
        }
        if let san = model.subtaskNetwork {
            say("basic subtasks (threshold \(san.threshold), beta \(san.beta)):")
            for (k, classes) in san.basicSubtasks.enumerated() {
                let masks = try san.masks(for: Subtask([k]))
                let kept = masks.binary.map { Int($0.reduce(0, +)) }
                say("  \(k): classes {\(classes.map { network.classes[$0] }.joined(separator: ","))}, filters kept per site \(kept)")
            }
            say("mask sites: " + san.sites.map { "\($0.filters)@\($0.gate)\($0.scaled ? " (scaled)" : "")" }.joined(separator: ", "))
        }
        for (key, value) in model.notes.sorted(by: { $0.key < $1.key }) { say("\(key): \(value)") }
    }
}

struct ModelTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a subtask-adaptive CNN on the digits training split (or on --inputs and --labels).",
        discussion: """
            The defaults are the recipe of Models/digits-san.safetensors. Training is deterministic for a given \
            OpenBLAS kernel set, whatever the thread count; with OPENBLAS_CORETYPE=SKYLAKEX it writes the \
            shipped file byte for byte, other kernel sets train a different model (docs/digits-san.md). \
            The model's input shape is the data's ([1, 8, 8] for a CSV), its classes the labels 0...max; it \
            declares --input-scale and --input-offset as its preprocessing. A data set other than the \
            bundled digits trains on all its samples, and the accuracy reported is on them.
            """)

    @OptionGroup var data: DataOption
    @Option(name: .shortAndLong, help: "Output model file.") var output = "digits-san.safetensors"
    @Option(parsing: .unconditional, help: "Seed of every random stream.") var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "Epochs over the training split.") var epochs = TrainingSettings().epochs
    @Option(parsing: .unconditional, help: "Minibatch size.") var batchSize = TrainingSettings().batchSize
    @Option(parsing: .unconditional, help: "Output channels of the conv layers, comma-separated.") var channels = "12,24,32"
    @Option(help: "Basic subtasks: class groups separated by '/'.") var subtasks = "0,1/2,3/4,5/6,7/8,9"
    @Option(help: "Optimizer: sgd or adam.") var optimizer = "adam"
    @Option(parsing: .unconditional, help: "Learning rate of the weights.") var weightLR = TrainingSettings().weightRate
    @Option(parsing: .unconditional, help: "Learning rate of the masks.") var maskLR = TrainingSettings().maskRate
    @Option(parsing: .unconditional, help: "Weight gamma of the L1 sparsity term.") var gamma = TrainingSettings().gamma
    @Option(parsing: .unconditional, help: "Std sigma of the initial utility pre-parameters.") var sigma = TrainingSettings().sigma
    @Option(parsing: .unconditional, help: "Subtask loss weight beta.") var beta: Float = 10
    @Option(parsing: .unconditional, help: "Mask threshold tau.") var threshold: Float = 0.5
    @Option(parsing: .unconditional, help: "Subtasks sampled per minibatch, each on its share of the batch.") var subtasksPerBatch = 1
    @Option(parsing: .unconditional, help: "Use only the first N training images (0: all).") var limit = 0
    /// Without them, the digits' scaling: pixels 0...16 to [0, 1].
    @OptionGroup var scaling: PreprocessingOptions

    func run() throws {
        do {
            try checkWritable(output)
            try check(epochs, atLeast: 1, "--epochs")
            try check(batchSize, in: 1...100_000, "--batch-size")
            try check(limit, atLeast: 0, "--limit")
            for (value, option) in [(weightLR, "--weight-lr"), (maskLR, "--mask-lr")] { try check(value, in: 0...10, option) }
            try check(gamma, in: 0...1000, "--gamma")
            try check(sigma, in: 0...100, "--sigma")
            try check(beta, in: 0...1000, "--beta")
            try check(threshold, in: 0...1, "--threshold")
            var settings = TrainingSettings()
            guard let kind = OptimizerKind(rawValue: optimizer) else { throw CLIError("--optimizer \(optimizer): expected sgd or adam") }
            (settings.seed, settings.epochs, settings.batchSize, settings.optimizer) = (seed, epochs, batchSize, kind)
            (settings.weightRate, settings.maskRate, settings.gamma, settings.sigma) = (weightLR, maskLR, gamma, sigma)
            settings.subtasksPerBatch = subtasksPerBatch
            let widths = channels.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
            guard !channels.isEmpty, widths.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw CLIError("--channels \(channels): expected positive integers separated by commas")
            }
            let inputShape = try data.inputs.map { Array(try NPYArray.declaredShape(path: resolvedPath($0)).shape.dropFirst()) }
                ?? Digits.inputShape
            guard inputShape.count == 3 else { throw CLIError("--inputs \(resolvedPath(data.inputs!)): shape [N] + \(inputShape): expected [N, C, H, W] images") }
            let preprocessing = try scaling.preprocessing(inputShape: inputShape, standard: Digits.preprocessing)
            let raw = try data.raw(inputShape: inputShape)
            guard let rawLabels = raw.labels else { throw CLIError("--inputs: training needs labels; give --labels y.npy") }
            let classes = (0...(rawLabels.max() ?? 0)).map(String.init)
            let groups = try subtasks.split(separator: "/", omittingEmptySubsequences: false).map { group in
                try group.split(separator: ",", omittingEmptySubsequences: false).map { label -> Int in
                    guard let c = classes.firstIndex(of: String(label)) else {
                        throw CLIError("--subtasks \(subtasks): unknown class '\(label)' (expected labels 0...\(classes.count - 1), groups separated by '/')")
                    }
                    return c
                }
            }
            try check(subtasksPerBatch, in: 1...batchSize, "--subtasks-per-batch")
            try MemoryBudget.require(Self.trainingBytes(inputShape: inputShape, classes: classes.count, channels: widths.compactMap { $0 }, batch: batchSize),
                                     for: "--channels \(channels)")
            let all = Dataset(images: preprocessing.apply(to: raw.images), labels: rawLabels)
            var (training, calibration, evaluation, _) = try data.splits(of: all)
            try check(limit, in: 0...training.count, "--limit")
            if limit > 0 { training = training.subset(Array(0..<limit)) }
            let (base, sites) = try Architectures.convNet(inputShape: inputShape, classes: classes, channels: widths.compactMap { $0 }, seed: seed)
            var trainer = try SubtaskTrainer(base: base, basicSubtasks: groups, sites: sites, threshold: threshold, beta: beta, settings: settings)
            let start = Date()
            for epoch in 0..<epochs {
                let loss = try trainer.trainEpoch(training, epoch: epoch)
                if epoch % 5 == 4 || epoch == epochs - 1 {
                    let pruned = try trainer.network.prune(trainer.network.fullSubtask, calibration: calibration)
                    let accuracy = try pruned.network.accuracy(on: evaluation, labelOf: { pruned.outputClasses[$0] })
                    say(String(format: "epoch %3d  loss %.4f  full-subtask eval accuracy %@  MACs %@  (%.0f s)",
                                 epoch + 1, loss, percent(accuracy), percent(pruned.macFraction), Date().timeIntervalSince(start)))
                }
            }
            let notes = ["seed": "\(seed)", "training": "acim model train --seed \(seed) --epochs \(epochs) --batch-size \(batchSize) "
                + "--channels \(channels) --subtasks \(subtasks) --optimizer \(optimizer) --weight-lr \(weightLR) --mask-lr \(maskLR) "
                + "--gamma \(gamma) --sigma \(sigma) --beta \(beta) --threshold \(threshold) --subtasks-per-batch \(subtasksPerBatch)"
                + (limit > 0 ? " --limit \(limit)" : "")
                + (preprocessing == Digits.preprocessing ? "" : scaling.arguments),
                "data": data.isBundledDigits ? "digits rows 0..1436 (training), calibration rows 0..511"
                    : "\((data.inputs ?? data.csv).map { ($0 as NSString).lastPathComponent } ?? "") (\(all.count) samples, all for training; calibration: the first \(calibration.count))",
                "training_settings": try sortedJSON(settings)]
            try ModelFile.save(ACIMNetwork.Model(subtaskNetwork: trainer.network, preprocessing: preprocessing, notes: notes), path: output)
            say("wrote \(output)")
        } catch let error as ACIMError { throw CLIError(error.description) }
    }
}

extension ModelTrain {
    /// Bytes that training the conv network on `inputShape` images with conv `channels` allocates at its
    /// largest: per image, the im2col columns, the outputs of conv, batch norm (and its normalized input),
    /// ReLU, the ungated mask-site output and the pooled output with its argmax, all kept for backpropagation
    /// and matched by as many gradients; for the larger of a minibatch and the calibration split (pruning at
    /// every report); plus the parameters with their gradients and two Adam moments. 4 bytes per value.
    static func trainingBytes(inputShape: [Int], classes: Int, channels: [Int], batch: Int) -> Double {
        var (inChannels, height, width) = (Double(inputShape[0]), Double(inputShape[1]), Double(inputShape[2]))
        var perImage = 0.0, parameters = 0.0
        for (b, out) in channels.map(Double.init).enumerated() {
            let pixels = height * width
            perImage += inChannels * 9 * pixels + 5 * out * pixels
            parameters += out * inChannels * 9 + 4 * out
            if b > 0, height >= 2, width >= 2 {
                (height, width) = ((height / 2).rounded(.down), (width / 2).rounded(.down))
                perImage += 2 * out * height * width
            }
            inChannels = out
        }
        parameters += Double(classes) * (inChannels * height * width + 1)
        let images = max(2 * Double(batch), Double(Digits.calibrationCount))
        return 4 * (perImage * images + 4 * parameters)
    }
}

struct ModelPrune: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Write the pruned network of a subtask.")

    @Argument(help: "Subtask-adaptive model file.") var file: String
    @Option(help: "Subtask: basic subtasks as class lists joined by '+', e.g. 0,1+2,3; or 'all'.") var subtask: String
    @Option(name: .shortAndLong, help: "Output model file.") var output: String
    @OptionGroup var data: DataOption

    func run() throws {
        guard resolvedPath(file) != resolvedPath(output) else {
            throw CLIError("-o \(output): is the model being pruned; write the pruned network to another file")
        }
        try checkWritable(output)
        do {
            let model = try loadModel(file)
            let san = try subtaskNetwork(model, file)
            let pruned = try san.prune(try san.subtask(parsing: subtask), calibration: try data.splits(for: model).calibration)
            var notes = model.notes
            notes["subtask"] = subtask
            notes["pruned_from"] = (file as NSString).lastPathComponent
            try ModelFile.save(ACIMNetwork.Model(network: pruned.network, preprocessing: model.preprocessing, notes: notes), path: output)
            say("subtask \(subtask): classes \(pruned.network.classes.joined(separator: ",")); filters "
                  + pruned.filters.map { "\($0.layer) \($0.kept)/\($0.total)" }.joined(separator: ", ")
                  + "; MACs \(pruned.network.macs) (\(percent(pruned.macFraction)) of \(san.base.macs)); wrote \(output)")
        } catch let error as ACIMError { throw CLIError(error.description) }
    }
}

struct ModelEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Digital accuracy on the evaluation split (per subtask, or a table of subtasks).",
        discussion: """
            The data set (--data CSV, or --inputs and --labels .npy files) goes through the model's \
            preprocessing. The bundled digits data set (--data left out or naming it) is split: rows 1437 on \
            are evaluated, rows 0..511 calibrate; any other file, whatever its size, is evaluated whole, its \
            first 512 inputs calibrate. \
            --output and --predictions write the outputs of the network evaluated: a plain model's, or a \
            subtask-adaptive model's pruned network of --subtask (default: every subtask on); with --integer, \
            those of the integer arithmetic.
            """)

    @Argument(help: "Model file.") var file: String
    @Option(help: "Subtask to evaluate (class lists joined by '+', or 'all'); default: the full network, every basic subtask and their pairs.")
    var subtask: String?
    @Flag(help: "Also evaluate in the chip's integer arithmetic (quantized conv/linear inputs and weights).") var integer = false
    @Option(parsing: .unconditional, help: "Weight bits of the integer evaluation (2...12, default 8; with --integer).") var weightBits: Int?
    @Option(parsing: .unconditional, help: "Activation bits of the integer evaluation (2...12, default 8; with --integer).") var activationBits: Int?
    @OptionGroup var data: DataOption
    @OptionGroup var written: PredictionOptions

    func run() throws {
        if !integer {
            try rejectIgnored([("--weight-bits", weightBits != nil), ("--activation-bits", activationBits != nil)],
                              because: "the integer evaluation runs only with --integer")
        }
        let weightBits = weightBits ?? 8, activationBits = activationBits ?? 8
        try check(weightBits, in: 2...12, "--weight-bits")
        try check(activationBits, in: 2...12, "--activation-bits")
        try written.checkWritable()
        do {
            let model = try loadModel(file)
            let (_, calibration, evaluation, rows) = try data.splits(for: model)
            guard let san = model.subtaskNetwork else {
                try rejectIgnored([("--subtask", subtask != nil)],
                                  because: "\(file) has no subtask masks (a pruned network serves only its own classes)")
                let network = model.network, labels = network.outputLabels
                let kept = evaluation.labels.indices.filter { labels.contains(evaluation.labels[$0]) }
                let images = evaluation.subset(kept)
                let accuracy = try network.accuracy(on: images, labelOf: { labels[$0] })
                var line = "\(file): accuracy \(percent(accuracy))"
                var quantization: IntegerQuantization?
                if integer {
                    let scales = try IntegerQuantization(network, calibration: calibration, weightBits: weightBits,
                                                         activationBits: activationBits)
                    let integerAccuracy = try network.accuracy(on: images, integer: scales, labelOf: { labels[$0] })
                    line += " (integer W\(weightBits)/A\(activationBits): \(percent(integerAccuracy)))"
                    quantization = scales
                }
                say(line + " on the \(images.count) evaluation inputs of classes \(network.classes.joined(separator: ",")), "
                      + "MACs \(network.macs)")
                try write(network, images, rows: kept.map { rows[$0] }, integer: quantization, served: labels)
                return
            }
            let k = san.basicSubtasks.count
            let chosen = try subtask.map { try san.subtask(parsing: $0) }
            let subtasks = chosen.map { [$0] }
                ?? [san.fullSubtask] + (0..<k).map { Subtask([$0]) } + (0..<k).flatMap { a in ((a + 1)..<k).map { Subtask([a, $0]) } }
            var pruner = SubtaskPruner(san, calibration: calibration)
            let bits = integer ? (weight: weightBits, activation: activationBits) : nil
            let integerHeader = integer ? " integer W\(weightBits)/A\(activationBits) |" : ""
            say("| subtask | classes | accuracy |\(integerHeader) full net on these classes | filters kept | MACs kept |")
            say("|---|---|---|" + (integer ? "---|" : "") + "---|---|---|")
            for row in try pruner.report(subtasks, evaluation: evaluation, integerBits: bits) {
                let name = row.subtask == san.fullSubtask ? "full" : row.subtask.basicIDs.map {
                    san.basicSubtasks[$0].map { san.base.classes[$0] }.joined(separator: ",") }.joined(separator: "+")
                let integerCell = row.integerAccuracy.map { " \(percent($0)) |" } ?? ""
                say("| \(name) | \(row.classes.count) | \(percent(row.accuracy)) |\(integerCell) \(percent(row.fullAccuracy)) | "
                      + "\(row.filtersKept)/\(row.filtersTotal) | \(percent(row.macFraction)) |")
            }
            guard written.output != nil || written.predictions != nil else { return }
            let pruned = try pruner.prune(chosen ?? san.fullSubtask)
            let served = pruned.outputClasses.map { san.base.outputLabels[$0] }
            let kept = evaluation.labels.indices.filter { served.contains(evaluation.labels[$0]) }
            let quantization = try bits.map {
                try IntegerQuantization(pruned.network, calibration: calibration, weightBits: $0.weight, activationBits: $0.activation)
            }
            try write(pruned.network, evaluation.subset(kept), rows: kept.map { rows[$0] }, integer: quantization, served: served)
        } catch let error as ACIMError { throw CLIError(error.description) }
    }

    /// Writes `--output` and `--predictions` of `network` on `data`.
    private func write(_ network: Network, _ data: Dataset, rows: [Int], integer: IntegerQuantization?, served: [Int]) throws {
        guard written.output != nil || written.predictions != nil else { return }
        try written.write(try network.outputs(data.images, integer: integer), rows: rows, labels: data.labels,
                          classes: network.classes, served: served)
    }
}
