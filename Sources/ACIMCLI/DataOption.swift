import ACIMCore
import ACIMNetwork
import ArgumentParser
import Foundation

/// The data set a command takes: a CSV file (`--data`, by default the bundled digits) or `.npy` inputs and
/// labels. Files are read raw; the model's preprocessing is applied to them.
struct DataOption: ParsableArguments {
    @Option(name: .customLong("data"), help: "Data set as CSV: per line the input's values (row-major) then the integer label; an optional header line (default: Data/digits/digits.csv).")
    var csv: String?
    @Option(help: "Inputs as an .npy file of shape [N, input shape...] (float32, float64 or integer such as uint8), instead of --data.")
    var inputs: String?
    @Option(help: "Integer labels of --inputs as an .npy file of N values.") var labels: String?

    static let digitsPath = "Data/digits/digits.csv"

    /// Whether the data set is the bundled digits (`--data` left out or naming that file), which has its own
    /// training and evaluation split; any other file, whatever its size, is the user's own.
    var isBundledDigits: Bool { inputs == nil && resolvedPath(csv ?? Self.digitsPath) == resolvedPath(Self.digitsPath) }

    func validate() throws {
        if labels != nil && inputs == nil { throw CLIError("--labels: no effect without --inputs; leave it out") }
        if csv != nil && inputs != nil { throw CLIError("--data: --inputs gives the data set; give one of them") }
    }

    /// The inputs as files hold them (`[N] + inputShape`) and their labels (nil for `--inputs` without
    /// `--labels`); errors name the option and the resolved file.
    func raw(inputShape: [Int]) throws -> (images: Tensor, labels: [Int]?) {
        if let inputs {
            let (path, labelsPath) = (resolvedPath(inputs), labels.map(resolvedPath))
            do { return try DataFile.npy(inputs: path, labels: labelsPath, inputShape: inputShape) } catch let ACIMError.malformedFile(file, reason) {
                throw CLIError("\(file == path ? "--inputs" : "--labels") \(file): \(reason)")
            }
        }
        let data = try DataFile.csv(path: resolvedPath(csv ?? Self.digitsPath), inputShape: inputShape)
        return (data.images, data.labels)
    }

    /// The inputs for `model`, preprocessed, and their labels (`checkLabels`).
    func load(for model: ACIMNetwork.Model) throws -> (images: Tensor, labels: [Int]?) {
        let (images, labels) = try raw(inputShape: model.network.inputShape)
        if model.preprocessing == .identity, let largest = images.data.max(), largest > 1,
           images.data.allSatisfy({ $0 == $0.rounded() }) {
            warn("warning: the inputs are integers up to \(Int(largest)) and the model declares no input scaling: if it was "
                   + "trained on scaled inputs, declare the scaling (acim model import --input-scale) or scale the inputs")
        }
        if let labels { try checkLabels(labels, of: model, path: resolvedPath(self.labels ?? csv ?? Self.digitsPath)) }
        return (model.preprocessing.apply(to: images), labels)
    }

    /// `load(for:)` where labels are required.
    func labelled(for model: ACIMNetwork.Model) throws -> Dataset {
        let (images, labels) = try load(for: model)
        guard let labels else { throw CLIError("--inputs \(resolvedPath(inputs!)): this command needs labels; give --labels y.npy") }
        return Dataset(images: images, labels: labels)
    }

    /// The training, calibration and evaluation splits of `data`, the data set this option loaded
    /// (`Dataset.splits`), and the rows of the file the evaluation split holds.
    func splits(of data: Dataset) throws -> (training: Dataset, calibration: Dataset, evaluation: Dataset, evaluationRows: [Int]) {
        let (training, calibration, evaluation, rows) = try data.splits(bundledDigits: isBundledDigits)
        return (training, calibration, evaluation, Array(rows))
    }

    /// `splits(of:)` of the labelled data set for `model`.
    func splits(for model: ACIMNetwork.Model) throws -> (training: Dataset, calibration: Dataset, evaluation: Dataset, evaluationRows: [Int]) {
        try splits(of: try labelled(for: model))
    }
}

/// Throws unless every label of the file at `path` is one of `model`'s classes; a pruned network (its notes
/// name the model it was pruned from) serves the inputs of its own classes, so it takes any label.
private func checkLabels(_ labels: [Int], of model: ACIMNetwork.Model, path: String) throws {
    guard model.notes["pruned_from"] == nil else { return }
    try DataFile.checkLabels(labels, allowed: model.network.outputLabels, path: path)
}

/// `--output` and `--predictions`: where a command writes its outputs and each input's prediction.
struct PredictionOptions: ParsableArguments {
    @Option(help: "Write the outputs (logits) to this .npy file, float32 [N, outputs].") var output: String?
    @Option(help: "Write each input's prediction to this CSV file: input (row in the data set), output (index of the highest-scoring output), class, label.")
    var predictions: String?

    /// Throws unless the files can be written, before any work is done for them.
    func checkWritable() throws {
        for (option, path) in [("--output", output), ("--predictions", predictions)] {
            if let path, let problem = FileAccess.problem(writing: path) { throw CLIError("\(option) \(path): \(problem)") }
        }
    }

    /// Writes `outputs` (`[N, outputs]`) and the predictions of inputs at data set `rows` with `labels`;
    /// `served[o]` is nil for an output that never ranks first (a class switched off).
    func write(_ outputs: Tensor, rows: [Int], labels: [Int]?, classes: [String], served: [Int?]) throws {
        if let output {
            try NPYArray(shape: outputs.shape, values: outputs.data.map(Double.init)).write(path: output, float32: true)
        }
        guard let predictions else { return }
        let width = outputs.shape[1]
        var text = "input,output,class,label\n"
        let candidates = (0..<width).filter { served[$0] != nil }
        for n in 0..<outputs.shape[0] {
            let best = candidates.max { outputs.data[n * width + $0] < outputs.data[n * width + $1] }!
            text += "\(rows[n]),\(best),\(classes[best]),\(labels.map { String($0[n]) } ?? "")\n"
        }
        try FileAccess.writeAtomically(Data(text.utf8), to: predictions)
    }
}
