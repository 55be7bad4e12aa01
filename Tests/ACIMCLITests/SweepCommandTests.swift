import ACIMCore
import ACIMSweeps
import Foundation
import Testing

/// `acim sweep`: a dozen points of `acim run` on the digits model, one of which cannot run (the network does not
/// fit its one-tile chip), run by the local pool and, when a Slurm cluster answers, as a Slurm job array.
@Suite struct SweepCommandTests {
    /// ADC bits zipped with the chip's tiles (the 8-bit point has one tile), crossed with four array heights:
    /// at 64 rows the network needs 9 arrays, more than one tile holds, so exactly that point fails.
    static func sweep(_ scratch: borrowing Scratch) throws -> String {
        try scratch.file("sweep.yaml", Data("""
            command: run
            profile: \(defaultProfile)
            model: \(shippedModel)
            data: \(digits)
            options: {count: 12, batch: 12}
            zip:
              - periphery.adc.bits: [4, 6, 8]
                chip.tiles: [16, 16, 1]
            grid:
              array.rows: [64, 128, 256, 512]
            """.utf8))
    }

    static let failing = 8

    /// An option the command rejects is reported at the options' line and column, before anything is planned.
    @Test func badOptionsAreLocated() throws {
        let scratch = try Scratch()
        let file = try scratch.file("sweep.yaml", Data("""
            command: run
            profile: \(defaultProfile)
            model: \(shippedModel)
            options: {count: 12, batches: 4}
            grid:
              array.rows: [128, 256]
            """.utf8))
        let plan = acim(["sweep", "plan", file, "--out", scratch.path + "/planned"])
        #expect(plan.exitCode == 1)
        #expect(plan.errors.hasPrefix("\(file):4:10: error: options: "), "\(plan.errors)")
        #expect(plan.errors.contains("batches"), "\(plan.errors)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/planned"))
    }

    /// The folder planned without the estimate point, so that every point runs where the test runs it.
    static func plan(_ scratch: borrowing Scratch, _ name: String) throws -> String {
        let folder = scratch.path + "/" + name
        let plan = acim(["sweep", "plan", try sweep(scratch), "--out", folder, "--no-estimate"])
        #expect(plan.exitCode == 0, "\(plan)")
        #expect(plan.output == "\(folder): 12 points of acim run over periphery.adc.bits, chip.tiles, array.rows\n")
        return folder
    }

    static func csv(_ folder: String) throws -> String {
        String(decoding: try FileAccess.contents(of: folder + "/results.csv"), as: UTF8.self)
    }

    /// Checks a finished sweep's results: every point done but the one that cannot fit, whose error is kept.
    static func checkResults(_ folder: String) throws {
        let lines = try csv(folder).split(separator: "\n")
        #expect(lines.count == 13)
        #expect(lines[0] == "point,periphery.adc.bits,chip.tiles,array.rows,status,accuracy,agreement,latency_s,energy_per_inference_J,tops_per_watt,area_m2,upkeep_energy_J")
        #expect(lines[1 + failing] == "8,8,1,64,failed,,,,,,,")
        for (index, line) in lines.dropFirst().enumerated() where index != failing {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            #expect(fields[4] == "done", "\(line)")
            #expect((Double(fields[5]) ?? -1) > 0.5, "\(line)")
        }
        let status = acim(["sweep", "status", folder])
        #expect(status.output.contains("12 points: 11 done, 1 failed"), "\(status.output)")
        #expect(status.output.contains("the network needs 9 arrays"), "\(status.output)")
        for plot in ["pareto-energy.svg", "pareto-latency.svg"] {
            let svg = String(decoding: try FileAccess.contents(of: folder + "/" + plot), as: UTF8.self)
            #expect(svg.contains(">bits=4 tiles=16 rows=512</text>"))
            #expect(!svg.contains("tiles=1 rows=64"))
        }
    }

    @Test func theLocalPoolRunsEveryPointResumesAndRetriesOnRequest() throws {
        let scratch = try Scratch()
        let folder = try Self.plan(scratch, "local")
        // One point already done by a task in this process, one left "running" by a process that is gone.
        #expect(acim(["sweep", "task", folder, "--index", "3"]).exitCode == 0)
        let sweep = try SweepFolder(path: folder)
        var gone = PointStatus.running()
        gone.pid = try Self.finishedProcessID()
        try sweep.write(gone, of: sweep.manifest.points[5])
        #expect(sweep.state(of: sweep.manifest.points[5]) == .interrupted)

        let run = acim(["sweep", "run", folder, "--jobs", "2"])
        #expect(run.exitCode == 1, "\(run)")
        #expect(run.output.contains("point 8 (bits=8 tiles=1 rows=64): failed: "), "\(run.output)")
        #expect(!run.output.contains("point 3 "), "a finished point ran again: \(run.output)")
        #expect(run.output.contains("point 5 "), "an interrupted point did not run again: \(run.output)")
        #expect(run.output.contains("12 points: 11 done, 1 failed, 0 pending; ran 11 in"), "\(run.output)")
        try Self.checkResults(folder)

        let again = acim(["sweep", "run", folder, "--jobs", "2"])
        #expect(again.output.hasPrefix("\(folder): no point to run\n"), "\(again.output)")
        let retried = acim(["sweep", "run", folder, "--jobs", "2", "--retry-failed"])
        #expect(retried.output.contains("ran 1 in"), "\(retried.output)")
        #expect(retried.exitCode == 1)
        #expect(acim(["sweep", "task", folder, "--index", "12"]).failure == "--index: expected a value in 0...11, got 12")
        #expect(acim(["sweep", "status", scratch.path]).failure.contains("holds no sweep (no sweep.json)"))
    }

