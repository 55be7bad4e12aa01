import ACIMCore
import ACIMNetwork
import Foundation
import Testing

/// `acim model import` and ONNX models given wherever a model is taken.
@Suite struct ONNXCommandTests {
    let fixtures = packageRoot + "/Tests/ACIMONNXTests/Fixtures"

    @Test func importWritesTheSameNetwork() throws {
        let scratch = try Scratch()
        let output = scratch.path + "/digits.safetensors"
        let outcome = acim(["model", "import", fixtures + "/digits-cnn.onnx", "-o", output])
        #expect(outcome.exitCode == 0, "\(outcome)")
        #expect(outcome.output.contains("input [1, 8, 8], 10 classes") && outcome.output.contains("wrote \(output)"))
        let imported = try ModelFile.load(path: output).network
        let info = acim(["model", "info", fixtures + "/digits-cnn.onnx"])
        #expect(info.exitCode == 0 && info.output.contains("maxpool") && info.output.contains("linear"))
        let expected = try NPYArray.read(path: fixtures + "/digits-cnn-logits.npy")
        let inputs = try NPYArray.read(path: fixtures + "/digits-cnn-inputs.npy")
        let logits = try imported.forward(Tensor(shape: inputs.shape, data: inputs.values.map { Float($0) })).output.data
        let scale = expected.values.map(abs).max()!
        #expect(zip(logits, expected.values).allSatisfy { abs(Double($0) - $1) <= 1e-4 * scale })
        let eval = acim(["model", "eval", fixtures + "/digits-cnn.onnx", "--data", digits])
        #expect(eval.exitCode == 0 && eval.output.contains("accuracy"), "\(eval)")
    }

    /// An imported model declares the scaling it was trained with, so it takes the raw pixels: its logits on
    /// the bundled CSV's evaluation rows equal the ONNX file's on those pixels over 16 (1/16 is exact). Raw
    /// integer inputs into a model without scaling get a warning.
    @Test func importDeclaresTheInputScaling() throws {
        let scratch = try Scratch()
        let (model, scaled) = (scratch.path + "/scaled.safetensors", scratch.path + "/x16.npy")
        let outcome = acim(["model", "import", fixtures + "/digits-cnn.onnx", "-o", model, "--input-scale", "0.0625"])
        #expect(outcome.exitCode == 0, "\(outcome)")
        #expect(outcome.output.contains("inputs scaled by [0.0625] and offset by [0.0]"))
        #expect(try ModelFile.load(path: model).preprocessing == Preprocessing(scale: [0.0625], offset: [0]))
        // The bundled file's evaluation rows (1437...), as the user's own data: evaluated whole, in one batch
        // of the same size, so the float GEMMs see the same rows.
        let pixels = try DataFile.csv(path: digits, inputShape: [1, 8, 8])
        let rows = 1437..<pixels.labels.count
        try NPYArray(shape: [rows.count, 1, 8, 8], values: pixels.images.data[(rows.lowerBound * 64)...].map { Double($0) / 16 })
            .write(path: scaled, float32: true)
        try NPYArray(shape: [rows.count], values: pixels.labels[rows].map(Double.init)).write(path: scratch.path + "/y.npy")
        let fromCSV = acim(["model", "eval", model, "--data", digits, "--output", scratch.path + "/a.npy"])
        let fromNPY = acim(["model", "eval", fixtures + "/digits-cnn.onnx", "--inputs", scaled, "--labels", scratch.path + "/y.npy",
                            "--output", scratch.path + "/b.npy"])
        #expect(fromCSV.exitCode == 0 && fromNPY.exitCode == 0, "\(fromCSV) \(fromNPY)")
        #expect(!fromCSV.errors.contains("warning") && !fromNPY.errors.contains("warning"))
        let (bundled, own) = (try NPYArray.read(path: scratch.path + "/a.npy"), try NPYArray.read(path: scratch.path + "/b.npy"))
        #expect(bundled.shape == [360, 10] && own.shape == [360, 10])
        #expect(bundled.values == own.values)
        let raw = acim(["model", "eval", fixtures + "/digits-cnn.onnx", "--data", digits])
        #expect(raw.errors.contains("warning: the inputs are integers up to 16 and the model declares no input scaling"))
        let bad = acim(["model", "import", fixtures + "/digits-cnn.onnx", "-o", model, "--input-scale", "0.1,x"])
        #expect(bad.failure == "--input-scale 0.1,x: expected finite numbers separated by commas")
    }

    @Test func runTakesAnONNXModel() throws {
        let scratch = try Scratch()
        let output = scratch.path + "/logits.npy"
        let outcome = acim(["run", "--profile", defaultProfile, "--model", fixtures + "/mixed-cnn.onnx",
                            "--inputs", fixtures + "/mixed-cnn-inputs.npy", "--output", output])
        #expect(outcome.exitCode == 0, "\(outcome)")
        // 13 arrays: the stem, 2 groups of the grouped convolution, 8 of the depthwise one, the branch, the classifier.
        #expect(outcome.output.contains("13 arrays"))
        let chip = try NPYArray.read(path: output), pytorch = try NPYArray.read(path: fixtures + "/mixed-cnn-logits.npy")
        #expect(chip.shape == pytorch.shape)
        let scale = pytorch.values.map(abs).max()!
        // 8-bit weights and inputs: within a few percent of PyTorch's float logits.
        #expect(zip(chip.values, pytorch.values).allSatisfy { abs($0 - $1) <= 0.05 * scale })
    }

    @Test func brokenONNXFilesSayWhatIsWrong() throws {
        let scratch = try Scratch()
        let bytes = try FileAccess.contents(of: fixtures + "/digits-cnn.onnx")
        let truncated = try scratch.file("cut.onnx", bytes.prefix(1000))
        let failure = acim(["model", "import", truncated, "-o", scratch.path + "/out.safetensors"]).failure
        #expect(failure.hasPrefix("\(truncated): malformed file: not a readable ONNX protobuf"))
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/out.safetensors"))
        #expect(acim(["run", "--model", truncated]).failure.hasPrefix("\(truncated): malformed file: not a readable ONNX protobuf"))
    }
}
