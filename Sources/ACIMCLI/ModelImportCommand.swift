import ACIMCore
import ACIMNetwork
import ACIMONNX
import ArgumentParser

/// `acim model import`: an ONNX model converted into a safetensors model file.
struct ModelImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert an ONNX model (as torch.onnx.export writes it) into a safetensors model file.",
        discussion: """
            Operators: \(ONNXImport.supportedOperators.joined(separator: ", ")). Weights must be constants stored \
            in the file; the input is [N, C, H, W] or [N, F] with a fixed size on every axis but N; the output \
            features become the classes 0, 1, ... Every command that takes a model also reads .onnx directly \
            (docs/onnx.md).
            """)

    @Argument(help: "ONNX model (.onnx).") var file: String
    @Option(name: .shortAndLong, help: "Output model file (.safetensors).") var output: String

    func run() throws {
        try checkWritable(output)
        do {
            let model = try ONNXImport.load(path: file)
            try ModelFile.save(model, path: output)
            let network = model.network
            say("\(file): \(network.nodes.count) nodes, input \(network.inputShape), \(network.classes.count) classes, "
                  + "\(network.parameterCount) parameters, MACs \(network.macs); wrote \(output)")
        } catch let error as ACIMError { throw CLIError(error.description) }
    }
}
