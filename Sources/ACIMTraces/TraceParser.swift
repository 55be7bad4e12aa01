import ACIMCore
import Foundation

/// Reads trace files (JSON Lines, docs/traces.md) and validates every line, reporting all problems of a file
/// in one `TraceError`.
public enum TraceParser {
    /// The largest trace file read: 64 MiB.
    public static let maximumFileSize = 64 << 20
    /// The longest line: 1 MiB.
    public static let maximumLineLength = 1 << 20
    /// The latest time a trace may reach, and the longest duration it may give: 1000 years, in seconds.
    public static let maximumTime = 1000 * 31_536_000.0
    /// The most inferences one `infer` event may run.
    public static let maximumEventInferences = 100_000_000
    /// The most inferences a whole trace may run.
    public static let maximumTraceInferences = 1_000_000_000

    /// Reads and validates the trace at `path`; `allowedRoots` are folders besides the trace's own that paths may point into.
    public static func load(path: String, allowedRoots: [String]) throws -> Trace {
        try parse(text(of: path), path: path, allowedRoots: allowedRoots)
    }

    /// Validates the trace `text` as if read from `path`: its paths are relative to the folder of `path`.
    public static func parse(_ text: String, path: String, allowedRoots: [String]) throws -> Trace {
        var reader = TraceReader(path: path, resolver: PathResolver(tracePath: path, allowedRoots: allowedRoots))
        let lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            reader.read(Substring(line), line: index + 1)
        }
        return try reader.finish()
    }

    /// The text of the file at `path`, refused before reading when the file is over `maximumFileSize`.
    static func text(of path: String) throws -> String {
        func refuse(_ message: String) -> TraceError {
            TraceError(diagnostics: [TraceDiagnostic(path: path, line: 0, message: message)])
        }
        if let problem = FileAccess.problem(reading: path) { throw refuse(problem) }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size <= maximumFileSize else {
            throw refuse("the file is \(bytes(size)); a trace file may be at most \(bytes(maximumFileSize))")
        }
        guard let data = try? FileAccess.contents(of: path) else { throw refuse("cannot read the file") }
        guard let text = String(data: data, encoding: .utf8) else { throw refuse("not UTF-8 text") }
        return text
    }

    /// A size in bytes for reading, such as `"64 MiB"`.
    static func bytes(_ count: Int) -> String { Quantity<Bytes>(Double(count)).formatted() }
}

/// The kinds of trace event and the keys each takes besides `t` and `event`.
enum EventKind: String, CaseIterable {
    case deploy, infer, subtask, temperature, maintain, idle

    var keys: [String] {
        switch self {
        case .deploy, .maintain: return []
        case .infer: return ["inputs", "labels", "count", "period", "subtask"]
        case .subtask: return ["subtask"]
        case .temperature: return ["value", "ramp"]
        case .idle: return ["duration"]
        }
    }

    /// Whether the event needs the network deployed first.
    var needsDeploy: Bool { self != .deploy && self != .temperature }
}

/// The trace read line by line: the header, the events, and every problem found.
struct TraceReader {
    static let headerKeys = ["format", "version", "model", "profile", "data", "seed", "description"]
    static let headerExample = #"{"format": "acimsim-trace", "version": 1}"#

    let path: String
    let resolver: PathResolver
    private var diagnostics: [TraceDiagnostic] = []
    private var header: Trace.Header?
    private var sawFirstLine = false
    private var events: [TimedEvent] = []
    private var deployLine: Int?
    private var previous: (line: Int, time: Double)?
    private var inferences = 0
    private var reportedMissingDeploy = false

    init(path: String, resolver: PathResolver) {
        self.path = path
        self.resolver = resolver
    }

    /// Reads one line (1-based `line`); blank lines are skipped.
    mutating func read(_ text: Substring, line: Int) {
        guard text.contains(where: { !$0.isWhitespace }) else { return }
        let problems = text.utf8.count > TraceParser.maximumLineLength
            ? ["the line is \(TraceParser.bytes(text.utf8.count)); a trace line may be at most "
               + TraceParser.bytes(TraceParser.maximumLineLength)]
            : problems(of: text, line: line)
        sawFirstLine = true
        let source = Self.source(text)
        diagnostics += problems.map { TraceDiagnostic(path: path, line: line, message: $0, source: source) }
    }

