import ACIMCore
import ACIMHost
import Foundation

/// What identifies a replay run: an output folder holding another run is refused.
public struct RunIdentity: Sendable, Equatable, Codable {
    public var format = "acimsim-replay"
    public var version = 1
    public var trace: String
    /// FNV-1a 64 of the trace file's bytes, in hexadecimal.
    public var traceHash: String
    public var profile: String
    public var model: String
    public var data: String
    /// The replays in order: "on" (the device controller maintains the weights), "off".
    public var controller: [String]
    public var step: Double
    public var engine: String

    public init(trace: String, traceBytes: Data, profile: String, model: String, data: String, controller: [String],
                step: Double, engine: String) {
        self.trace = trace
        traceHash = String(fnv1a64(traceBytes), radix: 16)
        self.profile = profile
        self.model = model
        self.data = data
        self.controller = controller
        self.step = step
        self.engine = engine
    }
}

/// `report.json`: the run and each replay's summary.
public struct ReplayReportFile: Sendable, Equatable, Codable {
    public var schema = "acimsim-replay-report"
    public var version = 1
    public var run: RunIdentity
    /// False while the run is under way (the report of a checkpoint).
    public var finished: Bool
    public var replays: [ReplaySummary]
}

/// A checkpoint: the state of every replay of the run so far (the finished ones and the current one).
struct Checkpoint: Sendable, Codable {
    var run: RunIdentity
    var states: [ReplayState]
}

/// A replay run writing into an output folder as it goes: `timeline.csv` grows row by row, and every
/// `checkpointEvery` steps (and when asked to stop) the checkpoint, `report.json` and the plots are written
/// atomically. A run resumed from its checkpoint, after any interruption, ends with the same `report.json`
/// and `timeline.csv`, byte for byte, as one never interrupted.
public struct ReplayRun {
    public let folder: String
    public let identity: RunIdentity
    let trace: Trace
    let setups: [ReplaySetup]
    public var checkpointEvery: Int
    /// Weights the network places on the chip, for the summaries.
    let weights: Int

    public static let files = ["report.json", "timeline.csv", "accuracy.svg", "upkeep.svg", "checkpoint.json", "run.json"]

    /// Progress: the replay's index, its steps so far, events done of all, and the simulated time reached.
    public struct Progress: Sendable {
        public var replay: Int
        public var replays: Int
        public var events: Int
        public var totalEvents: Int
        public var time: Double
        public var endTime: Double
        public var inferences: UInt64
    }

    /// A run of `trace` with each of `setups` in turn (the same chip and model, the controller on or off),
    /// writing into `folder`.
    public init(folder: String, identity: RunIdentity, trace: Trace, setups: [ReplaySetup], checkpointEvery: Int) throws {
        guard let first = setups.first else { throw ACIMError.inconsistentParameters("a replay run needs at least one replay") }
        self.folder = folder
        self.identity = identity
        self.trace = trace
        self.setups = setups
        self.checkpointEvery = checkpointEvery
        weights = try Placement(first.model.network, on: first.chip).weights
    }

