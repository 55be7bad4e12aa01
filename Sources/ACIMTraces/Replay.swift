import ACIMArray
import ACIMChip
import ACIMCore
import ACIMHost
import ACIMNetwork

/// What a replay needs besides the trace: the chip it deploys on, the model and the data set its events
/// index, and how it runs.
public struct ReplaySetup: Sendable {
    /// An empty chip of the profile; each replay starts from a copy.
    public var chip: Chip
    public var model: Model
    /// The data set whose rows `infer` events index, and the calibration rows that set the input scales, both
    /// as the network reads them (the model's preprocessing applied).
    public var data: Dataset
    public var calibration: Dataset
    /// Whether the device controller keeps the weights healthy after deployment (off: no check, no repair).
    public var controller: Bool
    /// Inferences whose times fall within one step run together at the step's first time: the chip's clock
    /// moves once per step, and the controller is consulted once per step.
    public var step: Double
    public var engine: any MVMEngine
    public var arrayEngine: (any MVMEngine)?

    public init(chip: Chip, model: Model, data: Dataset, calibration: Dataset, controller: Bool, step: Double,
                engine: any MVMEngine, arrayEngine: (any MVMEngine)?) {
        self.chip = chip
        self.model = model
        self.data = data
        self.calibration = calibration
        self.controller = controller
        self.step = step
        self.engine = engine
        self.arrayEngine = arrayEngine
    }
}

/// One step of a replay as the timeline records it.
public struct TimelineRow: Sendable, Equatable, Codable {
    public var time: Double
    public var temperature: Double
    /// The subtasks served in the step, else the one that would be.
    public var subtask: String
    public var inferences: Int
    public var accuracy: Double?
    public var agreement: Double?
    public var logitError: Double?
    public var energyPerInference: Double?
    public var latencyPerInference: Double?
    public var checks: Int
    public var weightsReprogrammed: Int
    public var upkeepEnergy: Double
    /// Events of the step, for plots ("deploy", "subtask 2,3", "358 K", "maintain", "idle").
    public var events: [String]
}

/// Everything a replay has done and holds: what a checkpoint saves. The trace, the model and the data are
/// not part of it; the mappings are rebuilt from them.
public struct ReplayState: Sendable, Codable {
    /// The traffic of one `infer` event not yet done: its event, the inferences done, the next one's time.
    struct Stream: Sendable, Codable, Equatable {
        let event: Int
        var done: Int
        var next: Double
    }
    struct Ramp: Sendable, Codable, Equatable {
        let start: Double, from: Double, end: Double, to: Double
    }

    /// The next event to process.
    var nextEvent = 0
    var streams: [Stream] = []
    var chip: Chip
    var controller: DeviceController
    /// The subtask inferences naming none serve, and the one whose gates the arrays hold.
    var subtask = "all"
    var gatesSet = "all"
    var ramp: Ramp?
    /// Times the controller must be consulted although nothing else happens (the end of an idle period).
    var wakeups: [Double] = []
    /// Inferences run so far: the next one's identity.
    var inferencesRun: UInt64 = 0
    var deployment: ControllerCounters?
    var upkeep = ControllerCounters()
    var switches = 0
    var switchBytes = 0
    var energy = 0.0
    var latency = 0.0
    /// Multiply-accumulates of the inferences run, each on the network it ran on.
    var macs = 0.0
    var timeline: [TimelineRow] = []
    /// Events recorded since the last timeline row.
    var pendingMarks: [String] = []
}

/// A trace replayed on a chip: every event and inference in time order, the chip's clock advanced, the
/// device controller consulted, inferences run through the arrays and compared with the labels and the
/// digital reference. Its state after any step can be saved and continued (`state`, `init(trace:setup:state:)`).
public struct Replay: Sendable {
    public let trace: Trace
    let setup: ReplaySetup
    public private(set) var state: ReplayState
    /// The full network's mapping and the gate-and-gain mappings of subtasks served so far (rebuilt on demand).
    private var mappings: [String: MappedNetwork] = [:]
    /// The inputs of `infer` events by event index (read on demand).
    private var sources: [Int: (inputs: [Int], images: Tensor, labels: [Int?])] = [:]

    /// A replay at its start.
    public init(trace: Trace, setup: ReplaySetup) throws {
        let controller = try DeviceController(config: setup.chip.controller, seed: trace.header.seed)
        try self.init(trace: trace, setup: setup, state: ReplayState(chip: setup.chip, controller: controller))
    }

    /// A replay continuing from `state`.
    public init(trace: Trace, setup: ReplaySetup, state: ReplayState) throws {
        self.trace = trace
        self.setup = setup
        self.state = state
        mappings["all"] = try MappedNetwork(setup.model.network, calibration: setup.calibration, chip: setup.chip)
    }

    /// Whether every event and inference has been replayed.
    public var isFinished: Bool { state.nextEvent == trace.events.count && state.streams.isEmpty && state.wakeups.isEmpty }
    public var chip: Chip { state.chip }
    public var timeline: [TimelineRow] { state.timeline }
    /// Whether the device controller maintains the weights after deployment.
    public var controllerOn: Bool { setup.controller }
    /// Where the full network sits on the chip.
    public var placement: Placement { mappings["all"]!.placement }