    /// The trace, or a `TraceError` with every problem found, in line order.
    func finish() throws -> Trace {
        var whole: [String] = []
        if !sawFirstLine {
            whole.append("empty trace: the first line must be a header such as \(Self.headerExample)")
        } else if deployLine == nil && !reportedMissingDeploy {
            whole.append("no 'deploy' event: a trace deploys the network once, before its first inference")
        }
        let all = whole.map { TraceDiagnostic(path: path, line: 0, message: $0) } + diagnostics
        guard all.isEmpty, let header else { throw TraceError(diagnostics: all) }
        return Trace(path: path, header: header, events: events)
    }

    /// The line as shown under a diagnostic: trimmed, and cut to 200 characters.
    static func source(_ text: Substring) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.count > 200 ? trimmed.prefix(197) + "..." : trimmed
    }

    /// The problems of one non-blank line, read as the header when it is the first.
    private mutating func problems(of text: Substring, line: Int) -> [String] {
        let object: [String: Any]
        do {
            object = try JSONValue.object(Data(text.utf8))
        } catch {
            return ["\(error)"]
        }
        var fields = LineFields(object: object)
        if sawFirstLine {
            readEvent(&fields, line: line)
        } else if object["format"] == nil && object["event"] != nil {
            fields.fail("missing header: the first line must be a header such as \(Self.headerExample)")
            readEvent(&fields, line: line)
        } else {
            readHeader(&fields)
        }
        return fields.problems
    }

    private mutating func readHeader(_ fields: inout LineFields) {
        fields.rejectUnknownKeys(allowed: Self.headerKeys, in: "the header")
        _ = fields.value("format", required: true, JSONValue.format)
        let version = fields.value("version", required: true, JSONValue.version)
        header = Trace.Header(
            version: version ?? 1,
            model: fields.value("model", resolver.file),
            profile: fields.value("profile", resolver.file),
            data: fields.value("data", resolver.file),
            seed: fields.value("seed", JSONValue.unsigned) ?? 1,
            description: fields.value("description", JSONValue.string))
    }

    private mutating func readEvent(_ fields: inout LineFields, line: Int) {
        let time = fields.value("t", required: true) { try JSONValue.seconds($0, allowingZero: true) }
        if let time { checkOrder(time, line: line, &fields) }
        guard let kind = fields.value("event", required: true, JSONValue.eventKind) else { return }
        fields.rejectUnknownKeys(allowed: ["t", "event"] + kind.keys, in: "the '\(kind.rawValue)' event")
        checkDeploy(kind, line: line, &fields)
        let event = readBody(of: kind, &fields)
        if let time, let event, fields.problems.isEmpty {
            events.append(TimedEvent(line: line, time: time, event: event))
        }
    }

    /// The event of `kind` from its keys, or nil when one is wrong.
    private mutating func readBody(of kind: EventKind, _ fields: inout LineFields) -> TraceEvent? {
        switch kind {
        case .deploy: return .deploy
        case .maintain: return .maintain
        case .infer: return readInference(&fields).map { .infer($0) }
        case .subtask: return fields.value("subtask", required: true, JSONValue.name).map { .subtask($0) }
        case .temperature:
            let kelvin = fields.value("value", required: true, JSONValue.kelvin)
            let ramp = fields.value("ramp") { try JSONValue.seconds($0, allowingZero: true) }
            return kelvin.map { .temperature(kelvin: $0, ramp: ramp ?? 0) }
        case .idle:
            let duration = fields.value("duration", required: true) { try JSONValue.seconds($0, allowingZero: false) }
            return duration.map { .idle(duration: $0) }
        }
    }

    private mutating func readInference(_ fields: inout LineFields) -> Inference? {
        let inputs = fields.value("inputs", required: true, resolver.inputs)
        let labels = fields.value("labels") { try resolver.labels($0, for: inputs) }
        let count = fields.value("count") { try JSONValue.integer($0, in: 1...Int.max) }
        let period = fields.value("period") { try JSONValue.seconds($0, allowingZero: true) } ?? 0
        let subtask = fields.value("subtask", JSONValue.name)
        guard var inputs else { return nil }
        if case let .file(images, _) = inputs, labels != nil { inputs = .file(images: images, labels: labels) }
        let inference = Inference(inputs: inputs, count: count ?? inputs.knownCount ?? 0, period: period,
                                  subtask: subtask)
        countInferences(inference.count, &fields)
        return inference
    }

    /// Checks one event's inferences against the limits of an event and of the whole trace.
    private mutating func countInferences(_ count: Int, _ fields: inout LineFields) {
        if count > TraceParser.maximumEventInferences {
            fields.fail("this event runs \(count) inferences; one event may run at most "
                        + "\(TraceParser.maximumEventInferences)")
        }
        let before = inferences
        inferences += count
        if before <= TraceParser.maximumTraceInferences && inferences > TraceParser.maximumTraceInferences {
            fields.fail("the trace runs \(inferences) inferences by this event; a trace may run at most "
                        + "\(TraceParser.maximumTraceInferences)")
        }
    }

    /// Times must not decrease; an event before its predecessor's time leaves the latest time in place.
    private mutating func checkOrder(_ time: Double, line: Int, _ fields: inout LineFields) {
        if let previous, time < previous.time {
            fields.fail("t: \(Quantity<Duration>(time).formatted()) is before the previous event's time, "
                        + "\(Quantity<Duration>(previous.time).formatted()) at line \(previous.line)")
        } else {
            previous = (line, time)
        }
    }

    /// One deploy per trace, before any event that needs the network on the chip.
    private mutating func checkDeploy(_ kind: EventKind, line: Int, _ fields: inout LineFields) {
        if kind == .deploy {
            if let deployLine {
                fields.fail("a second 'deploy': a trace deploys the network once (at line \(deployLine))")
            } else {
                deployLine = line
            }
        } else if kind.needsDeploy && deployLine == nil {
            fields.fail("'\(kind.rawValue)' before the network is deployed: a 'deploy' event must come first")
            reportedMissingDeploy = true
        }
    }
}

