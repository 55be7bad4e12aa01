import ACIMCore
import ACIMProfiles
@testable import ACIMSweeps
import Foundation
import Testing

/// The package root, for the bundled profile, model and data.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// A fresh folder holding a sweep file with `text`, the bundled files reachable as `ROOT/...`.
func sweepFile(_ text: String, name: String = "sweep.yaml") throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("acim-sweeps-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let path = folder + "/" + name
    try FileAccess.write(Data(text.replacingOccurrences(of: "ROOT", with: packageRoot).utf8), to: path)
    return path
}

/// The diagnostics a bad sweep gets, as `line:column: message`.
func problems(_ path: String) -> [String] {
    do {
        _ = try SweepPlan(spec: try SweepFileReader.load(path: path))
        return []
    } catch let error as SweepError {
        return error.diagnostics.map { "\($0.line):\($0.column): \($0.message)" }
    } catch {
        return ["\(error)"]
    }
}

let header = """
    command: run
    profile: ROOT/HardwareProfiles/default.yaml
    model: ROOT/Models/digits-san.safetensors

    """

/// Sweep files: expansion into points, and every problem of every point reported at once, where it is.
@Suite struct SweepFileTests {
    @Test func gridsZipsAndSeedsExpandFirstAxisSlowest() throws {
        let path = try sweepFile(header + """
            options: {count: 20, engine: fast}
            seeds: [1, 7]
            grid:
              periphery.adc.bits: [4, 8]
            zip:
              - array.rows: [64, 128, 256]
                energy.array.adc_conversion: [1pJ, 2pJ, "3pJ"]
            """)
        let plan = try SweepPlan(spec: try SweepFileReader.load(path: path))
        let manifest = plan.manifest
        #expect(manifest.points.count == 12)
        #expect(manifest.keys == ["periphery.adc.bits", "array.rows", "energy.array.adc_conversion"])
        #expect(manifest.seeded)
        #expect(manifest.arguments == ["--model", packageRoot + "/Models/digits-san.safetensors", "--count", "20", "--engine", "fast"])
        #expect(manifest.points.map(\.overrides).prefix(3) == [["4", "64", "1pJ"], ["4", "64", "1pJ"], ["4", "128", "2pJ"]])
        #expect(manifest.points.map(\.seed).prefix(4) == [1, 7, 1, 7])
        #expect(manifest.points[11].overrides == ["8", "256", "3pJ"])
        #expect(manifest.points[11].folder == "points/0011")
        #expect(manifest.points[5].label(keys: manifest.keys, seeds: true) == "bits=4 rows=256 adc_conversion=3pJ seed=7")
        // Each point's profile is the base with its overrides, fully resolved.
        let profile = try ProfileLoader.load(yaml: plan.profiles[11])
        #expect(profile.periphery.adc.bits == 8)
        #expect(profile.array.rows == 256)
        #expect(abs(profile.energy.array.adcConversion.value - 3e-12) < 1e-24)
    }

