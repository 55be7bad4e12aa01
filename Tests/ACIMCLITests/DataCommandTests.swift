import ACIMCore
@testable import ACIMCLI
import ACIMNetwork
import Foundation
import Testing

/// Own data sets (`--inputs X.npy --labels y.npy`, CSV files of any length) wherever a command takes data,
/// and `--output` / `--predictions` of `model eval` and `run`.
@Suite struct DataCommandTests {
    /// The digits evaluation rows raw (pixels 0...16) as `.npy` inputs and labels, and as a CSV without header.
    static func evaluationFiles(_ scratch: borrowing Scratch) throws -> (inputs: String, labels: String, csv: String) {
        let evaluation = try Digits.load(path: digits).subset(Array(Digits.evaluationRows))
        let inputs = try scratch.npy("x.npy", NPYArray(shape: evaluation.images.shape, values: evaluation.images.data.map(Double.init)))
        let labels = try scratch.npy("y.npy", NPYArray(shape: [evaluation.count], values: evaluation.labels.map(Double.init)))
        let per = 64
        let lines = (0..<evaluation.count).map { n in
            (evaluation.images.data[(n * per)..<((n + 1) * per)].map { String(Int($0)) } + [String(evaluation.labels[n])]).joined(separator: ",")
        }
        let csv = try scratch.file("eval.csv", Data((lines.joined(separator: "\n") + "\n").utf8))
        return (inputs, labels, csv)
    }

    /// Rows of a predictions file: input, output, class, label.
    static func predictions(_ path: String) throws -> [[String]] {
        let text = String(decoding: try FileAccess.contents(of: path), as: UTF8.self)
        let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(lines.first == ["input", "output", "class", "label"])
        return Array(lines.dropFirst())
    }

    /// The same inputs from the bundled CSV, from `.npy` files and from a CSV of another length give the
    /// same accuracy; the logits and predictions written agree with it and with each other.
    @Test func evalOnOwnDataMatchesTheBundledDigits() throws {
        let scratch = try Scratch()
        let (inputs, labels, csv) = try Self.evaluationFiles(scratch)
        let plain = scratch.path + "/full.safetensors"
        #expect(acim(["model", "prune", shippedModel, "--subtask", "all", "-o", plain, "--data", digits]).exitCode == 0)
        let bundled = acim(["model", "eval", plain, "--data", digits, "--predictions", scratch.path + "/digits.csv"])
        #expect(bundled.exitCode == 0, "\(bundled)")
        #expect(bundled.output.contains("on the 360 evaluation inputs of classes 0,1,2,3,4,5,6,7,8,9"))
        let logits = scratch.path + "/logits.npy", predicted = scratch.path + "/p.csv"
        let own = acim(["model", "eval", plain, "--inputs", inputs, "--labels", labels, "--output", logits, "--predictions", predicted])
        #expect(own.output == bundled.output, "\(own)")
        #expect(acim(["model", "eval", plain, "--data", csv]).output == bundled.output)

        let outputs = try NPYArray.read(path: logits)
        #expect(outputs.shape == [360, 10])
        let rows = try Self.predictions(predicted)
        #expect(rows.map { $0[0] } == (0..<360).map(String.init))
        #expect(try Self.predictions(scratch.path + "/digits.csv").map { $0[0] } == (1437..<1797).map(String.init))
        for (n, row) in rows.enumerated() {
            let scores = outputs.values[(n * 10)..<((n + 1) * 10)]
            #expect(Int(row[1]) == scores.indices.max { scores[$0] < scores[$1] }! - n * 10)
            #expect(row[2] == row[1])
        }
        let correct = rows.filter { $0[2] == $0[3] }.count
        #expect(bundled.output.contains("accuracy \(percent(Double(correct) / 360))"))
    }

