import ACIMCore
import Foundation
import Testing

/// `acim replay`: bad traces refused before any work, and a run killed with SIGKILL at random moments and
/// resumed ending byte for byte like an uninterrupted one.
@Suite struct ReplayCommandTests {
    /// A short trace on the default chip: deployment, traffic every 10 minutes for 3 hours, a subtask switch.
    static func trace(_ scratch: borrowing Scratch) throws -> String {
        let header = #"{"format": "acimsim-trace", "version": 1, "model": "\#(shippedModel)", "profile": "\#(defaultProfile)", "data": "\#(digits)", "seed": 2}"#
        let events = [
            #"{"t": 0, "event": "deploy"}"#,
            #"{"t": 0, "event": "infer", "inputs": "1437:1797", "count": 12, "period": "10min"}"#,
            #"{"t": "2h", "event": "subtask", "subtask": "0,1+2,3"}"#,
            #"{"t": "2h", "event": "infer", "inputs": [1437, 1438, 1440], "count": 6, "period": "10min"}"#,
            #"{"t": "3h", "event": "maintain"}"#,
        ]
        return try scratch.file("short.jsonl", Data(([header] + events).joined(separator: "\n").utf8))
    }

    @Test func badTracesAreReportedWithTheirLines() throws {
        let scratch = try Scratch()
        let bad = try scratch.file("bad.jsonl", Data(#"""
            {"format": "acimsim-trace", "version": 1}
            {"t": 0, "event": "deploy"}
            {"t": "1h", "event": "infer", "inputs": "0:10", "cont": 3}
            {"t": "30min", "event": "maintain"}
            """#.utf8))
        let run = acim(["replay", bad, "--out", scratch.path + "/out"])
        #expect(run.exitCode == 1)
        #expect(run.errors.contains("\(bad):3: error: "))
        #expect(run.errors.contains("\(bad):4: error: "))
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/out"))
        #expect(acim(["replay", try Self.trace(scratch), "--controller", "sometimes"]).failure
            == "--controller: expected on, off or both, got 'sometimes'")
        #expect(acim(["replay", try Self.trace(scratch), "--step", "0s"]).failure == "--step: expected a duration > 0, got 0s")
    }

    /// The `acim` executable built beside the test bundle.
    static var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("acim").path
    }

    static func acimProcess(_ arguments: [String], errors: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        if let errors {
            _ = FileManager.default.createFile(atPath: errors, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: errors)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        return process
    }

    /// Killed at random moments (SIGKILL: no chance to write anything) and resumed until done, the run
    /// ends with report.json and timeline.csv byte-identical to a run never interrupted.
    @Test func killedRunsResumeToTheSameReport() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.executable), "build acim first (swift build)")
        let scratch = try Scratch()
        let trace = try Self.trace(scratch)
        let common = ["--allow-root", packageRoot, "--checkpoint-every", "2", "--controller", "both"]
        let whole = try Self.acimProcess(["replay", trace, "--out", scratch.path + "/whole"] + common, errors: scratch.path + "/errors")
        whole.waitUntilExit()
        let errors = String(decoding: try FileAccess.contents(of: scratch.path + "/errors"), as: UTF8.self)
        #expect(whole.terminationStatus == 0, "\(Self.executable): \(errors)")
        let expected = try ["report.json", "timeline.csv"].map { try FileAccess.contents(of: scratch.path + "/whole/" + $0) }

        var rng = SystemRandomNumberGenerator()
        let out = scratch.path + "/killed"
        var process = try Self.acimProcess(["replay", trace, "--out", out] + common)
        // Three kills at random moments once the run has started (its run.json written), then to the end.
        var kills = 0
        while kills < 3 {
            while process.isRunning && !FileManager.default.fileExists(atPath: out + "/run.json") { usleep(5000) }
            usleep(UInt32.random(in: 200_000...3_000_000, using: &rng))
            guard process.isRunning else { break }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            kills += 1
            process = try Self.acimProcess(["replay", trace, "--resume", out] + common)
        }
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let resumed = try ["report.json", "timeline.csv"].map { try FileAccess.contents(of: out + "/" + $0) }
        #expect(resumed == expected, "after \(kills) kills")
    }
}
