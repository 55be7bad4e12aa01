import ACIMCore
import Foundation
import Testing

/// `acim bench` and `acim device`: nonsense sizes and values are refused before any work.
@Suite struct BenchDeviceCommandTests {
    func bench(_ arguments: String...) -> Outcome { acim(["bench", "--profile", defaultProfile] + arguments) }
    func stats(_ arguments: String...) -> Outcome { acim(["device", "stats", "--profile", defaultProfile] + arguments) }
    func lifetime(_ arguments: String...) -> Outcome { acim(["device", "lifetime", "--profile", defaultProfile] + arguments) }

    /// `--advance` sizes a chip from `--weights`: bounded, and named when the chip it needs cannot exist.
    @Test func benchAdvanceChecksItsWeights() {
        #expect(bench("--advance", "--weights", "0").failure == "--weights: expected an integer in 1...1000000000000, got 0")
        #expect(bench("--advance", "--weights", "9223372036854775807").failure
                == "--weights: expected an integer in 1...1000000000000, got 9223372036854775807")
        #expect(bench("--advance", "--weights", "50000000", "--rows", "8", "--cols", "8").failure
                == "--weights 50000000 needs 6250000 arrays on 781250 tiles of 8; a chip has at most 4096 tiles")
        #expect(bench("--advance", "--device-model", "mram").failure
                == "--device-model: expected one of ideal, pcm, hermes_pcm, state_independent, reram_cmo, got 'mram'")
        #expect(bench("--weights", "10").failure
                == "--weights and --device-model size the chip of --advance; without it they would be ignored")
    }

    @Test func benchRefusesResultsThatWouldBeNaN() {
        #expect(bench("--batch", "0").failure == "--batch: expected an integer >= 1, got 0")
        #expect(bench("--repetitions", "0").failure == "--repetitions: expected an integer >= 1, got 0")
        #expect(bench("--sparsity", "2").failure == "--sparsity: expected a value in 0...1, got 2")
        let cores = ProcessInfo.processInfo.activeProcessorCount
        #expect(bench("--threads", "1000").failure == "--threads: expected a value in 1...\(cores), got 1000")
        #expect(bench("--threads=-2").failure == "--threads: expected a value in 1...\(cores), got -2")
        #expect(bench("--threads", "-2").failure == "--threads: expected a value in 1...\(cores), got -2")
        #expect(bench("--batch", "1000000000").failure
            == "resource limit: --batch 1000000000 needs about 14.7 TiB; this machine has \(machineMemory)")
        #expect(bench("--batch", "0").exitCode == 1)
    }

    @Test func statsLevelsMustBeConductancesOfTheDevice() {
        let range = "expected conductances above 0S in g_min...g_max (0S...25uS)"
        #expect(stats("--levels", "0uS").failure == "--levels: 0S is outside the device's range: \(range)")
        #expect(stats("--levels", "5uS,30uS").failure == "--levels: 30uS is outside the device's range: \(range)")
        #expect(stats("--levels", "-1uS").failure == "--levels: -1uS is outside the device's range: \(range)")
        #expect(stats("--levels", "").failure == "--levels: expected at least one conductance, got an empty list")
        #expect(stats("--levels", "5uS,,25uS").failure.hasPrefix("--levels: invalid quantity \"\": expected a conductance"))
        #expect(stats("--times", "1h,-1s").failure == "--times: expected durations >= 0, got -1s")
        #expect(stats("--times", "").failure == "--times: expected at least one time, got an empty list")
    }

    @Test func statsSamplesAreBounded() {
        #expect(stats("--samples", "1").failure == "--samples: expected an integer >= 2, got 1")
        #expect(stats("--samples", "-5").failure == "--samples: expected an integer >= 2, got -5")
        #expect(stats("--samples", "1000000000000").failure
            == "resource limit: --samples 1000000000000 needs about 29.1 TiB; this machine has \(machineMemory)")
    }

    @Test func statsPrintsItsTableToTheConsole() {
        let outcome = stats("--levels", "5uS", "--times", "1h", "--samples", "100")
        #expect(outcome.exitCode == 0)
        #expect(outcome.output.hasPrefix("device model "))
        #expect(outcome.output.contains("\n5uS        1h        "))
    }

    @Test func lifetimeIntervalNeedsAController() throws {
        let scratch = try Scratch()
        let off = try scratch.file("off.yaml", Data("name: off\ncontroller:\n  enabled: false\n".utf8))
        #expect(acim(["device", "lifetime", "--profile", off, "--interval", "1d"]).failure
            == "--interval: no effect because the profile's controller is off (controller.enabled: false); leave it out")
    }

    @Test func lifetimeChecksItsIntervalAndBatch() {
        #expect(lifetime("--batch", "0").failure == "--batch: expected an integer >= 1, got 0")
        #expect(lifetime("--interval", "5").failure
            == "--interval: invalid check_interval: expected a time in 1min...1w, got 5s")
        #expect(lifetime("--interval", "-1d").failure
            == "--interval: invalid check_interval: expected a time in 1min...1w, got -1d")
        #expect(lifetime("--interval", "soon").failure.hasPrefix("--interval: invalid quantity \"soon\": expected a time"))
        #expect(lifetime("--batch", "1000000000").failure
            == "resource limit: --batch 1000000000 needs about 4.0 TiB; this machine has \(machineMemory)")
    }
}
