import ACIMChip
import ACIMCore
import ACIMHost

/// What one replay of a trace showed, for the terminal summary and `report.json`.
public struct ReplaySummary: Sendable, Equatable, Codable {
    /// Accuracy and agreement at one step.
    public struct Point: Sendable, Equatable, Codable {
        public var time: Double
        public var accuracy: Double?
        public var agreement: Double
    }
    /// What keeping the weights healthy cost after deployment.
    public struct Upkeep: Sendable, Equatable, Codable {
        public var checks: Int
        public var weightsReprogrammed: Int
        public var programPulses: Int
        public var energy: Double
        /// Seconds of programming and checking.
        public var seconds: Double
        /// Cycles inference waited for the controller (checks that preempted).
        public var stallCycles: Int
        public var hostBytes: Int
    }
    public struct Deployment: Sendable, Equatable, Codable {
        public var weights: Int
        public var pulses: Int
        public var energy: Double
        public var seconds: Double
        public var hostBytes: Int
    }

    public var controller: Bool
    /// The simulated time the replay reached, in seconds.
    public var time: Double
    public var inferences: Int
    public var start: Point?
    public var end: Point?
    /// The step with the lowest agreement (then the lowest accuracy).
    public var worst: Point?
    public var energyPerInference: Double?
    public var latencyPerInference: Double?
    /// Tera-operations per joule over the inferences run (a MAC is two operations); nil before any ran.
    public var topsPerWatt: Double?
    public var deployment: Deployment?
    public var upkeep: Upkeep
    public var subtaskSwitches: Int
    public var switchBytes: Int

    /// The summary of `replay` as it stands.
    public init(_ replay: Replay) {
        self.init(state: replay.state, controller: replay.controllerOn, weights: replay.placement.weights)
    }

    /// The summary of a replay's `state`, with the controller on or off, of a network of `weights` weights.
    init(state: ReplayState, controller: Bool, weights: Int) {
        let served = state.timeline.filter { $0.inferences > 0 }
        func point(_ row: TimelineRow) -> Point { Point(time: row.time, accuracy: row.accuracy, agreement: row.agreement ?? 0) }
        self.controller = controller
        time = state.chip.time
        inferences = served.reduce(0) { $0 + $1.inferences }
        start = served.first.map(point)
        end = served.last.map(point)
        worst = served.min { ($0.agreement ?? 0, $0.accuracy ?? 0) < ($1.agreement ?? 0, $1.accuracy ?? 0) }.map(point)
        energyPerInference = inferences > 0 ? state.energy / Double(inferences) : nil
        latencyPerInference = inferences > 0 ? state.latency / Double(inferences) : nil
        topsPerWatt = inferences > 0 && state.energy > 0 ? 2 * state.macs / state.energy / 1e12 : nil
        deployment = state.deployment.map { total in
            Deployment(weights: weights, pulses: total.programPulses, energy: total.programEnergy,
                       seconds: total.programLatency, hostBytes: total.hostBytesTransferred)
        }
        let u = state.upkeep
        upkeep = Upkeep(checks: u.checksRun, weightsReprogrammed: u.cellsReprogrammed, programPulses: u.programPulses,
                        energy: u.upkeepEnergy, seconds: u.programLatency + Double(u.checkCycles) / state.chip.clock,
                        stallCycles: u.arrayUnavailableCycles, hostBytes: u.hostBytesTransferred)
        subtaskSwitches = state.switches
        switchBytes = state.switchBytes
    }
}

/// The timeline as CSV: a header line, then one line per recorded step of each replay.
public enum TimelineCSV {
    public static let header = "controller,time_s,temperature_K,subtask,inferences,accuracy,agreement,logit_error,"
        + "energy_per_inference_J,latency_per_inference_s,checks,weights_reprogrammed,upkeep_energy_J,events"

    /// One line (without its newline) for `row` of the replay with the controller `on` or off.
    public static func line(_ row: TimelineRow, controller on: Bool) -> String {
        func number(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }
        let fields = [on ? "on" : "off", "\(row.time)", "\(row.temperature)", quoted(row.subtask), "\(row.inferences)",
                      number(row.accuracy), number(row.agreement), number(row.logitError), number(row.energyPerInference),
                      number(row.latencyPerInference), "\(row.checks)", "\(row.weightsReprogrammed)", "\(row.upkeepEnergy)",
                      quoted(row.events.joined(separator: "; "))]
        return fields.joined(separator: ",")
    }

    /// A field quoted when it holds a comma, a quote or a line break.
    public static func quoted(_ text: String) -> String {
        guard text.contains(where: { ",\"\n\r".contains($0) }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
