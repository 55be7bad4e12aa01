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
    /// The data set whose rows `infer` events index, and the calibration rows that set the input scales.
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
    /// Events that happened at this step, for plots ("deploy", "subtask 2,3", "85 C", "maintain").
    public var events: [String]
}

/// A trace replayed on a chip: every event and inference in time order, the chip's clock advanced, the
/// device controller consulted, inferences run through the arrays and compared with the labels and the
/// digital reference. The replay is a value: its state after any step can be kept and continued.
public struct Replay: Sendable {
    public let trace: Trace
    let setup: ReplaySetup
    /// The next event to process.
    public private(set) var nextEvent = 0
    /// Steady traffic started by `infer` events and not yet done.
    var streams: [Stream] = []
    public private(set) var chip: Chip
    var controller: DeviceController
    /// The full network's mapping, and the gate-and-gain mappings of the subtasks served so far.
    var mappings: [String: MappedNetwork] = [:]
    /// The subtask served by inferences that name none, and the one whose gates the arrays hold.
    var subtask = "all"
    var gatesSet = "all"
    var ramp: (start: Double, from: Double, end: Double, to: Double)?
    /// Times the controller must be consulted although nothing else happens (the end of an idle period).
    var wakeups: [Double] = []
    /// Inferences run so far: the next one's identity.
    public private(set) var inferencesRun: UInt64 = 0
    public private(set) var deployment: MaintenanceReport?
    public private(set) var upkeep = ControllerCounters()
    public private(set) var switches = 0
    public private(set) var switchBytes = 0
    public private(set) var timeline: [TimelineRow] = []
    /// The costs of every inference so far, added up.
    public private(set) var costs: InferenceCosts?
    /// Events recorded since the last timeline row.
    var pendingMarks: [String] = []

    /// The inferences of one `infer` event still to run.
    struct Stream: Sendable {
        /// Rows of `images` the inferences cycle through.
        let inputs: [Int]
        let images: Tensor
        let labels: [Int?]
        let period: Double
        let subtask: String?
        var next: Double
        var done = 0
        let count: Int

        /// The row of the next inference.
        var row: Int { inputs[done % inputs.count] }
    }

    public init(trace: Trace, setup: ReplaySetup) throws {
        self.trace = trace
        self.setup = setup
        chip = setup.chip
        controller = try DeviceController(config: setup.chip.controller, seed: trace.header.seed)
        mappings["all"] = try MappedNetwork(setup.model.network, calibration: setup.calibration, chip: chip)
    }

    /// Whether every event and inference has been replayed.
    public var isFinished: Bool { nextEvent == trace.events.count && streams.isEmpty }

    /// The simulated time the replay has reached.
    public var time: Double { chip.time }

    /// Whether the device controller maintains the weights after deployment.
    public var controllerOn: Bool { setup.controller }

    /// Where the full network sits on the chip.
    public var placement: Placement { mappings["all"]!.placement }

    /// The time of the next thing to happen.
    var nextTime: Double? {
        let event = nextEvent < trace.events.count ? trace.events[nextEvent].time : nil
        return ([event, streams.map(\.next).min(), wakeups.min()] as [Double?]).compactMap { $0 }.min()
    }

    /// Replays one step: the events due at the next time, then the inferences falling in the step window
    /// that starts there; returns the timeline row it recorded, if any.
    @discardableResult
    public mutating func advance() throws -> TimelineRow? {
        guard let now = nextTime else { return nil }
        try moveClock(to: now)
        wakeups.removeAll { $0 <= now }
        var before = controller.counters
        while nextEvent < trace.events.count, trace.events[nextEvent].time == now {
            try apply(trace.events[nextEvent])
            // Deployment is not upkeep.
            if trace.events[nextEvent].event == .deploy { before = controller.counters }
            nextEvent += 1
        }
        if setup.controller && deployment != nil {
            var audit: DetectionAudit?
            _ = try controller.maintain(&chip, idle: true, host: nil, audit: &audit)
        }
        let (served, evaluations) = try runInferences(from: now)
        return record(at: now, inferences: evaluations, served: served, upkeep: controller.counters - before)
    }