/// A problem with one value of a line, reported after its key.
struct FieldProblem: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The keys of one JSON object line, read one by one; every problem is kept, prefixed with its key.
struct LineFields {
    let object: [String: Any]
    private(set) var problems: [String] = []

    init(object: [String: Any]) { self.object = object }

    mutating func fail(_ message: String) { problems.append(message) }

    /// The value at `key` as `convert` reads it; nil when absent or wrong (a wrong value, or a missing
    /// required one, is a problem).
    mutating func value<T>(_ key: String, required: Bool = false, _ convert: (Any) throws -> T) -> T? {
        guard let raw = object[key] else {
            if required { fail("missing required key '\(key)'") }
            return nil
        }
        do {
            return try convert(raw)
        } catch {
            fail("\(key): \(error)")
            return nil
        }
    }

    /// A problem for each key not in `allowed`, in alphabetical order, with the nearest valid key suggested.
    mutating func rejectUnknownKeys(allowed: [String], in place: String) {
        for key in object.keys.sorted() where !allowed.contains(key) {
            fail(JSONValue.unknown("key", key, in: place, valid: allowed))
        }
    }
}

/// Conversions of JSON values (as `JSONSerialization` gives them) to a trace's types, throwing `FieldProblem`.
enum JSONValue {
    /// The JSON object on one line.
    static func object(_ data: Data) throws -> [String: Any] {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            throw FieldProblem("not valid JSON: " + reason.prefix(1).lowercased() + reason.dropFirst()
                .trimmingCharacters(in: CharacterSet(charactersIn: ".")))
        }
        guard let object = value as? [String: Any] else {
            throw FieldProblem("expected a JSON object on each line, got \(shown(value))")
        }
        return object
    }

    /// `"unknown key 'x' in the header (did you mean 'y'?)"`, or with the valid names listed.
    static func unknown(_ what: String, _ name: String, in place: String? = nil, valid: [String]) -> String {
        let message = "unknown \(what) '\(name)'" + (place.map { " in \($0)" } ?? "")
        if let near = Spelling.nearest(name, among: valid) { return message + " (did you mean '\(near)'?)" }
        return message + "; expected one of " + valid.joined(separator: ", ")
    }

    /// A JSON number, nil for anything else (a boolean included).
    static func number(_ raw: Any) -> NSNumber? {
        guard let number = raw as? NSNumber, number.objCType.pointee != CChar(UInt8(ascii: "c")) else { return nil }
        return number
    }

    /// A JSON value as a message shows it: strings quoted, numbers as written, containers by kind.
    static func shown(_ raw: Any) -> String {
        switch raw {
        case let text as String: return "\"" + (text.count > 60 ? text.prefix(57) + "..." : text) + "\""
        case is [Any]: return "a list"
        case is [String: Any]: return "an object"
        case is NSNull: return "null"
        default: break
        }
        guard let number = raw as? NSNumber else { return "\(raw)" }
        if self.number(raw) == nil { return number.boolValue ? "true" : "false" }
        return (number as? Int).map(String.init) ?? "\(number.doubleValue)"
    }

    static func string(_ raw: Any) throws -> String {
        guard let text = raw as? String else { throw FieldProblem("expected a string, got \(shown(raw))") }
        return text
    }

    /// A subtask's name: a non-empty string.
    static func name(_ raw: Any) throws -> String {
        guard let text = raw as? String, !text.isEmpty else {
            throw FieldProblem("expected a subtask such as \"0,1+2,3\" or \"all\", got \(shown(raw))")
        }
        return text
    }

    static func integer(_ raw: Any, in range: ClosedRange<Int>) throws -> Int {
        guard let value = number(raw) as? Int, range.contains(value) else {
            let bounds = range.upperBound == Int.max ? ">= \(range.lowerBound)" : "in \(range)"
            throw FieldProblem("expected an integer \(bounds), got \(shown(raw))")
        }
        return value
    }

    static func unsigned(_ raw: Any) throws -> UInt64 {
        guard let value = number(raw) as? UInt64 else {
            throw FieldProblem("expected an integer in 0...\(UInt64.max), got \(shown(raw))")
        }
        return value
    }

    static func format(_ raw: Any) throws {
        guard raw as? String == "acimsim-trace" else {
            throw FieldProblem("expected \"acimsim-trace\", got \(shown(raw))")
        }
    }

    static func version(_ raw: Any) throws -> Int {
        guard let version = number(raw) as? Int else { throw FieldProblem("expected 1, got \(shown(raw))") }
        guard version == 1 else { throw FieldProblem("unsupported version \(version); this acimsim reads version 1") }
        return version
    }

    static func eventKind(_ raw: Any) throws -> EventKind {
        let name = try string(raw)
        guard let kind = EventKind(rawValue: name) else {
            throw FieldProblem(unknown("event", name, valid: EventKind.allCases.map(\.rawValue)))
        }
        return kind
    }

    /// A value of dimension `D`: a string with a unit (a bare number in it is in base units) or a JSON number
    /// in base units.
    static func quantity<D: PhysicalDimension>(_ raw: Any, _: D.Type, example: String) throws -> Double {
        if let text = raw as? String { return try Quantity<D>(parsing: text).value }
        guard let number = number(raw) else {
            throw FieldProblem("expected a \(D.name) such as \"\(example)\" or a number (in \(D.baseUnit)), got \(shown(raw))")
        }
        return number.doubleValue
    }

    /// A time or duration in seconds, at most `TraceParser.maximumTime`, and above 0 unless `allowingZero`.
    static func seconds(_ raw: Any, allowingZero: Bool) throws -> Double {
        let seconds = try quantity(raw, Duration.self, example: "3d")
        guard allowingZero ? seconds >= 0 : seconds > 0, seconds <= TraceParser.maximumTime else {
            throw FieldProblem("expected a time \(allowingZero ? ">=" : ">") 0 and at most 1000 years, got \(shown(raw))")
        }
        return seconds
    }

    /// A temperature in kelvin, in 1 K...1000 K.
    static func kelvin(_ raw: Any) throws -> Double {
        let kelvin = try quantity(raw, Temperature.self, example: "85C")
        guard kelvin >= 1 && kelvin <= 1000 else {
            throw FieldProblem("expected a temperature in 1 K...1000 K, got \(shown(raw))")
        }
        return kelvin
    }
}

