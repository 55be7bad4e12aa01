import ACIMCore
import ACIMNetwork
import Foundation
import Testing

/// `acim model` and `acim profile`: file errors in the project's words, refused overwrites, ignored options.
@Suite struct ModelProfileCommandTests {
    @Test func modelFileErrorsSayWhatIsWrong() throws {
        let scratch = try Scratch()
        for command in ["info", "eval"] {
            #expect(acim(["model", command, scratch.path + "/none.safetensors"]).failure == "\(scratch.path)/none.safetensors: no such file")
            #expect(acim(["model", command, scratch.path]).failure == "\(scratch.path): is a directory, not a file")
        }
        let readme = try scratch.file("README.md", Data("# acimsim\n\nA cycle-level simulator.\n".utf8))
        #expect(acim(["model", "info", readme]).failure
            == "\(readme): malformed file: not a safetensors file: expected an 8-byte header length, then a JSON header")
        #expect(acim(["model", "info", readme]).exitCode == 1)
    }

    @Test func nonFiniteTensorsAreRejectedAtLoad() throws {
        let scratch = try Scratch()
        var contents = try SafeTensors.decode(try FileAccess.contents(of: shippedModel), path: shippedModel)
        var weight = try #require(contents.tensors["conv2.weight"])
        weight.data[7] = .nan
        contents.tensors["conv2.weight"] = weight
        let broken = try scratch.file("nan.safetensors", try SafeTensors.encode(contents))
        #expect(acim(["model", "eval", broken, "--data", digits]).failure
            == "\(broken): malformed file: tensor \"conv2.weight\" holds nan at element 7: expected finite numbers")
    }

    @Test func evalRejectsOptionsItWouldIgnore() throws {
        #expect(acim(["model", "eval", shippedModel, "--weight-bits", "2"]).failure
            == "--weight-bits: no effect because the integer evaluation runs only with --integer; leave it out")
        #expect(acim(["model", "eval", shippedModel, "--weight-bits", "4", "--activation-bits", "4"]).failure
            == "--weight-bits, --activation-bits: no effect because the integer evaluation runs only with --integer; leave them out")
        #expect(acim(["model", "eval", shippedModel, "--integer", "--weight-bits", "1"]).failure
            == "--weight-bits: expected a value in 2...12, got 1")
        #expect(acim(["model", "eval", shippedModel, "--integer", "--activation-bits", "-8"]).failure
            == "--activation-bits: expected a value in 2...12, got -8")
        // A network without subtask masks (as `model prune` writes) serves only its own classes.
        let scratch = try Scratch()
        let plain = scratch.path + "/plain.safetensors"
        let shipped = try ModelFile.load(path: shippedModel)
        try ModelFile.save(Model(network: shipped.network, preprocessing: shipped.preprocessing), path: plain)
        #expect(acim(["model", "eval", plain, "--subtask", "4,5", "--data", digits]).failure
            == "--subtask: no effect because \(plain) has no subtask masks (a pruned network serves only its own classes); leave it out")
        #expect(acim(["model", "eval", shippedModel, "--subtask", "4,6", "--data", digits]).failure
            == "invalid subtask = 4,6: expected basic subtasks joined by '+', each one of: 0,1 2,3 4,5 6,7 8,9; or \"all\"")
        #expect(acim(["model", "eval", shippedModel, "--data", scratch.path + "/none.csv"]).failure
            == "\(scratch.path)/none.csv: no such file")
    }

    @Test func pruneRefusesToOverwriteItsSource() throws {
        let scratch = try Scratch()
        let copy = try scratch.file("m.safetensors", try FileAccess.contents(of: shippedModel))
        let sameFile = scratch.path + "/./sub/../m.safetensors"
        try FileManager.default.createDirectory(atPath: scratch.path + "/sub", withIntermediateDirectories: true)
        for output in [copy, sameFile] {
            #expect(acim(["model", "prune", copy, "--subtask", "0,1", "-o", output]).failure
                == "-o \(output): is the model being pruned; write the pruned network to another file")
        }
        try FileManager.default.createSymbolicLink(atPath: scratch.path + "/link.safetensors", withDestinationPath: copy)
        #expect(acim(["model", "prune", copy, "--subtask", "0,1", "-o", scratch.path + "/link.safetensors"]).failure
            == "-o \(scratch.path)/link.safetensors: is the model being pruned; write the pruned network to another file")
        #expect(acim(["model", "prune", copy, "--subtask", "0,1", "-o", scratch.path + "/no/p.safetensors"]).failure
            == "-o \(scratch.path)/no/p.safetensors: no such directory: \(scratch.path)/no")
        #expect(try FileAccess.contents(of: copy) == FileAccess.contents(of: shippedModel))
    }

    @Test func trainChecksEverySettingBeforeTraining() throws {
        func train(_ arguments: String...) -> String { acim(["model", "train", "--data", digits] + arguments).failure }
        #expect(train("--channels", "100000000,1,1")
            == "resource limit: --channels 100000000,1,1 needs about 166.9 TiB; this machine has \(machineMemory)")
        #expect(train("--channels", "12,,32") == "--channels 12,,32: expected positive integers separated by commas")
        #expect(train("--channels", "12,-4") == "--channels 12,-4: expected positive integers separated by commas")
        #expect(train("--epochs", "0") == "--epochs: expected an integer >= 1, got 0")
        #expect(train("--batch-size", "0") == "--batch-size: expected a value in 1...100000, got 0")
        #expect(train("--limit", "-1") == "--limit: expected an integer >= 0, got -1")
        #expect(train("--limit", "5000") == "--limit: expected a value in 0...1437, got 5000")
        #expect(train("--weight-lr", "-1") == "--weight-lr: expected a value in 0...10, got -1")
        #expect(train("--threshold", "nan") == "--threshold: expected a value in 0...1, got nan")
        #expect(train("--beta", "-2") == "--beta: expected a value in 0...1000, got -2")
        #expect(train("--subtasks-per-batch", "0") == "--subtasks-per-batch: expected a value in 1...32, got 0")
        #expect(train("--subtasks", "0,1/x") == "--subtasks 0,1/x: unknown class 'x' (expected labels 0...9, groups separated by '/')")
        #expect(train("--optimizer", "lbfgs") == "--optimizer lbfgs: expected sgd or adam")
        let scratch = try Scratch()
        #expect(train("-o", scratch.path) == "-o \(scratch.path): is a directory, not a file")
        #expect(acim(["model", "train", "--data", scratch.path + "/none.csv"]).failure == "\(scratch.path)/none.csv: no such file")
        let csv = try scratch.file("digits.csv", Data("p0,p1\n1,2\n".utf8))
        #expect(acim(["model", "train", "--data", csv]).failure
            == "\(csv): malformed file: line 2: 2 fields: expected 65, the 64 values of the model's input shape [1, 8, 8] then the label")
    }

    @Test func everyCommandWithAProfileReportsAMissingOne() throws {
        let scratch = try Scratch()
        let missing = scratch.path + "/none.yaml"
        for command in [["mvm"], ["bench"], ["device", "stats"], ["device", "lifetime"]] {
            let outcome = acim(command + ["--profile", missing])
            #expect(outcome.exitCode == 1, "\(command)")
            #expect(outcome.errors == "\(missing): error: cannot load profile '\(missing)': no such file\n1 error\n", "\(command)")
            #expect(outcome.output == "", "\(command)")
        }
        #expect(acim(["model", "prune", scratch.path + "/none.safetensors", "--subtask", "0,1", "-o", scratch.path + "/p.safetensors"])
            .failure == "\(scratch.path)/none.safetensors: no such file")
    }

    @Test func profileAreaSumsTheAreaTable() {
        // The default chip: 16 tiles of 8 arrays of 256 x 256 cells at 0.01 um2, 32 ADCs of 3000 um2 and 256 DACs
        // of 50 um2 per array, 256 KiB at 1500 um2 per KiB, a digital unit and a router per tile, one controller.
        #expect(acim(["profile", "area", defaultProfile]).output == """
            chip area   21.374 mm2; 1.3359 mm2 per tile (16 tiles)
              cells                  0.084 mm2    0.4%
              ADCs                  12.288 mm2   57.5%
              DACs                   1.638 mm2    7.7%
              tile memory            6.144 mm2   28.7%
              digital units          0.800 mm2    3.7%
              routers                0.320 mm2    1.5%
              controller             0.100 mm2    0.5%

            """)
    }

    @Test func profileCommandsReportEveryDiagnostic() throws {
        let scratch = try Scratch()
        let bad = try scratch.file("bad.yaml", Data("name: bad\narray:\n  rows: 0\n".utf8))
        let check = acim(["profile", "check", defaultProfile, bad, scratch.path])
        #expect(check.exitCode == 1)
        #expect(check.output == "\(defaultProfile): ok\n")
        #expect(check.errors == """
            \(bad):3:9: error: array.rows: expected an integer in 1...8192, got 0
              rows: 0
                    ^
            1 error
            \(scratch.path): error: cannot load profile '\(scratch.path)': is a directory, not a file
            1 error

            """)
        #expect(acim(["profile", "show", scratch.path + "/none.yaml"]).errors
            == "\(scratch.path)/none.yaml: error: cannot load profile '\(scratch.path)/none.yaml': no such file\n1 error\n")
        #expect(acim(["profile", "check"]).failure == "Missing expected argument '<files> ...'")
        let badArea = acim(["profile", "area", bad])
        #expect(badArea.exitCode == 1 && badArea.output == "")
        #expect(badArea.errors.hasPrefix("\(bad):3:9: error: array.rows: expected an integer in 1...8192, got 0\n"))
        #expect(acim(["info"]).output.hasPrefix("acimsim 0.1.0\nBLAS core: "))
    }
}