    /// Runs every inference due in `[now, now + step)`, cut at the next event, at time `now`.
    /// Returns the subtasks served, in order, and their evaluations.
    private mutating func runInferences(from now: Double) throws -> (served: [String], evaluations: [ChipEvaluation]) {
        let end = min(now + setup.step, nextEvent < trace.events.count ? trace.events[nextEvent].time : .infinity)
        var groups: [String: (images: [Float], labels: [Int?])] = [:]
        var order: [String] = []
        let per = setup.model.network.inputShape.reduce(1, *)
        for k in streams.indices {
            while streams[k].done < streams[k].count, streams[k].next < end || streams[k].next == now {
                let stream = streams[k], row = stream.row
                let key = stream.subtask ?? subtask
                if groups[key] == nil { order.append(key); groups[key] = ([], []) }
                groups[key]!.images += stream.images.data[(row * per)..<((row + 1) * per)]
                groups[key]!.labels.append(stream.labels[row])
                streams[k].done += 1
                streams[k].next += stream.period
            }
        }
        streams.removeAll { $0.done == $0.count }
        var evaluations: [ChipEvaluation] = []
        for key in order {
            let mapped = try mapping(for: key)
            try setGates(key)
            let batch = groups[key]!
            let count = batch.labels.count
            let images = Tensor(shape: [count] + setup.model.network.inputShape, data: batch.images)
            let labels = batch.labels.contains(nil) ? nil : batch.labels.map { $0! }
            let evaluation = try mapped.evaluate(images, labels: labels, labelOf: labelOf(mapped, subtask: key),
                                                 on: &chip, engine: setup.engine, arrayEngine: setup.arrayEngine,
                                                 seed: trace.header.seed, firstInference: inferencesRun, batch: 64)
            inferencesRun += UInt64(count)
            costs = costs.map { $0 + evaluation.costs } ?? evaluation.costs
            evaluations.append(evaluation)
        }
        return (order, evaluations)
    }

    /// Moves the chip's clock to `time`, at the temperature a ramp in progress has reached.
    private mutating func moveClock(to time: Double) throws {
        var kelvin: Double?
        if let ramp {
            let fraction = ramp.end > ramp.start ? min(1, max(0, (time - ramp.start) / (ramp.end - ramp.start))) : 1
            kelvin = ramp.from + (ramp.to - ramp.from) * fraction
            if time >= ramp.end { self.ramp = nil }
        }
        try chip.advance(to: max(time, chip.time), temperature: kelvin)
    }

    /// Applies one event at the chip's time.
    private mutating func apply(_ event: TimedEvent) throws {
        switch event.event {
        case .deploy:
            let full = mappings["all"]!
            deployment = try full.deploy(on: &chip, controller: &controller, seed: trace.header.seed)
            try full.calibrateADCs(on: &chip, calibration: setup.calibration)
            pendingMarks.append("deploy")
        case let .infer(inference):
            streams.append(try stream(inference, at: event))
        case let .subtask(name):
            _ = try mapping(for: name)
            subtask = name
            pendingMarks.append("subtask \(name)")
        case let .temperature(kelvin, rampTime):
            if rampTime > 0 {
                ramp = (start: event.time, from: chip.temperature, end: event.time + rampTime, to: kelvin)
            } else {
                ramp = nil
                try chip.advance(to: chip.time, temperature: kelvin)
            }
            pendingMarks.append(Quantity<ACIMCore.Temperature>(kelvin).formatted())
        case .maintain:
            if setup.controller {
                var audit: DetectionAudit?
                _ = try controller.maintain(&chip, force: true, host: nil, audit: &audit)
            }
            pendingMarks.append("maintain")
        case let .idle(duration):
            // The chip is idle: due checks run now and again when the period ends.
            wakeups.append(event.time + duration)
            pendingMarks.append("idle")
        }
    }

