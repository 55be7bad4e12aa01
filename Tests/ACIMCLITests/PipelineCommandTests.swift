import Foundation
import Testing

/// `acim run`'s pipelined schedule: the report's figures, the JSON, and the timeline drawn to a file.
@Suite struct PipelineCommandTests {
    @Test func runReportsThePipelineAndDrawsOneInference() throws {
        let scratch = try Scratch()
        let timeline = scratch.path + "/timeline.svg"
        let run = acim(["run", "--profile", defaultProfile, "--model", shippedModel, "--data", digits, "--count", "8", "--json",
                        "--timeline", timeline])
        #expect(run.exitCode == 0, "\(run)")
        let report = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as! [String: Any]
        let full = (report["configurations"] as! [[String: Any]])[0]
        let pipeline = full["pipeline"] as! [String: Any]
        let latency = pipeline["latencyCycles"] as! Int, interval = pipeline["intervalCycles"] as! Double
        // Pipelined, one inference takes less than layer by layer and a stream paces at the busiest array.
        #expect(latency > 0 && Double(latency) < full["latencyCycles"] as! Double)
        let bottleneck = Double(pipeline["bottleneckCycles"] as! Int)
        #expect(interval <= Double(latency) && abs(interval - bottleneck) <= 0.01 * bottleneck)
        #expect(pipeline["bottleneckLayer"] as? String == "conv2")
        // The default controller checks only idle arrays: a check round delays no inference.
        #expect((pipeline["checkCycles"] as! Int) > 0 && pipeline["checksPreempt"] as? Bool == false)
        #expect(pipeline["checkStallCycles"] as? Int == 0)
        let reshape = (pipeline["reshapes"] as! [[String: Any]])[0]
        #expect(reshape["node"] as? String == "flatten->fc" && reshape["kinds"] as? [String] == ["local"])
        // 512 bytes within tile 0: 8 setup + 512 / 128 cycles, against 100 + 1024 / 16 through DRAM.
        #expect(reshape["cycles"] as? Int == 12 && reshape["dramCycles"] as? Int == 164)
        let svg = try String(contentsOfFile: timeline, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("tile 0 array 1") && svg.contains("conv2") && svg.contains("tile memory 0"))
    }

    @Test func aTimelineThatCannotBeWrittenIsRefusedFirst() {
        let run = acim(["run", "--profile", defaultProfile, "--model", shippedModel, "--data", digits, "--count", "1",
                        "--timeline", "/nonexistent-dir/t.svg"])
        #expect(run.exitCode != 0 && run.failure.contains("--timeline /nonexistent-dir/t.svg"), "\(run)")
    }

    /// Spread over four tiles, the digits model's flatten crosses one link: 8 setup + 2 + 512 / 32 cycles.
    @Test func spreadPlacementMovesTheFlattenToTheNextTile() {
        let run = acim(["run", "--profile", defaultProfile, "--model", shippedModel, "--data", digits, "--count", "4",
                        "--placement", "spread"])
        #expect(run.exitCode == 0, "\(run)")
        #expect(run.output.contains("placement    4 arrays on 4 tiles"))
        #expect(run.output.contains("reshape      flatten->fc: 1 chunk (neighbour), 26 cycles"))
        let bad = acim(["map", "--profile", defaultProfile, "--model", shippedModel, "--placement", "wide"])
        #expect(bad.failure.contains("--placement: expected packed or spread, got 'wide'"), "\(bad)")
    }
}
