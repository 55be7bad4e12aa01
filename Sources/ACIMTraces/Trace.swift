/// A deployment trace: a header and time-ordered events.
public struct Trace: Sendable, Equatable {
    public struct Header: Sendable, Equatable {
        public var version: Int
        public var model: String?
        public var profile: String?
        public var data: String?
        public var seed: UInt64
        public var description: String?
    }
    public let path: String
    public let header: Header
    public let events: [TimedEvent]
}

public struct TimedEvent: Sendable, Equatable {
    public let line: Int
    public let time: Double
    public let event: TraceEvent
}

public enum TraceEvent: Sendable, Equatable {
    case deploy
    case infer(Inference)
    case subtask(String)
    case temperature(kelvin: Double, ramp: Double)
    case maintain
    case idle(duration: Double)
}

public struct Inference: Sendable, Equatable {
    public var inputs: InputSelection
    public var count: Int
    public var period: Double
    public var subtask: String?
}

public enum InputSelection: Sendable, Equatable {
    case range(Range<Int>)
    case indices([Int])
    case file(images: String, labels: String?)
}

public struct TraceDiagnostic: Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let line: Int
    public let message: String
    public let source: String
    public var description: String { "\(path):\(line): error: \(message)\n    \(source)" }
}

public struct TraceError: Error, Sendable, Equatable, CustomStringConvertible {
    public let diagnostics: [TraceDiagnostic]
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
