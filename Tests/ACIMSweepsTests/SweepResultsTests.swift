import ACIMCore
@testable import ACIMSweeps
import Foundation
import Testing

/// Results one row per point, the Pareto front, and what a Slurm submission is made of.
@Suite struct SweepResultsTests {
    @Test func resultsListEveryPointWithItsOverridesThenItsFigures() throws {
        let path = try sweepFile(header + "seeds: [1, 2]\ngrid:\n  periphery.adc.bits: [4, 8]\n")
        let folder = try SweepPlan(spec: try SweepFileReader.load(path: path)).write(to: (path as NSString).deletingLastPathComponent + "/out")
        let points = folder.manifest.points
        try folder.finish(points[0], result: PointResult(accuracy: 0.5, agreement: 0.75, latency: 2e-5, energyPerInference: 3e-7,
                                                         topsPerWatt: 1.5, area: 2e-5, upkeepEnergy: nil), status: .running())
        try folder.finish(points[3], result: PointResult(accuracy: 0.9, agreement: 1, latency: 4e-5, energyPerInference: 6e-7,
                                                         topsPerWatt: 0.75, area: 2e-5, upkeepEnergy: 1e-3), status: .running())
        try folder.write(PointStatus.running().ended(.failed, error: "the network needs 9 arrays"), of: points[1])
        let results = SweepResults(folder: folder)
        #expect(results.csv == """
            point,periphery.adc.bits,seed,status,accuracy,agreement,latency_s,energy_per_inference_J,tops_per_watt,area_m2,upkeep_energy_J
            0,4,1,done,0.5,0.75,2e-05,3e-07,1.5,2e-05,
            1,4,2,failed,,,,,,,
            2,8,1,pending,,,,,,,
            3,8,2,done,0.9,1.0,4e-05,6e-07,0.75,2e-05,0.001

            """)
        let written = try results.write(into: folder)
        #expect(written.map { ($0 as NSString).lastPathComponent } == SweepResults.files)
        let json = try JSONSerialization.jsonObject(with: try FileAccess.contents(of: folder.file("results.json"))) as? [String: Any]
        let rows = json?["points"] as? [[String: Any]]
        #expect(rows?.count == 4)
        #expect((rows?[1]["overrides"] as? [String: String]) == ["periphery.adc.bits": "4"])
        #expect(rows?[1]["status"] as? String == "failed")
        // Both plots label every finished point by its overrides.
        let plots = results.paretoPlots()
        for svg in [plots.energy, plots.latency] {
            #expect(svg.contains(">bits=4 seed=1</text>"))
            #expect(svg.contains(">bits=8 seed=2</text>"))
        }
    }

    @Test func theParetoFrontKeepsPointsNoOtherBeats() {
        let front = SweepResults.paretoFront([(3, 90), (1, 50), (2, 40), (2, 80), (4, 85), (5, 95)])
        #expect(front.map(\.x) == [1, 2, 3, 5])
        #expect(front.map(\.y) == [50, 80, 90, 95])
    }

    @Test func arrayIndicesAndTheBatchScript() {
        #expect(arraySpec([0, 1, 2, 3, 7, 9, 10]) == "0-3,7,9-10")
        #expect(arraySpec([4]) == "4")
        let script = SlurmScript(executable: "/opt/acim's/acim", folder: "/scratch/sweep", array: "0-3", pointsPerTask: 3,
                                 retryFailed: false, partition: "short", time: "30:00", extra: ["--account=lab"])
        #expect(script.text == """
            #!/bin/sh
            # An acimsim sweep's job array, written by acim sweep submit: each array task runs the points it holds.
            #SBATCH --job-name=acim-sweep
            #SBATCH --array=0-3
            #SBATCH --output=/scratch/sweep/slurm/task-%A_%a.log
            #SBATCH --time=30:00
            #SBATCH --partition=short
            #SBATCH --account=lab
            exec '/opt/acim'\\''s/acim' sweep task '/scratch/sweep' --index "$SLURM_ARRAY_TASK_ID" --points-per-task 3

            """)
        #expect(script.collection(after: "42") == ["--job-name=acim-sweep-collect", "--dependency=afterany:42",
            "--output=/scratch/sweep/slurm/collect-%j.log", "--partition=short", "--account=lab",
            "--wrap", "exec '/opt/acim'\\''s/acim' sweep collect '/scratch/sweep'"])
    }
}
