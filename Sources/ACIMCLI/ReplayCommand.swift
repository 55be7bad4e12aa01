import ACIMArray
import ACIMChip
import ACIMCore
import ACIMHost
import ACIMNetwork
import ACIMProfiles
import ACIMTraces
import ArgumentParser
import Foundation

/// Set by SIGINT and SIGTERM: the replay writes a checkpoint after its current step and stops.
nonisolated(unsafe) private var stopRequested: sig_atomic_t = 0

/// `acim replay`: a deployment trace replayed over simulated time on the chip.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a deployment trace on the chip over simulated time: accuracy, latency, energy and upkeep.",
        discussion: """
            The trace (docs/traces.md) deploys the network, then serves inferences, subtask switches, \
            temperature changes and maintenance in time order. The chip's cells drift as its clock moves; \
            the device controller checks and reprograms them from its digital references (--controller on), \
            or nothing maintains them (off), or both replays run from the same seed and are compared (both). \
            The report is written into --out as the replay goes: report.json, timeline.csv, accuracy.svg and \
            upkeep.svg (docs/reports.md). Every --checkpoint-every steps, and on Ctrl-C or SIGTERM, a \
            checkpoint is written; --resume DIR continues an interrupted run to the same report.
            """)

    @Argument(help: "Trace file (.jsonl).") var trace: String
    @Option(help: "Hardware profile; default: the trace's.") var profile: String?
    @Option(help: "Model file; default: the trace's.") var model: String?
    @Option(help: "Digits CSV data set the trace's inputs index; default: the trace's.") var data: String?
    @Option(help: "Output folder (default: the trace's name with -replay, in the working directory).") var out: String?
    @Option(help: "on: the device controller keeps the weights healthy; off: nothing does; both: replay twice and compare.")
    var controller = "on"
    @Option(parsing: .unconditional, help: "Inferences within one step run at the step's start; the chip's clock and the controller move per step.")
    var step = "1h"
    @Option(help: "fast | reference") var engine = "fast"
    @Option(name: .customLong("allow-root"), help: "A folder the trace's paths may point into, besides its own and the working directory (repeatable).")
    var allowRoots: [String] = []
    @Option(help: "Continue the interrupted run in this output folder.") var resume: String?
    @Flag(help: "Replace a run already in the output folder.") var force = false
    @Option(parsing: .unconditional, help: "Steps between checkpoints.") var checkpointEvery = 500
    @Flag(help: "Print the summary as JSON.") var json = false

    func run() throws {
        let replayed = try replay()
        if json { say(try sortedJSON(replayed.summaries)) } else {
            printSummaries(replayed.summaries, profile: replayed.profile, model: replayed.model, folder: replayed.folder)
        }
    }

    /// Replays the trace into its output folder and returns each replay's summary, with the profile's name,
    /// the model and the folder; a run stopped at a checkpoint ends with exit code 130.
    func replay() throws -> (summaries: [ReplaySummary], profile: String, model: String, folder: String) {
        let modes: [Bool]
        switch controller {
        case "on": modes = [true]
        case "off": modes = [false]
        case "both": modes = [true, false]
        default: throw CLIError("--controller: expected on, off or both, got '\(controller)'")
        }
        let stepSeconds = try parseQuantity(step, "--step", as: ACIMCore.Duration.self)
        guard stepSeconds > 0 else { throw CLIError("--step: expected a duration > 0, got \(step)") }
        try check(checkpointEvery, atLeast: 1, "--checkpoint-every")
        if resume != nil, out != nil { throw CLIError("--out: --resume names the output folder; leave --out out") }
        if resume != nil, force { throw CLIError("--force: --resume continues the run in the folder; it cannot also replace it") }
        let (engine, arrayEngine) = try mvmEngines(self.engine)
        let loaded: Trace
        do {
            let cwd = FileManager.default.currentDirectoryPath
            loaded = try TraceParser.load(path: trace, allowedRoots: [cwd] + allowRoots)
        } catch let error as TraceError {
            warn(error.description)
            throw ExitCode.failure
        }
        do {
            guard let profilePath = profile ?? loaded.header.profile else { throw CLIError("\(trace): no profile in the trace; give --profile") }
            guard let modelPath = model ?? loaded.header.model else { throw CLIError("\(trace): no model in the trace; give --model") }
            guard let dataPath = data ?? loaded.header.data else { throw CLIError("\(trace): no data set in the trace; give --data") }
            let hardware: HardwareProfile
            do { hardware = try ProfileLoader.load(path: profilePath) } catch let error as ProfileError { throw reportProfileError(error) }
            let network = try loadModel(modelPath)
            let source = try DataOption.parse(["--data=\(dataPath)"])
            let dataset = try source.labelled(for: network)
            let calibration = try source.splits(of: dataset).calibration
            let chip = try hardware.makeChip()
            let setups = modes.map { on in
                ReplaySetup(chip: chip, model: network, data: dataset, calibration: calibration, controller: on,
                            step: stepSeconds, engine: engine, arrayEngine: arrayEngine)
            }
            let folder = resume ?? out ?? (((trace as NSString).lastPathComponent as NSString).deletingPathExtension + "-replay")
            let identity = RunIdentity(trace: resolvedPath(trace), traceBytes: try FileAccess.contents(of: trace),
                                       profile: resolvedPath(profilePath), model: resolvedPath(modelPath),
                                       data: resolvedPath(dataPath), controller: modes.map { $0 ? "on" : "off" },
                                       step: stepSeconds, engine: self.engine)
            let run = try ReplayRun(folder: folder, identity: identity, trace: loaded, setups: setups, checkpointEvery: checkpointEvery)
            signal(SIGINT) { _ in stopRequested = 1 }
            signal(SIGTERM) { _ in stopRequested = 1 }
            defer {
                signal(SIGINT, SIG_DFL)
                signal(SIGTERM, SIG_DFL)
            }
            let bar = ProgressLine()
            let started = Date()
            let (summaries, finished) = try run.run(resume: resume != nil, force: force, stop: { stopRequested != 0 }) { p in
                let fraction = p.endTime > 0 ? p.time / p.endTime : 1
                let overall = (Double(p.replay) + fraction) / Double(p.replays)
                let elapsed = Date().timeIntervalSince(started)
                let eta = overall > 0.01 ? elapsed * (1 / overall - 1) : 0
                bar.show("replay \(p.replay + 1)/\(p.replays): event \(p.events)/\(p.totalEvents), "
                         + "\(Quantity<ACIMCore.Duration>(p.time).formatted()) of \(Quantity<ACIMCore.Duration>(p.endTime).formatted()), "
                         + "\(p.inferences) inferences, \(fmt(Double(p.inferences) / max(elapsed, 1e-3), 0))/s, ETA \(fmt(eta, 0)) s")
            }
            bar.clear()
            guard finished else {
                say("stopped at a checkpoint in \(folder); continue with: acim replay \(trace) --resume \(folder)")
                throw ExitCode(130)
            }
            return (summaries, hardware.name, modelPath, folder)
        } catch let error as ACIMError { throw CLIError(error.description) }
    }

    private func printSummaries(_ summaries: [ReplaySummary], profile: String, model: String, folder: String) {
        let span = Quantity<ACIMCore.Duration>(summaries.map(\.time).max() ?? 0).formatted()
        say("\(trace): \((model as NSString).lastPathComponent) on \(profile), \(summaries.first?.inferences ?? 0) inferences over \(span)")
        for s in summaries {
            say("")
            say("controller \(s.controller ? "on" : "off")")
            if let d = s.deployment {
                say("  deployment  \(d.weights) weights by write-verify: \(d.pulses) pulses, \(Quantity<Energy>(d.energy).formatted()), "
                      + "\(Quantity<ACIMCore.Duration>(d.seconds).formatted()); \(d.hostBytes) bytes from the host")
            }
            func point(_ label: String, _ p: ReplaySummary.Point?) -> String {
                guard let p else { return "" }
                return "\(label) \(p.accuracy.map(percent) ?? "-") (agreement \(percent(p.agreement))) at "
                    + Quantity<ACIMCore.Duration>(p.time).formatted()
            }
            say("  accuracy    " + [point("start", s.start), point("end", s.end), point("worst", s.worst)].joined(separator: "; "))
            if let e = s.energyPerInference, let l = s.latencyPerInference {
                say("  inference   \(Quantity<Energy>(e).formatted()) and \(Quantity<ACIMCore.Duration>(l).formatted()) per inference")
            }
            let u = s.upkeep
            say("  upkeep      \(u.checks) checks, \(u.weightsReprogrammed) weights reprogrammed (\(u.programPulses) pulses), "
                  + "\(Quantity<Energy>(u.energy).formatted()), \(Quantity<ACIMCore.Duration>(u.seconds).formatted()) busy, "
                  + "\(u.stallCycles) stall cycles, \(u.hostBytes) host bytes after deployment")
            if s.subtaskSwitches > 0 { say("  subtasks    \(s.subtaskSwitches) switches writing \(s.switchBytes) register bytes") }
        }
        say("")
        say("wrote       \(folder)/report.json, timeline.csv, accuracy.svg, upkeep.svg")
    }
}