/// Paths named by a trace: relative to the trace's folder, resolved (`..` and symbolic links), and required
/// to stay inside the trace's folder or an allowed root and to name a readable file.
struct PathResolver {
    /// The trace's folder, resolved.
    let folder: String
    /// The other folders paths may point into, resolved.
    let allowedRoots: [String]

    init(tracePath: String, allowedRoots: [String]) {
        folder = Self.resolved(URL(fileURLWithPath: tracePath).deletingLastPathComponent().path)
        self.allowedRoots = allowedRoots.map { Self.resolved(URL(fileURLWithPath: $0).path) }
    }

    /// The absolute, resolved path of the readable file that `raw` names.
    func file(_ raw: Any) throws -> String {
        guard let given = raw as? String, !given.isEmpty else {
            throw FieldProblem("expected the path of a file, got \(JSONValue.shown(raw))")
        }
        let path = Self.resolved(given.hasPrefix("/") ? given : folder + "/" + given)
        guard ([folder] + allowedRoots).contains(where: { Self.isInside(path, $0) }) else {
            let roots = allowedRoots.isEmpty
                ? "(no other roots are allowed)" : "and the allowed roots " + allowedRoots.joined(separator: ", ")
            throw FieldProblem("'\(given)' resolves to \(path), outside the trace's folder \(folder) \(roots)")
        }
        if let problem = FileAccess.problem(reading: path) { throw FieldProblem("'\(given)': \(problem)") }
        return path
    }