    /// The traffic of an `infer` event, its inputs checked against the data.
    private mutating func stream(_ inference: Inference, at event: TimedEvent) throws -> Stream {
        let rows = setup.data.count
        func fail(_ message: String) -> TraceError {
            TraceError(diagnostics: [TraceDiagnostic(path: trace.path, line: event.line, message: message, source: "")])
        }
        var images = setup.data.images, labels: [Int?] = setup.data.labels
        let inputs: [Int]
        switch inference.inputs {
        case let .range(range):
            guard range.upperBound <= rows else { throw fail("inputs \(range.lowerBound):\(range.upperBound) go past the data set's \(rows) rows") }
            inputs = Array(range)
        case let .indices(list):
            guard let bad = list.first(where: { $0 >= rows }) else { inputs = list; break }
            throw fail("input \(bad) is past the data set's \(rows) rows")
        case let .file(path, labelsPath):
            let loaded = try Dataset.load(images: path, labels: labelsPath, shape: setup.model.network.inputShape)
            images = loaded.images
            labels = loaded.labels ?? [Int?](repeating: nil, count: loaded.images.shape[0])
            inputs = Array(0..<loaded.images.shape[0])
        }
        if let name = inference.subtask { _ = try mapping(for: name) }
        return Stream(inputs: inputs, images: images, labels: labels, period: inference.period, subtask: inference.subtask,
                      next: event.time, count: inference.count > 0 ? inference.count : inputs.count)
    }

    /// The mapping that serves `subtask`: the full network, or its gate-and-gain form on the same arrays.
    private mutating func mapping(for subtask: String) throws -> MappedNetwork {
        if let mapped = mappings[subtask] { return mapped }
        guard let san = setup.model.subtaskNetwork else {
            throw ACIMError.inconsistentParameters("subtask \(subtask): the model has no subtask masks")
        }
        let gating = try SubtaskPruner(san, calibration: setup.calibration).gating(try san.subtask(parsing: subtask))
        let mapped = try mappings["all"]!.switching(to: gating, calibration: setup.calibration, chip: chip)
        mappings[subtask] = mapped
        return mapped
    }

    /// Writes the gates of `subtask` into the arrays when another subtask's are there: a switch.
    private mutating func setGates(_ subtask: String) throws {
        guard subtask != gatesSet else { return }
        let mapped = try mapping(for: subtask)
        try mapped.setOutputGates(on: &chip)
        gatesSet = subtask
        switches += 1
        switchBytes += mapped.registerBytes
    }

    /// The label each output of `mapped` stands for, nil for outputs the subtask does not serve.
    private func labelOf(_ mapped: MappedNetwork, subtask: String) -> [Int?] {
        let classes = mapped.network.classes
        let numbers = classes.compactMap { Int($0) }
        let labels: [Int?] = numbers.count == classes.count ? numbers : Array(classes.indices)
        guard subtask != "all", let san = setup.model.subtaskNetwork, let parsed = try? san.subtask(parsing: subtask) else {
            return labels
        }
        let served = Set(san.classes(of: parsed))
        return labels.indices.map { served.contains($0) ? labels[$0] : nil }
    }

    /// Adds a timeline row for the step at `time`.
    private mutating func record(at time: Double, inferences: [ChipEvaluation]?, served: [String],
                                 upkeep stepUpkeep: ControllerCounters) -> TimelineRow? {
        upkeep += stepUpkeep
        let count = inferences?.reduce(0) { $0 + $1.inferences } ?? 0
        guard count > 0 || stepUpkeep.checksRun > 0 || !pendingMarks.isEmpty else { return nil }
        func mean(_ value: (ChipEvaluation) -> Double?) -> Double? {
            guard let inferences, count > 0 else { return nil }
            var total = 0.0
            for evaluation in inferences {
                guard let v = value(evaluation) else { return nil }
                total += v * Double(evaluation.inferences)
            }
            return total / Double(count)
        }
        let row = TimelineRow(
            time: time, temperature: chip.temperature, subtask: served.isEmpty ? subtask : served.joined(separator: " & "),
            inferences: count,
            accuracy: mean(\.accuracy), agreement: mean(\.agreement), logitError: mean(\.logitRelativeRMSError),
            energyPerInference: mean { $0.costs.energy }, latencyPerInference: mean { $0.costs.latency },
            checks: stepUpkeep.checksRun, weightsReprogrammed: stepUpkeep.cellsReprogrammed,
            upkeepEnergy: stepUpkeep.upkeepEnergy, events: pendingMarks)
        pendingMarks.removeAll()
        timeline.append(row)
        return row
    }
}
