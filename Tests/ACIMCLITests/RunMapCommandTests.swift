import ACIMCore
import ACIMNetwork
import Foundation
import Testing

/// `acim run` and `acim map`: a network on the chip end to end, and every bad input refused before work.
@Suite struct RunMapCommandTests {
    /// A profile like the default one, with `overrides` (YAML lines under their sections) laid over it.
    static func profile(_ scratch: borrowing Scratch, _ name: String, _ yaml: String) throws -> String {
        try scratch.file(name, Data("name: \(name)\nextends: \(defaultProfile)\n\(yaml)".utf8))
    }

    static func common(_ extra: [String]) -> [String] {
        ["--model", shippedModel, "--data", digits] + extra
    }

    @Test func runReportsAccuracyLatencyAndEnergy() throws {
        let run = acim(["run", "--profile", defaultProfile] + Self.common(["--count", "40"]))
        #expect(run.exitCode == 0, "\(run)")
        #expect(run.output.contains("inputs       40 on the fast engine"))
        #expect(run.output.contains("full network (10 classes)"))
        #expect(run.output.contains("placement    4 arrays on 1 tile; 284672 MACs per inference"))
        #expect(run.output.contains("energy per inference by component"))
        #expect(run.output.contains("ADC conversions"))
    }

    /// On an exact chip (ideal cells, a 12-bit ADC that neither clips nor rounds) the chip agrees with the
    /// digital reference on every input and every logit; the JSON report says so, and the logits file
    /// holds what the chip computed.
    @Test func exactChipAgreesWithTheReferenceThroughTheCLI() throws {
        let scratch = try Scratch()
        let exact = try Self.profile(scratch, "exact.yaml", "periphery:\n  adc:\n    bits: 12\n")
        let logits = scratch.path + "/logits.npy"
        let run = acim(["run", "--profile", exact, "--json", "--output", logits] + Self.common(["--first", "100", "--count", "30"]))
        #expect(run.exitCode == 0, "\(run)")
        let report = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as! [String: Any]
        let full = (report["configurations"] as! [[String: Any]])[0]
        #expect(full["agreement"] as? Double == 1)
        #expect(full["logitMaxError"] as? Double == 0)
        #expect(full["accuracy"] as? Double == full["referenceAccuracy"] as? Double)
        #expect(full["inferences"] as? Int == 30)
        let written = try NPYArray.read(path: logits)
        #expect(written.shape == [30, 10])
    }

    /// A subtask is served both ways: the same accuracy, fewer MACs, the base arrays kept (gate) or fewer
    /// cells programmed (remap).
    @Test func subtaskModesAreComparedWithTheFullNetwork() throws {
        let run = acim(["run", "--profile", defaultProfile, "--json", "--subtask", "2,3"] + Self.common([]))
        #expect(run.exitCode == 0, "\(run)")
        let report = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as! [String: Any]
        let rows = report["configurations"] as! [[String: Any]]
        #expect(rows.map { $0["name"] as! String } == ["full network", "2,3, gate", "2,3, remap"])
        #expect(rows.map { $0["inferences"] as! Int } == [72, 72, 72])
        let macs = rows.map { $0["macs"] as! Int }
        #expect(macs[0] == 284_672 && macs[1] == macs[2] && macs[1] < macs[0] / 5)
        #expect(rows[1]["switchBytes"] as? Int ?? 0 > 0)
        let deployed = rows.map { ($0["deployment"] as! [String: Any])["weights"] as! Int }
        #expect(deployed[1] == deployed[0] && deployed[2] < deployed[0] / 5)
        #expect(rows[1]["accuracy"] as? Double == rows[2]["accuracy"] as? Double)
    }