    /// The time of the next thing to happen.
    var nextTime: Double? {
        let event = state.nextEvent < trace.events.count ? trace.events[state.nextEvent].time : nil
        return ([event, state.streams.map(\.next).min(), state.wakeups.min()] as [Double?]).compactMap { $0 }.min()
    }

    /// Replays one step: the events due at the next time, then the inferences falling in the step window
    /// that starts there; returns the timeline row it recorded, if any.
    @discardableResult
    public mutating func advance() throws -> TimelineRow? {
        guard let now = nextTime else { return nil }
        try moveClock(to: now)
        state.wakeups.removeAll { $0 <= now }
        var before = state.controller.counters
        while state.nextEvent < trace.events.count, trace.events[state.nextEvent].time == now {
            let event = trace.events[state.nextEvent]
            try apply(event, index: state.nextEvent)
            // Deployment is not upkeep.
            if event.event == .deploy { before = state.controller.counters }
            state.nextEvent += 1
        }
        if setup.controller && state.deployment != nil {
            var audit: DetectionAudit?
            _ = try state.controller.maintain(&state.chip, idle: true, host: nil, audit: &audit)
        }
        let (served, evaluations) = try runInferences(from: now)
        return record(at: now, inferences: evaluations, served: served, upkeep: state.controller.counters - before)
    }

    /// Runs every inference due in `[now, now + step)`, cut at the next event, at time `now`; returns the
    /// subtasks served, in order, and their evaluations.
    private mutating func runInferences(from now: Double) throws -> (served: [String], evaluations: [ChipEvaluation]) {
        let end = min(now + setup.step, state.nextEvent < trace.events.count ? trace.events[state.nextEvent].time : .infinity)
        var groups: [String: (images: [Float], labels: [Int?])] = [:]
        var order: [String] = []
        let per = setup.model.network.inputShape.reduce(1, *)
        for k in state.streams.indices {
            let event = state.streams[k].event
            guard case let .infer(inference) = trace.events[event].event else { continue }
            let source = try inputs(of: event, inference)
            let count = inference.count > 0 ? inference.count : source.inputs.count
            while state.streams[k].done < count, state.streams[k].next < end || state.streams[k].next == now {
                let row = source.inputs[state.streams[k].done % source.inputs.count]
                let key = inference.subtask ?? state.subtask
                if groups[key] == nil { order.append(key); groups[key] = ([], []) }
                groups[key]!.images += source.images.data[(row * per)..<((row + 1) * per)]
                groups[key]!.labels.append(source.labels[row])
                state.streams[k].done += 1
                state.streams[k].next += inference.period
            }
            if state.streams[k].done == count { state.streams[k].next = .infinity }
        }
        state.streams.removeAll { $0.next == .infinity }
        var evaluations: [ChipEvaluation] = []
        for key in order {
            let mapped = try mapping(for: key)
            try setGates(key)
            let batch = groups[key]!
            let count = batch.labels.count
            let images = Tensor(shape: [count] + setup.model.network.inputShape, data: batch.images)
            let labels = batch.labels.contains(nil) ? nil : batch.labels.map { $0! }
            let evaluation = try mapped.evaluate(images, labels: labels, labelOf: mapped.outputLabels,
                                                 on: &state.chip, engine: setup.engine, arrayEngine: setup.arrayEngine,
                                                 seed: trace.header.seed, firstInference: state.inferencesRun, batch: 64)
            state.inferencesRun += UInt64(count)
            state.energy += evaluation.costs.ledger.energy
            state.latency += evaluation.costs.latency * Double(count)
            state.macs += Double(evaluation.costs.macs) * Double(count)
            evaluations.append(evaluation)
        }
        return (order, evaluations)
    }

    /// Moves the chip's clock to `time`, at the temperature a ramp in progress has reached.
    private mutating func moveClock(to time: Double) throws {
        var kelvin: Double?
        if let ramp = state.ramp {
            let fraction = ramp.end > ramp.start ? min(1, max(0, (time - ramp.start) / (ramp.end - ramp.start))) : 1
            kelvin = ramp.from + (ramp.to - ramp.from) * fraction
            if time >= ramp.end { state.ramp = nil }
        }
        try state.chip.advance(to: max(time, state.chip.time), temperature: kelvin)
    }