    @Test func everyProblemOfEveryPointIsReportedWhereItIsSet() throws {
        let path = try sweepFile(header + """
            grid:
              periphery.adc.bitz: [4]
              periphery.adc.bits: [4, 20]
              periphery.adc.columns_per_adc: [8, 24]
            """)
        #expect(problems(path) == [
            "5:3: unknown key 'bitz' in periphery.adc (did you mean 'bits'?)",
            "6:27: periphery.adc.bits: expected an integer in 1...16, got 20 (points 2, 3)",
            "7:38: periphery.adc.columns_per_adc: columns_per_adc (24) must divide cols (256) (point 1)",
        ])
    }

    @Test func badSweepsAreRefusedWithTheirPlace() throws {
        #expect(problems(try sweepFile(header + "grid: {}\n")) == ["4:7: grid: the grid is empty; give at least one profile key with its values"])
        #expect(problems(try sweepFile(header + "grid:\n  array.rows: []\n")) == ["5:15: array.rows: the list of values is empty; give at least one"])
        #expect(problems(try sweepFile(header)) == ["1:1: the sweep has no axis: give a grid of profile keys (grid: {periphery.adc.bits: [4, 6, 8]}), zip groups or several seeds"])
        let million = header + "grid:\n" + (1...6).map { "  energy.array.\(["cell_read", "adc_conversion", "dac_conversion", "wordline_drive", "shift_add", "sparsity_detection"][$0 - 1]): [\((1...10).map { "\($0)pJ" }.joined(separator: ", "))]" }.joined(separator: "\n")
        #expect(problems(try sweepFile(million)) == ["4:1: the sweep has 1,000,000 points (10 x 10 x 10 x 10 x 10 x 10); a sweep holds at most 10000: sweep fewer values or split it"])
        #expect(problems(try sweepFile(header + """
            comand: run
            seeds: [1, x, 1]
            options: {seed: 3, count: [1, 2]}
            zip:
              - array.rows: [64, 128]
                array.cols: [64]
            """)) == [
            "4:1: unknown key 'comand' in the sweep (did you mean 'command'?)",
            "5:12: seeds: expected unsigned 64-bit integers, got 'x'",
            "5:15: seeds: 1 is listed twice",
            "6:11: options: 'seed' is set by the sweep itself; list seeds under 'seeds'",
            "6:27: options.count: expected a single value, got a list",
            "9:17: array.cols: 1 values, but array.rows has 2; a zip group's lists advance together and need equal lengths",
        ])
        #expect(problems(try sweepFile("command: replay\nseeds: [1, 2]\n")) == [
            "1:1: missing required key 'trace': the deployment every point replays",
            "2:1: seeds: a replay takes its seed from the trace's header; sweep seeds with command run",
        ])
        #expect(problems(try sweepFile(header.replacingOccurrences(of: "digits-san", with: "missing") + "seeds: [1, 2]\n"))
            == ["3:8: model: \(packageRoot)/Models/missing.safetensors: no such file"])
        #expect(problems(try sweepFile(header + "grid:\n  array.rows: [64]\n  array.rows: [128]\n")).first?.contains("duplicate key 'array.rows'") == true)
        #expect(problems(try sweepFile(header + "grid:\n  array: [1]\n  array.rows: [64]\n")) == [
            "6:3: array.rows and array overlap; sweep one of them",
        ])
    }

    /// A folder holds one sweep: planning the same sweep again keeps it; another sweep, or other files, are refused.
    @Test func aFolderHoldsOneSweep() throws {
        let path = try sweepFile(header + "grid:\n  periphery.adc.bits: [4, 8]\n")
        let folder = (path as NSString).deletingLastPathComponent + "/out"
        let plan = try SweepPlan(spec: try SweepFileReader.load(path: path))
        let written = try plan.write(to: folder)
        #expect(written.manifest.points.count == 2)
        let point = written.manifest.points[1]
        try written.finish(point, result: PointResult(accuracy: 0.5, agreement: 1, latency: 2e-5, energyPerInference: 3e-7,
                                                      topsPerWatt: 1.5, area: 2e-5, upkeepEnergy: nil), status: .running())
        #expect(try plan.write(to: folder).state(of: point).name == "done")
        let other = try sweepFile(header + "grid:\n  periphery.adc.bits: [4, 6]\n")
        do {
            _ = try SweepPlan(spec: try SweepFileReader.load(path: other)).write(to: folder)
            Issue.record("a folder holding another sweep was accepted")
        } catch let error as ACIMError {
            #expect("\(error)".contains("holds another sweep"))
        }
        do {
            _ = try plan.write(to: (path as NSString).deletingLastPathComponent)
            Issue.record("a folder holding other files was accepted")
        } catch let error as ACIMError {
            #expect("\(error)".contains("is not empty and holds no sweep"))
        }
    }
}
