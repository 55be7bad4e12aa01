import ACIMCore
import Foundation
import Testing

/// `acim mvm`: every bad input gives one message and a non-zero exit, before anything large is allocated.
@Suite struct MVMCommandTests {
    /// `acim mvm` on the shipped default profile with `arguments`.
    func mvm(_ arguments: String...) -> Outcome { acim(["mvm", "--profile", defaultProfile] + arguments) }

    @Test func negativeNumbersAreParsedAndGetTheRangeMessage() {
        let outcome = mvm("--adc-bits", "-1")
        #expect(outcome.failure == "invalid periphery.adc.bits: expected an integer in 1...16, got -1")
        #expect(outcome.exitCode == 1)
        #expect(mvm("--rows", "-3").failure == "invalid array.rows: expected an integer in 1...8192, got -3")
        #expect(mvm("--batch", "-5").failure == "--batch: expected an integer >= 1, got -5")
        #expect(mvm("--batch", "0").failure == "--batch: expected an integer >= 1, got 0")
        #expect(mvm("--rows", "abc").failure == "The value 'abc' is invalid for '--rows <rows>'")
        #expect(mvm("--rows", "abc").exitCode == 64)
        #expect(mvm("--seed", "-1").failure == "The value '-1' is invalid for '--seed <seed>'")
    }

    @Test func batchesBeyondTheMachinesMemoryAreRefusedUpFront() {
        let outcome = mvm("--batch", "1000000000")
        #expect(outcome.failure == "resource limit: --batch 1000000000 needs about 4.0 TiB; this machine has \(machineMemory)")
        #expect(outcome.exitCode == 1)
    }

    @Test func noiseNeedsAUnitAndStaysBelowGMax() {
        #expect(mvm("--read-noise", "0.2").failure == "--read-noise 0.2: give a unit, e.g. 0.2uS (a bare number would be 0.2 S)")
        #expect(mvm("--read-noise", "30uS").failure == "--read-noise 30uS: expected a conductance std in 0S...25uS (g_max)")
        #expect(mvm("--programming-noise", "-1uS").failure
            == "--programming-noise -1uS: expected a conductance std in 0S...25uS (g_max)")
        #expect(mvm("--read-noise", "0.2uJ").failure.hasPrefix("--read-noise: invalid quantity \"0.2uJ\": expected a conductance"))
    }

    @Test func optionsTheModeIgnoresAreErrors() throws {
        #expect(mvm("--no-gating", "--gating-threshold", "0.5").failure
            == "--gating-threshold: no effect because cell disabling is off (--no-gating); leave it out")
        #expect(mvm("--no-gating", "--granularity", "row", "--disabled-cells", "grounded").failure
            == "--granularity, --disabled-cells: no effect because cell disabling is off (--no-gating); leave them out")
        let scratch = try Scratch()
        let weights = try scratch.npy("w.npy", NPYArray(shape: [4, 2], values: [1, -1, 0.5, 0, 2, 1, -0.25, 1]))
        let inputs = try scratch.npy("x.npy", NPYArray(shape: [3, 4], values: (0..<12).map { Double($0 % 5) }))
        #expect(mvm("--weights", weights, "--outputs", "4", "--weight-sparsity", "0.5").failure
            == "--outputs, --weight-sparsity: no effect because the weights come from --weights, not drawn at random; leave them out")
        #expect(mvm("--weights", weights, "--inputs", inputs, "--batch", "100").failure
            == "--batch: no effect because the inputs come from --inputs, not drawn at random; leave it out")
        // With given weights, --batch sets how many random input vectors they are multiplied with.
        let run = mvm("--weights", weights, "--batch", "3", "--sparsity", "0.5")
        #expect(run.exitCode == 0)
        #expect(run.output.contains("mapping     4 rows x 2 outputs on 16 columns"))
        #expect(run.output.contains("cycles      ") && run.output.contains(" for 3 vectors"))
    }

    @Test func rangesOfTheRandomData() {
        #expect(mvm("--sparsity", "2").failure == "--sparsity: expected a value in 0...1, got 2")
        #expect(mvm("--weight-sparsity", "-0.5").failure == "--weight-sparsity: expected a value in 0...1, got -0.5")
        #expect(mvm("--sparsity", "nan").failure == "--sparsity: expected a value in 0...1, got nan")
        #expect(mvm("--input-rows", "0").failure == "--input-rows: expected a value in 1...256, got 0")
        #expect(mvm("--outputs", "33").failure == "--outputs: expected a value in 1...32, got 33")
        #expect(mvm("--gating-threshold", "2").failure == "--gating-threshold: expected a number in 0...1 or auto, got '2'")
        #expect(mvm("--engine", "slow").failure == "--engine: expected fast or reference, got 'slow'")
        #expect(mvm("--time", "-1s").failure == "--time: expected a duration >= 0, got -1s")
        #expect(mvm("--time", "1parsec").failure.hasPrefix("--time: invalid quantity \"1parsec\": expected a time"))
    }

    @Test func badMatrixFilesNameTheFileAndTheProblem() throws {
        let scratch = try Scratch()
        #expect(mvm("--weights", scratch.path + "/missing.npy").failure == "--weights: \(scratch.path)/missing.npy: no such file")
        #expect(mvm("--weights", scratch.path).failure == "--weights: \(scratch.path): is a directory, not a file")
        let empty = try scratch.npy("empty.npy", NPYArray(shape: [0, 4], values: []))
        #expect(mvm("--weights", empty).failure
            == "--weights: \(empty): shape [0, 4] is empty: expected at least one row and one column")
        let nan = try scratch.npy("nan.npy", NPYArray(shape: [2, 2], values: [1, 2, .nan, 0]))
        #expect(mvm("--inputs", nan).failure == "--inputs: \(nan): element [1][0] is nan: expected finite numbers")
        let vector = try scratch.npy("v.npy", NPYArray(shape: [3], values: [1, 2, 3]))
        #expect(mvm("--weights", vector).failure == "--weights: \(vector): expected a 2-D array, got shape [3]")
        let five = try scratch.npy("x5.npy", NPYArray(shape: [2, 5], values: Array(repeating: 1, count: 10)))
        #expect(mvm("--inputs", five).failure
            == "--inputs: \(five): vectors of 5 elements, but the weights have 256 rows (set --input-rows 5 for random weights of that size)")
        #expect(mvm("--inputs", five, "--input-rows", "5").exitCode == 0)
        let text = try scratch.file("w.npy", Data("not numpy".utf8))
        #expect(mvm("--weights", text).failure == "--weights: \(text): malformed file: not a .npy file (missing the \\x93NUMPY magic)")
    }

    @Test func badProfilesAreReportedWithTheirDiagnostics() throws {
        let scratch = try Scratch()
        let missing = acim(["mvm", "--profile", scratch.path + "/none.yaml"])
        #expect(missing.exitCode == 1)
        #expect(missing.errors == "\(scratch.path)/none.yaml: error: cannot load profile '\(scratch.path)/none.yaml': no such file\n1 error\n")
        let directory = acim(["mvm", "--profile", scratch.path])
        #expect(directory.errors == "\(scratch.path): error: cannot load profile '\(scratch.path)': is a directory, not a file\n1 error\n")
    }
}