    /// Prepares the output folder: creates it, or accepts it when empty; one holding a run is refused
    /// unless `resume` (the same run: its checkpoint is returned) or `force` (its files are removed).
    func prepare(resume: Bool, force: Bool) throws -> Checkpoint? {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: folder, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ACIMError.io(path: folder, reason: "is a file, not a folder") }
        } else {
            guard !resume else { throw ACIMError.io(path: folder, reason: "no such folder to resume") }
            do { try manager.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
                throw ACIMError.io(path: folder, reason: "cannot create the folder")
            }
        }
        let runPath = path("run.json")
        let held = manager.fileExists(atPath: runPath)
        if resume {
            guard held, let data = manager.contents(atPath: runPath),
                  let other = try? JSONDecoder().decode(RunIdentity.self, from: data) else {
                throw ACIMError.io(path: folder, reason: "holds no replay run to resume")
            }
            guard other == identity else {
                throw ACIMError.inconsistentParameters("\(folder) holds a run of \(other.trace) with other settings; resume it with the same trace, profile, model and options, or use --force to start over")
            }
            guard manager.fileExists(atPath: path("checkpoint.json")) else { return nil }
            let checkpoint = try StateCoding.decode(Checkpoint.self, from: try FileAccess.contents(of: path("checkpoint.json")),
                                                    path: path("checkpoint.json"))
            guard checkpoint.run == identity else { throw ACIMError.malformedFile(path: path("checkpoint.json"), reason: "it belongs to another run") }
            return checkpoint
        }
        if held || Self.files.contains(where: { manager.fileExists(atPath: path($0)) }) {
            guard force else {
                throw ACIMError.inconsistentParameters("\(folder) holds another replay run; use --resume to continue it or --force to replace it")
            }
            for file in Self.files { try? manager.removeItem(atPath: path(file)) }
        }
        try FileAccess.writeAtomically(try Self.json(identity), to: runPath)
        return nil
    }

    /// Runs (or resumes) every replay to its end, or until `stop` returns true after a step (a checkpoint
    /// is then written); returns the summaries of the replays and whether the run finished. `progress` is
    /// called after every step; an error it throws ends the run where it is, as a crash would.
    public func run(resume: Bool, force: Bool, stop: () -> Bool = { false },
                    progress: (Progress) throws -> Void = { _ in }) throws -> (summaries: [ReplaySummary], finished: Bool) {
        let checkpoint = try prepare(resume: resume, force: force)
        var states = checkpoint?.states ?? []
        try writeTimeline(states)
        let endTime = trace.events.last?.time ?? 0
        for (index, setup) in setups.enumerated() {
            if index < states.count - 1 { continue }
            var replay = index < states.count ? try Replay(trace: trace, setup: setup, state: states[index])
                : try Replay(trace: trace, setup: setup)
            if index == states.count { states.append(replay.state) }
            var steps = 0
            let handle = try appendHandle()
            defer { try? handle.close() }
            while !replay.isFinished {
                if let row = try replay.advance() {
                    try handle.write(contentsOf: Data((TimelineCSV.line(row, controller: setup.controller) + "\n").utf8))
                }
                steps += 1
                try progress(Progress(replay: index, replays: setups.count, events: replay.state.nextEvent,
                                  totalEvents: trace.events.count, time: replay.chip.time, endTime: endTime,
                                  inferences: replay.state.inferencesRun))
                states[index] = replay.state
                let stopping = stop()
                if stopping || steps % checkpointEvery == 0 {
                    try save(states, finished: false)
                    if stopping { return (summaries(states), false) }
                }
            }
            states[index] = replay.state
        }
        try save(states, finished: true)
        return (summaries(states), true)
    }

    private func summaries(_ states: [ReplayState]) -> [ReplaySummary] {
        zip(setups, states).map { setup, state in ReplaySummary(state: state, controller: setup.controller, weights: weights) }
    }

    /// Writes the checkpoint, the whole timeline, the report and the plots, each atomically.
    private func save(_ states: [ReplayState], finished: Bool) throws {
        try FileAccess.writeAtomically(try StateCoding.encode(Checkpoint(run: identity, states: states)), to: path("checkpoint.json"))
        try writeTimeline(states)
        let report = ReplayReportFile(run: identity, finished: finished, replays: summaries(states))
        try FileAccess.writeAtomically(try Self.json(report), to: path("report.json"))
        let plots = ReplayPlots(states: states, controller: setups.map(\.controller), trace: trace)
        try FileAccess.writeAtomically(Data(plots.accuracy.svg().utf8), to: path("accuracy.svg"))
        try FileAccess.writeAtomically(Data(plots.upkeep.svg().utf8), to: path("upkeep.svg"))
    }

    /// Rewrites `timeline.csv` from the replays' rows so far.
    private func writeTimeline(_ states: [ReplayState]) throws {
        var text = TimelineCSV.header + "\n"
        for (setup, state) in zip(setups, states) {
            for row in state.timeline { text += TimelineCSV.line(row, controller: setup.controller) + "\n" }
        }
        try FileAccess.writeAtomically(Data(text.utf8), to: path("timeline.csv"))
    }

    private func appendHandle() throws -> FileHandle {
        guard let handle = FileHandle(forWritingAtPath: path("timeline.csv")) else {
            throw ACIMError.io(path: path("timeline.csv"), reason: "cannot open the file for writing")
        }
        try handle.seekToEnd()
        return handle
    }

    private func path(_ file: String) -> String { (folder as NSString).appendingPathComponent(file) }

    static func json<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(value)
    }
}
