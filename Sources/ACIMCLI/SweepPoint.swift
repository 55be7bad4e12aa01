import ACIMCore
import ACIMProfiles
import ACIMSweeps
import ArgumentParser
import Foundation

/// How running one point of a sweep ended.
enum PointOutcome {
    case done(seconds: Double)
    case failed(error: String)
    /// Stopped by SIGINT or SIGTERM: a replay keeps its checkpoint and resumes from it; the point is pending again.
    case interrupted
}

/// Runs one point of a sweep in this process, as `acim run` or `acim replay` with the point's profile, and
/// records its status and result in its folder.
enum PointRunner {
    /// The command line of `point`: the command, the shared arguments, the point's profile, then its seed
    /// (run) or output folder (replay, resumed from its checkpoint when it has one).
    static func arguments(_ manifest: SweepManifest, point: SweepPoint, profile: String, replayFolder: String) -> [String] {
        var arguments = [manifest.command.rawValue] + manifest.arguments + ["--profile", profile]
        switch manifest.command {
        case .run:
            arguments += ["--seed", "\(point.seed ?? 1)"]
        case .replay:
            let resume = FileManager.default.fileExists(atPath: (replayFolder as NSString).appendingPathComponent("checkpoint.json"))
            arguments += resume ? ["--resume", replayFolder] : ["--out", replayFolder, "--force"]
        }
        return arguments
    }

    /// Runs `point` of `folder`: its status is `running` while it runs, then its result and `done` (or
    /// `failed` with the last lines of the error) are written atomically; what it wrote on standard error
    /// goes to its `log.txt`.
    static func run(_ point: SweepPoint, in folder: SweepFolder) -> PointOutcome {
        let status = PointStatus.running()
        do { try folder.write(status, of: point) } catch { return .failed(error: "\(error)") }
        let profile = folder.file("profile.yaml", of: point)
        let arguments = Self.arguments(folder.manifest, point: point, profile: profile,
                                       replayFolder: folder.file("replay", of: point))
        let console = Console()
        var outcome = PointOutcome.interrupted
        Console.$current.withValue(console) {
            do {
                let result = try measure(try Acim.parseAsRoot(arguments), profile: profile)
                try folder.finish(point, result: result, status: status)
                outcome = .done(seconds: folder.status(of: point)?.seconds ?? 0)
            } catch let code as ExitCode where code.rawValue == 130 {
                outcome = .interrupted
            } catch {
                let message = Acim.message(for: error)
                outcome = .failed(error: lastLines(console.errors + "\n" + message, 8))
            }
        }
        try? FileAccess.write(Data((console.errors + "\n").utf8), to: folder.file("log.txt", of: point))
        switch outcome {
        case .done: break
        case let .failed(error):
            if (try? folder.write(status.ended(.failed, error: error), of: point)) == nil { return .failed(error: error) }
        case .interrupted:
            folder.reset(point)
        }
        return outcome
    }

    /// Runs the parsed command and takes the sweep's figures from its report.
    private static func measure(_ command: any ParsableCommand, profile: String) throws -> PointResult {
        let area = try ProfileLoader.load(path: profile).makeChip().area
        switch command {
        case let run as Run:
            // The last configuration: the full network, or the subtask in its mode.
            guard let c = try run.report().configurations.last else { throw CLIError("the run reported nothing") }
            return PointResult(accuracy: c.accuracy, agreement: c.agreement, latency: c.latency, energyPerInference: c.energy,
                               topsPerWatt: c.topsPerWatt, area: area, upkeepEnergy: nil)
        case let replay as ReplayCommand:
            guard let s = try replay.replay().summaries.first else { throw CLIError("the replay reported nothing") }
            return PointResult(accuracy: s.end?.accuracy, agreement: s.end?.agreement, latency: s.latencyPerInference,
                               energyPerInference: s.energyPerInference, topsPerWatt: s.topsPerWatt, area: area,
                               upkeepEnergy: s.upkeep.energy)
        default:
            throw CLIError("a sweep point runs acim run or acim replay")
        }
    }
}

/// The `acim` executable that sweep tasks run: `ACIM_EXECUTABLE` when set, else this process's executable
/// when it is `acim`, else the `acim` beside it (as for the test runner in the build folder).
func acimExecutable() throws -> String {
    if let path = ProcessInfo.processInfo.environment["ACIM_EXECUTABLE"], !path.isEmpty { return path }
    let own = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        ?? Bundle.main.executablePath ?? CommandLine.arguments[0]
    if (own as NSString).lastPathComponent == "acim" { return own }
    let beside = ((own as NSString).deletingLastPathComponent as NSString).appendingPathComponent("acim")
    guard FileManager.default.isExecutableFile(atPath: beside) else {
        throw CLIError("cannot find the acim executable the tasks run (this is \(own)); set ACIM_EXECUTABLE")
    }
    return beside
}