    /// A model of `[64]` inputs reads the 64 values of each digits CSV line as its features: here output `c`
    /// is pixel `c`, so the accuracy is the share of evaluation rows whose brightest of pixels 0...9 is the label.
    @Test func flatInputModelReadsTheDigitsCSV() throws {
        let scratch = try Scratch()
        var weight = [Float](repeating: 0, count: 640)
        for c in 0..<10 { weight[c * 64 + c] = 1 }
        let network = try Network(inputShape: [64], nodes: [Node("fc", .linear(outFeatures: 10, bias: false), inputs: ["input"])],
                                  parameters: ["fc.weight": Tensor(shape: [10, 64], data: weight)], classes: Digits.classes)
        let path = scratch.path + "/flat.safetensors"
        try ModelFile.save(Model(network: network, preprocessing: Digits.preprocessing), path: path)
        let evaluation = try Digits.load(path: digits).subset(Array(Digits.evaluationRows))
        let correct = (0..<evaluation.count).filter { n in
            let pixels = evaluation.images.data[(n * 64)..<(n * 64 + 10)]
            return pixels.indices.max { pixels[$0] < pixels[$1] }! - n * 64 == evaluation.labels[n]
        }.count
        let eval = acim(["model", "eval", path, "--data", digits])
        #expect(eval.output == "\(path): accuracy \(percent(Double(correct) / 360)) on the 360 evaluation inputs of classes "
                + "0,1,2,3,4,5,6,7,8,9, MACs 640\n", "\(eval)")
    }

    /// Only the bundled digits file (`--data` left out or naming it) gets the digits split: a file of the same
    /// size, 1,797 samples of 64 values (here the digits themselves as `.npy` files and as a CSV copy), is
    /// the user's own and, like any own data, is evaluated whole, every row runs on the chip, and its first
    /// 512 samples calibrate.
    @Test func ownDataOfTheDigitsSizeIsNotSplit() throws {
        let scratch = try Scratch()
        let all = try Digits.load(path: digits)
        let inputs = try scratch.npy("x.npy", NPYArray(shape: all.images.shape, values: all.images.data.map(Double.init)))
        let labels = try scratch.npy("y.npy", NPYArray(shape: [all.count], values: all.labels.map(Double.init)))
        let copy = try scratch.file("copy.csv", try FileAccess.contents(of: digits))
        let plain = scratch.path + "/full.safetensors"
        #expect(acim(["model", "prune", shippedModel, "--subtask", "all", "-o", plain, "--data", digits]).exitCode == 0)
        let predicted = scratch.path + "/p.csv"
        let bundled = acim(["model", "eval", plain, "--data", digits, "--predictions", predicted])
        #expect(bundled.output.contains("on the 360 evaluation inputs"), "\(bundled)")
        #expect(try Self.predictions(predicted).map { $0[0] } == (1437..<1797).map(String.init))
        for data in [["--inputs", inputs, "--labels", labels], ["--data", copy]] {
            let own = acim(["model", "eval", plain, "--predictions", predicted] + data)
            #expect(own.output.contains("on the 1797 evaluation inputs"), "\(own)")
            #expect(try Self.predictions(predicted).map { $0[0] } == (0..<1797).map(String.init))
            let run = acim(["run", "--profile", defaultProfile, "--model", shippedModel, "--first", "1500", "--count", "2",
                            "--predictions", predicted] + data)
            #expect(run.exitCode == 0, "\(run)")
            #expect(try Self.predictions(predicted).map { $0[0] } == ["1500", "1501"])
        }
        #expect(try DataOption.parse([]).isBundledDigits && DataOption.parse(["--data", digits]).isBundledDigits)
        #expect(try !DataOption.parse(["--data", copy]).isBundledDigits && !DataOption.parse(["--inputs", inputs]).isBundledDigits)
    }

    @Test func mismatchedDataNamesTheFileAndWhat() throws {
        let scratch = try Scratch()
        let (inputs, labels, _) = try Self.evaluationFiles(scratch)
        let flat = try scratch.npy("flat.npy", NPYArray(shape: [3, 64], values: [Double](repeating: 1, count: 192)))
        #expect(acim(["model", "eval", shippedModel, "--inputs", flat, "--labels", labels]).failure
            == "--inputs \(flat): shape [3, 64]: expected [N] + the model's input shape [1, 8, 8], N >= 1")
        try FileManager.default.createDirectory(atPath: scratch.path + "/sub", withIntermediateDirectories: true)
        #expect(acim(["model", "eval", shippedModel, "--inputs", scratch.path + "/sub/../flat.npy", "--labels", labels]).failure
            == "--inputs \(flat): shape [3, 64]: expected [N] + the model's input shape [1, 8, 8], N >= 1")
        var wrong = try NPYArray.read(path: labels)
        wrong.values[5] = 12
        let twelve = try scratch.npy("y12.npy", wrong)
        #expect(acim(["model", "eval", shippedModel, "--inputs", inputs, "--labels", twelve]).failure
            == "\(twelve): malformed file: sample 5 has label 12: expected one of the model's 10 class labels 0...9")
        #expect(acim(["model", "eval", shippedModel, "--inputs", inputs]).failure
            == "--inputs \(inputs): this command needs labels; give --labels y.npy")
        #expect(acim(["model", "eval", shippedModel, "--inputs", inputs, "--labels", labels, "--data", digits]).failure
            == "--data: --inputs gives the data set; give one of them")
        let short = try scratch.file("short.csv", Data("p0,label\n1,2\n".utf8))
        for command in [["model", "eval", shippedModel], ["model", "prune", shippedModel, "--subtask", "0,1", "-o", scratch.path + "/p.safetensors"],
                        ["map", "--profile", defaultProfile, "--model", shippedModel]] {
            #expect(acim(command + ["--data", short]).failure
                == "\(short): malformed file: line 2: 2 fields: expected 65, the 64 values of the model's input shape [1, 8, 8] then the label",
                "\(command)")
        }
        #expect(acim(["model", "eval", shippedModel, "--output", scratch.path + "/no/l.npy"]).failure
            == "--output \(scratch.path)/no/l.npy: no such directory: \(scratch.path)/no")
        // A model file that does not declare its preprocessing is refused, not run on inputs of the wrong scale.
        var contents = try SafeTensors.decode(try FileAccess.contents(of: shippedModel), path: shippedModel)
        var graph = try JSONSerialization.jsonObject(with: Data(contents.metadata[ModelFile.metadataKey]!.utf8)) as! [String: Any]
        graph["preprocessing"] = nil
        contents.metadata[ModelFile.metadataKey] = String(decoding: try JSONSerialization.data(withJSONObject: graph), as: UTF8.self)
        let old = try scratch.file("old.safetensors", try SafeTensors.encode(contents))
        #expect(acim(["model", "eval", old]).failure == "\(old): malformed file: the graph: missing required key \"preprocessing\"")
    }

    /// `acim run` on `.npy` inputs writes the chip's outputs and its predictions of the inputs it ran.
    @Test func runWritesOutputsAndPredictions() throws {
        let scratch = try Scratch()
        let (inputs, labels, _) = try Self.evaluationFiles(scratch)
        let logits = scratch.path + "/l.npy", predicted = scratch.path + "/p.csv"
        let run = acim(["run", "--profile", defaultProfile, "--model", shippedModel, "--inputs", inputs, "--labels", labels,
                        "--first", "10", "--count", "6", "--json", "--output", logits, "--predictions", predicted])
        #expect(run.exitCode == 0, "\(run)")
        let report = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as! [String: Any]
        let full = (report["configurations"] as! [[String: Any]])[0]
        #expect(try NPYArray.read(path: logits).shape == [6, 10])
        let rows = try Self.predictions(predicted)
        #expect(rows.map { $0[0] } == (10..<16).map(String.init))
        let evaluation = try Digits.load(path: digits).subset(Array(Digits.evaluationRows))
        #expect(rows.map { $0[3] } == evaluation.labels[10..<16].map(String.init))
        #expect(full["accuracy"] as? Double == Double(rows.filter { $0[2] == $0[3] }.count) / 6)
    }

    /// `model train` on `.npy` data: the input shape and classes are the data's, the preprocessing declared.
    @Test func trainOnOwnData() throws {
        let scratch = try Scratch()
        let (inputs, labels, _) = try Self.evaluationFiles(scratch)
        let model = scratch.path + "/m.safetensors"
        let train = acim(["model", "train", "--inputs", inputs, "--labels", labels, "--epochs", "1", "--channels", "4,4,4",
                          "--input-scale", "0.0625", "-o", model])
        #expect(train.exitCode == 0, "\(train)")
        let trained = try ModelFile.load(path: model)
        #expect(trained.preprocessing == Digits.preprocessing)
        #expect(trained.network.inputShape == [1, 8, 8] && trained.network.classes == Digits.classes)
        #expect(trained.notes["data"] == "x.npy (360 samples, all for training; calibration: the first 360)")
        #expect(acim(["model", "info", model]).output.contains("\npreprocessing: raw input x scale [0.0625] + offset [0.0]\n"))
        #expect(acim(["model", "train", "--inputs", inputs, "--labels", labels, "--input-scale", "1,2", "-o", model]).failure
            == "--input-scale/--input-offset: invalid preprocessing scale = 2 entries: expected 1 or 1 (one per channel of the input shape [1, 8, 8])")
    }
}