    /// A replay sweep over the controller's check interval: each point replays a short trace into its folder,
    /// and the results carry the upkeep the checks cost.
    @Test func aReplaySweepRecordsWhatUpkeepCosts() throws {
        let scratch = try Scratch()
        let trace = try ReplayCommandTests.trace(scratch)
        let sweep = try scratch.file("replay.yaml", Data("""
            command: replay
            trace: \(trace)
            options: {allow-root: \(packageRoot), step: 1h}
            grid:
              controller.check_interval: [10min, 1d]
            """.utf8))
        let folder = scratch.path + "/sweep"
        let plan = acim(["sweep", "plan", sweep, "--out", folder])
        #expect(plan.output.contains("estimate: point 0 took "), "\(plan)")
        #expect(acim(["sweep", "task", folder, "--index", "1"]).exitCode == 0)
        #expect(acim(["sweep", "collect", folder]).output.hasPrefix("2 points: 2 done, 0 failed, 0 pending\n"))
        let rows = try Self.csv(folder).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(rows[0].last == "upkeep_energy_J")
        #expect(rows.dropFirst().map { String($0[1]) } == ["10min", "1d"])
        #expect(rows.dropFirst().allSatisfy { $0[2] == "done" && (Double($0[7]) ?? 0) > 0.1 })
        let upkeep = rows.dropFirst().map { Double($0[9]) ?? -1 }
        #expect(upkeep[0] > upkeep[1] && upkeep[1] >= 0, "\(upkeep)")
        #expect(FileManager.default.fileExists(atPath: folder + "/points/0001/replay/report.json"))
    }

    /// The id of a process that has ended.
    static func finishedProcessID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    /// Whether a Slurm controller answers here; the Slurm test is skipped, and `make test` says so, when not.
    static let slurmReachable = Slurm().unreachable() == nil

    @Test(.enabled(if: slurmReachable, "no Slurm cluster answers `scontrol ping` (.ci/slurm-up starts one)"))
    func aSlurmJobArrayGivesTheLocalRunsResults() throws {
        let scratch = try Scratch()
        let local = try Self.plan(scratch, "local")
        #expect(acim(["sweep", "run", local, "--jobs", "2"]).exitCode == 1)
        let cluster = try Self.plan(scratch, "slurm")
        let limit = try Slurm().maxArraySize()
        let packed = max(1, (12 + limit - 1) / limit)
        let submit = acim(["sweep", "submit", cluster, "--time", "10:00", "--wait"])
        #expect(submit.output.contains("submitted job array "), "\(submit)")
        #expect(submit.output.contains("of up to \(packed) point"), "\(submit.output)")
        #expect(submit.output.contains("12 points: 11 done, 1 failed"), "\(submit.output)")
        #expect(try Self.csv(cluster) == Self.csv(local))
        try Self.checkResults(cluster)
        let script = String(decoding: try FileAccess.contents(of: cluster + "/slurm/sweep.sbatch"), as: UTF8.self)
        #expect(script.contains("#SBATCH --time=10:00\n"))
        #expect(script.contains(" sweep task '\(cluster)' --index \"$SLURM_ARRAY_TASK_ID\" --points-per-task \(packed)\n"))
        // Submitting again finds nothing to run; the failed point runs again on request, alone.
        #expect(acim(["sweep", "submit", cluster]).output == "\(cluster): no point to run\n")
        let refused = acim(["sweep", "submit", cluster, "--retry-failed", "--partition", "nowhere"])
        #expect(refused.exitCode == 1 && refused.failure.hasPrefix("sbatch: "), "\(refused)")
        let retry = acim(["sweep", "submit", cluster, "--retry-failed", "--wait"])
        #expect(retry.output.contains("(1 task of up to \(packed) point\(packed == 1 ? "" : "s"), --array=\(Self.failing / packed))"),
                "\(retry.output)")
    }
}