    @Test func mapShowsThePlacementAndRefusesWhatDoesNotFit() throws {
        let map = acim(["map", "--profile", defaultProfile] + Self.common([]))
        #expect(map.exitCode == 0, "\(map)")
        #expect(map.output.contains("full network: 4 of 128 arrays on 1 tile; fits"))
        #expect(map.output.contains("conv3                       216x32"))
        let scratch = try Scratch()
        let tiny = try Self.profile(scratch, "tiny.yaml", "tile:\n  arrays: 1\nchip:\n  tiles: 2\n  mesh_rows: 1\n  mesh_cols: 2\n")
        for command in ["map", "run"] {
            #expect(acim([command, "--profile", tiny] + Self.common([])).failure
                == "resource limit: the network needs 4 arrays (conv1: 1, conv2: 1, conv3: 1, fc: 1); the chip has 2 (2 tiles x 1)")
        }
    }

    @Test func badInputsAreRefusedBeforeAnyWork() throws {
        let scratch = try Scratch()
        let wrongShape = try scratch.npy("x.npy", NPYArray(shape: [3, 64], values: [Double](repeating: 0.5, count: 192)))
        let images = try scratch.npy("ok.npy", NPYArray(shape: [3, 1, 8, 8], values: [Double](repeating: 0.5, count: 192)))
        let fewLabels = try scratch.npy("y.npy", NPYArray(shape: [2], values: [1, 2]))
        let cases: [([String], String)] = [
            (["--inputs", wrongShape], "--inputs \(wrongShape): shape [3, 64]: expected [N] + the model's input shape [1, 8, 8], N >= 1"),
            (["--inputs", images, "--labels", fewLabels], "--labels \(fewLabels): shape [2]: expected 3 labels, one per input of \(images)"),
            (["--labels", fewLabels], "--labels: no effect without --inputs; leave it out"),
            (["--subtask-mode", "gate"], "--subtask-mode: no effect without --subtask; leave it out"),
            (["--subtask", "2,3", "--subtask-mode", "sideways"], "--subtask-mode: expected gate, remap or both, got 'sideways'"),
            (["--subtask", "2,4"], "invalid subtask = 2,4: expected basic subtasks joined by '+', each one of: 0,1 2,3 4,5 6,7 8,9; or \"all\""),
            (["--engine", "warp"], "--engine: expected fast or reference, got 'warp'"),
            (["--batch", "0"], "--batch: expected a value in 1...4096, got 0"),
            (["--time", "-1d"], "--time: expected a duration >= 0, got -1d"),
            (["--first", "400"], "--first 400: there are 360 inputs (0...359)"),
            (["--first", "350", "--count", "20"], "--count 20: inputs 350..<370 do not all exist; there are 360"),
            (["--subtask", "2,3", "--output", scratch.path + "/l.npy"],
             "--output: with --subtask, choose one --subtask-mode (gate or remap) whose outputs to write"),
            (["--subtask", "2,3", "--predictions", scratch.path + "/p.csv"],
             "--predictions: with --subtask, choose one --subtask-mode (gate or remap) whose outputs to write"),
            (["--inputs", images], "--data: --inputs gives the data set; give one of them"),
        ]
        for (arguments, message) in cases {
            // --inputs replaces --data.
            let data = arguments.contains("--inputs") && arguments != ["--inputs", images] ? ["--model", shippedModel] + arguments
                : Self.common(arguments)
            let run = acim(["run", "--profile", defaultProfile] + data)
            #expect(run.failure == message, "\(arguments)")
        }
        #expect(acim(["run", "--profile", defaultProfile, "--model", scratch.path + "/none.safetensors"]).failure
            == "\(scratch.path)/none.safetensors: no such file")
        // A model file with a tensor missing names the tensor.
        var contents = try SafeTensors.decode(try FileAccess.contents(of: shippedModel), path: shippedModel)
        contents.tensors["conv2.weight"] = nil
        let broken = try scratch.file("missing.safetensors", try SafeTensors.encode(contents))
        #expect(acim(["run", "--profile", defaultProfile, "--model", broken, "--data", digits]).failure.contains("conv2.weight"))
    }
}
