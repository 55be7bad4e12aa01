/// An inference trace: a chip's deployment replayed over simulated time, read from a JSON Lines file
/// (docs/traces.md). Times are in seconds from the start of the trace, temperatures in kelvin, and paths
/// absolute with symbolic links resolved.
public struct Trace: Sendable, Equatable {
    /// The first line of a trace: the format version and the files the replay runs on.
    public struct Header: Sendable, Equatable {
        public var version: Int
        /// The model file (safetensors), when the trace names it; otherwise the command line gives it.
        public var model: String?
        /// The hardware profile, when the trace names it.
        public var profile: String?
        /// The data set (CSV) that `InputSelection.range` and `.indices` index, when the trace names it.
        public var data: String?
        /// The seed of the replay's random streams (1 when the trace does not set it).
        public var seed: UInt64
        public var description: String?

        public init(version: Int = 1, model: String? = nil, profile: String? = nil, data: String? = nil,
                    seed: UInt64 = 1, description: String? = nil) {
            self.version = version
            self.model = model
            self.profile = profile
            self.data = data
            self.seed = seed
            self.description = description
        }
    }

    /// The trace file.
    public let path: String
    public let header: Header
    /// The events in file order, which is the order of non-decreasing time.
    public let events: [TimedEvent]

    public init(path: String, header: Header, events: [TimedEvent]) {
        self.path = path
        self.header = header
        self.events = events
    }
}

/// One event of a trace at its simulated time.
public struct TimedEvent: Sendable, Equatable {
    /// The 1-based line of the event in the trace file.
    public let line: Int
    /// Seconds since the start of the trace.
    public let time: Double
    public let event: TraceEvent

    public init(line: Int, time: Double, event: TraceEvent) {
        self.line = line
        self.time = time
        self.event = event
    }
}

/// What happens to the chip at one time of a trace.
public enum TraceEvent: Sendable, Equatable {
    /// The network is programmed onto the chip through the device controller (once, before any inference).
    case deploy
    /// Inferences served from the event's time on.
    case infer(Inference)
    /// The subtask served from then on (`"all"` is the full network).
    case subtask(String)
    /// The chip's temperature: reached `ramp` seconds after the event by a linear ramp from the current
    /// temperature, or stepped to at the event when `ramp` is 0.
    case temperature(kelvin: Double, ramp: Double)
    /// A device-controller check of every array at the event's time.
    case maintain
    /// No inference for `duration` seconds from the event's time; controller checks that wait for an idle
    /// chip may run then.
    case idle(duration: Double)
}

/// The inferences of one `infer` event.
public struct Inference: Sendable, Equatable {
    public var inputs: InputSelection
    /// How many inferences run, cycling through the inputs. For `.range` and `.indices` it defaults to the
    /// number of inputs selected; for `.file`, 0 (the default) means every input of the file once.
    public var count: Int
    /// Seconds between consecutive inferences; 0 runs them all at the event's time.
    public var period: Double
    /// The subtask these inferences are served in; nil serves the current one (see `TraceEvent.subtask`).
    public var subtask: String?

    public init(inputs: InputSelection, count: Int, period: Double = 0, subtask: String? = nil) {
        self.inputs = inputs
        self.count = count
        self.period = period
        self.subtask = subtask
    }
}

/// The inputs an `infer` event runs.
public enum InputSelection: Sendable, Equatable {
    /// The data set's samples with these indices (half-open).
    case range(Range<Int>)
    /// The data set's samples with these indices, in this order.
    case indices([Int])
    /// Inputs from a `.npy` file, with their labels from another `.npy` file when given (absolute paths).
    case file(images: String, labels: String?)

    /// The number of inputs selected, when known without reading a file (nil for `.file`).
    public var knownCount: Int? {
        switch self {
        case let .range(range): return range.count
        case let .indices(indices): return indices.count
        case .file: return nil
        }
    }
}

/// One problem in a trace file, rendered like a compiler error: `path:line: error: message`, then the
/// offending line indented by four spaces.
public struct TraceDiagnostic: Sendable, Equatable, CustomStringConvertible {
    public let path: String
    /// 1-based; 0 for a problem of the whole file (unreadable, too large, no deploy event).
    public let line: Int
    public let message: String
    /// The offending line, cut to 200 characters; empty without a line.
    public let source: String

    public init(path: String, line: Int, message: String, source: String = "") {
        self.path = path
        self.line = line
        self.message = message
        self.source = source
    }

    public var description: String {
        guard line > 0 else { return "\(path): error: \(message)" }
        let location = "\(path):\(line): error: \(message)"
        return source.isEmpty ? location : location + "\n    " + source
    }
}

/// Every problem found in one trace file, in line order.
public struct TraceError: Error, Sendable, Equatable, CustomStringConvertible {
    public let diagnostics: [TraceDiagnostic]

    public init(diagnostics: [TraceDiagnostic]) { self.diagnostics = diagnostics }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
