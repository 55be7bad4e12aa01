import ACIMArray
import ACIMChip
import ACIMCore
import ACIMHost
import ACIMNetwork
import Foundation
import Testing
@testable import ACIMTraces

/// The replay run: output folder, incremental files, checkpoints, and resumption to the same bytes.
@Suite struct ReplayRunTests {
    struct Interrupted: Error {}

    /// A fresh folder for one run's files.
    static func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("acimsim-run-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func run(_ folder: String, controller: [Bool] = [true, false], checkpointEvery: Int = 3) throws -> ReplayRun {
        let setups = try controller.map { try ReplayTests.setup(controller: $0) }
        let identity = RunIdentity(trace: "test.jsonl", traceBytes: Data("test".utf8), profile: "p", model: "m", data: "d",
                                   controller: controller.map { $0 ? "on" : "off" }, step: 3600, engine: "fast")
        return try ReplayRun(folder: folder, identity: identity, trace: ReplayTests.trace, setups: setups,
                             checkpointEvery: checkpointEvery)
    }

    static func files(_ folder: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in ["report.json", "timeline.csv", "accuracy.svg", "upkeep.svg"] {
            files[name] = try FileAccess.contents(of: folder + "/" + name)
        }
        return files
    }

    /// A run stopped after a step (as on SIGINT) or killed between checkpoints (its timeline grown past the
    /// checkpoint) and resumed ends with the same report, timeline and plots, byte for byte, as one never
    /// interrupted.
    @Test(arguments: [(5, false), (11, true), (16, true)]) func resumedRunsEndWithTheSameBytes(at step: Int, killed: Bool) throws {
        let whole = try Self.folder()
        let (summaries, finished) = try Self.run(whole).run(resume: false, force: false)
        #expect(finished && summaries.count == 2)
        let expected = try Self.files(whole)

        let broken = try Self.folder()
        var steps = 0
        do {
            let (_, done) = try Self.run(broken).run(resume: false, force: false, stop: { !killed && steps == step }) { _ in
                steps += 1
                if killed && steps == step { throw Interrupted() }
            }
            #expect(!done)
        } catch is Interrupted {}
        let report = try JSONDecoder().decode(ReplayReportFile.self, from: try FileAccess.contents(of: broken + "/report.json"))
        #expect(!report.finished)
        let (_, done) = try Self.run(broken).run(resume: true, force: false)
        #expect(done)
        #expect(try Self.files(broken) == expected)
    }

    /// A folder holding another run is refused unless forced; resuming needs the same run.
    @Test func foldersHoldingAnotherRunAreRefused() throws {
        let folder = try Self.folder()
        _ = try Self.run(folder, controller: [true]).run(resume: false, force: false)
        #expect {
            try Self.run(folder, controller: [true]).run(resume: false, force: false)
        } throws: { "\($0)".contains("holds another replay run; use --resume to continue it or --force to replace it") }
        #expect {
            try Self.run(folder, controller: [false]).run(resume: true, force: false)
        } throws: { "\($0)".contains("with other settings") }
        let (_, done) = try Self.run(folder, controller: [false]).run(resume: false, force: true)
        #expect(done)
        let empty = try Self.folder()
        #expect { try Self.run(empty + "/none", controller: [true]).run(resume: true, force: false) } throws: {
            "\($0)".contains("no such folder to resume")
        }
    }
}