    /// The inputs of an `infer` event: a range `"a:b"`, a list of indices, or a `.npy` file.
    func inputs(_ raw: Any) throws -> InputSelection {
        switch raw {
        case let text as String where text.hasSuffix(".npy"): return .file(images: try file(text), labels: nil)
        case let text as String where text.contains(":"): return .range(try Self.range(text))
        case let list as [Any]: return .indices(try Self.indices(list))
        default:
            throw FieldProblem("expected a range such as \"0:100\", a list of indices or the path of a .npy file, "
                               + "got \(JSONValue.shown(raw))")
        }
    }

    /// The labels file of an `infer` event, which only inputs from a `.npy` file may have.
    func labels(_ raw: Any, for inputs: InputSelection?) throws -> String {
        switch inputs {
        case .range?, .indices?: throw FieldProblem("only inputs from a .npy file take labels (the data set has its own)")
        case .file?, nil: break
        }
        guard let given = raw as? String, given.hasSuffix(".npy") else {
            throw FieldProblem("expected the path of a .npy file, got \(JSONValue.shown(raw))")
        }
        return try file(given)
    }

    /// `"a:b"` with 0 <= a < b.
    static func range(_ text: String) throws -> Range<Int> {
        let bounds = text.split(separator: ":", omittingEmptySubsequences: false).map { part -> Int? in
            part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber) ? Int(part) : nil
        }
        guard bounds.count == 2, let lower = bounds[0], let upper = bounds[1], lower < upper else {
            throw FieldProblem("expected a range \"a:b\" of data-set indices with 0 <= a < b, got \"\(text)\"")
        }
        return lower..<upper
    }

    /// A non-empty list of non-negative integers.
    static func indices(_ list: [Any]) throws -> [Int] {
        guard !list.isEmpty else { throw FieldProblem("expected at least one data-set index, got an empty list") }
        return try list.map { item in
            guard let index = JSONValue.number(item) as? Int, index >= 0 else {
                throw FieldProblem("expected data-set indices (integers >= 0), got \(JSONValue.shown(item))")
            }
            return index
        }
    }

    /// `path` with `..` and symbolic links resolved, when it exists; otherwise with `..` removed.
    static func resolved(_ path: String) -> String {
        guard let real = realpath(path, nil) else { return URL(fileURLWithPath: path).standardizedFileURL.path }
        defer { free(real) }
        return String(cString: real)
    }

    static func isInside(_ path: String, _ root: String) -> Bool {
        path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }
}