    /// Applies event `index` at the chip's time.
    private mutating func apply(_ event: TimedEvent, index: Int) throws {
        switch event.event {
        case .deploy:
            let full = mappings["all"]!
            state.deployment = try full.deploy(on: &state.chip, controller: &state.controller, seed: trace.header.seed).total
            try full.calibrateADCs(on: &state.chip, calibration: setup.calibration)
            state.pendingMarks.append("deploy")
        case let .infer(inference):
            _ = try inputs(of: index, inference)
            if let name = inference.subtask { _ = try mapping(for: name) }
            state.streams.append(ReplayState.Stream(event: index, done: 0, next: event.time))
        case let .subtask(name):
            _ = try mapping(for: name)
            state.subtask = name
            state.pendingMarks.append("subtask \(name)")
        case let .temperature(kelvin, rampTime):
            if rampTime > 0 {
                state.ramp = ReplayState.Ramp(start: event.time, from: state.chip.temperature, end: event.time + rampTime, to: kelvin)
                state.wakeups.append(event.time + rampTime)
            } else {
                state.ramp = nil
                try state.chip.advance(to: state.chip.time, temperature: kelvin)
            }
            state.pendingMarks.append(Quantity<ACIMCore.Temperature>(kelvin).formatted())
        case .maintain:
            if setup.controller {
                var audit: DetectionAudit?
                _ = try state.controller.maintain(&state.chip, force: true, host: nil, audit: &audit)
            }
            state.pendingMarks.append("maintain")
        case let .idle(duration):
            // The chip is idle: due checks run now and again when the period ends.
            state.wakeups.append(event.time + duration)
            state.pendingMarks.append("idle")
        }
    }

    /// The inputs an `infer` event cycles through, checked against the data, read once.
    private mutating func inputs(of index: Int, _ inference: Inference) throws -> (inputs: [Int], images: Tensor, labels: [Int?]) {
        if let source = sources[index] { return source }
        let rows = setup.data.count
        let line = trace.events[index].line
        func fail(_ message: String) -> TraceError {
            TraceError(diagnostics: [TraceDiagnostic(path: trace.path, line: line, message: message, source: "")])
        }
        var source: (inputs: [Int], images: Tensor, labels: [Int?]) = ([], setup.data.images, setup.data.labels)
        switch inference.inputs {
        case let .range(range):
            guard range.upperBound <= rows else { throw fail("inputs \(range.lowerBound):\(range.upperBound) go past the data set's \(rows) rows") }
            source.inputs = Array(range)
        case let .indices(list):
            if let bad = list.first(where: { $0 >= rows }) { throw fail("input \(bad) is past the data set's \(rows) rows") }
            source.inputs = list
        case let .file(path, labelsPath):
            let loaded = try DataFile.npy(inputs: path, labels: labelsPath, inputShape: setup.model.network.inputShape)
            source = (Array(0..<loaded.images.shape[0]), setup.model.preprocessing.apply(to: loaded.images),
                      loaded.labels ?? [Int?](repeating: nil, count: loaded.images.shape[0]))
        }
        sources[index] = source
        return source
    }

    /// The mapping that serves `subtask`: the full network, or its gate-and-gain form on the same arrays.
    private mutating func mapping(for subtask: String) throws -> MappedNetwork {
        if let mapped = mappings[subtask] { return mapped }
        guard let san = setup.model.subtaskNetwork else {
            throw ACIMError.inconsistentParameters("subtask \(subtask): the model has no subtask masks")
        }
        let gating = try SubtaskPruner(san, calibration: setup.calibration).gating(try san.subtask(parsing: subtask))
        let mapped = try mappings["all"]!.switching(to: gating, calibration: setup.calibration, chip: setup.chip)
        mappings[subtask] = mapped
        return mapped
    }

    /// Writes the gates of `subtask` into the arrays when another subtask's are there: a switch.
    private mutating func setGates(_ subtask: String) throws {
        guard subtask != state.gatesSet else { return }
        let mapped = try mapping(for: subtask)
        try mapped.setOutputGates(on: &state.chip)
        state.gatesSet = subtask
        state.switches += 1
        state.switchBytes += mapped.registerBytes
    }

    /// Adds a timeline row for the step at `time`, when anything happened in it.
    private mutating func record(at time: Double, inferences: [ChipEvaluation], served: [String],
                                 upkeep stepUpkeep: ControllerCounters) -> TimelineRow? {
        state.upkeep += stepUpkeep
        let count = inferences.reduce(0) { $0 + $1.inferences }
        guard count > 0 || stepUpkeep.checksRun > 0 || !state.pendingMarks.isEmpty else { return nil }
        func mean(_ value: (ChipEvaluation) -> Double?) -> Double? {
            guard count > 0 else { return nil }
            var total = 0.0
            for evaluation in inferences {
                guard let v = value(evaluation) else { return nil }
                total += v * Double(evaluation.inferences)
            }
            return total / Double(count)
        }
        let row = TimelineRow(
            time: time, temperature: state.chip.temperature,
            subtask: served.isEmpty ? state.subtask : served.joined(separator: " & "), inferences: count,
            accuracy: mean(\.accuracy), agreement: mean(\.agreement), logitError: mean(\.logitRelativeRMSError),
            energyPerInference: mean { $0.costs.energy }, latencyPerInference: mean { $0.costs.latency },
            checks: stepUpkeep.checksRun, weightsReprogrammed: stepUpkeep.cellsReprogrammed,
            upkeepEnergy: stepUpkeep.upkeepEnergy, events: state.pendingMarks)
        state.pendingMarks.removeAll()
        state.timeline.append(row)
        return row
    }
}
