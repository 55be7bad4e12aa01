import ACIMCore
import Foundation

/// What one point gave: the figures `results.csv` lists. Absent figures are those the command does not
/// measure (no labels, no upkeep in `acim run`, no TOPS/W in a replay).
public struct PointResult: Codable, Sendable, Equatable {
    /// Fractions of the inferences right, and agreeing with the digital reference.
    public var accuracy: Double?
    public var agreement: Double?
    /// Seconds per inference.
    public var latency: Double?
    /// Joules per inference.
    public var energyPerInference: Double?
    public var topsPerWatt: Double?
    /// Chip area, square metres.
    public var area: Double
    /// Joules the device controller spent keeping the weights after deployment.
    public var upkeepEnergy: Double?

    public init(accuracy: Double?, agreement: Double?, latency: Double?, energyPerInference: Double?,
                topsPerWatt: Double?, area: Double, upkeepEnergy: Double?) {
        (self.accuracy, self.agreement) = (accuracy, agreement)
        (self.latency, self.energyPerInference, self.topsPerWatt) = (latency, energyPerInference, topsPerWatt)
        (self.area, self.upkeepEnergy) = (area, upkeepEnergy)
    }
}

/// A point's `status.json`: written when its task starts it and again when it ends.
public struct PointStatus: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        case running, done, failed
    }
    public var state: State
    /// Where and by which process the point runs or ran.
    public var host: String
    public var pid: Int32
    /// Seconds since 1970 when the point started; seconds it took once it ended.
    public var started: Double
    public var seconds: Double?
    /// The last lines of the error, when it failed.
    public var error: String?

    /// The status of a point this process starts now.
    public static func running() -> PointStatus {
        PointStatus(state: .running, host: ProcessInfo.processInfo.hostName, pid: getpid(),
                    started: Date().timeIntervalSince1970, seconds: nil, error: nil)
    }

    /// This status ended in `state`.
    public func ended(_ state: State, error: String? = nil) -> PointStatus {
        var ended = self
        ended.state = state
        ended.seconds = Date().timeIntervalSince1970 - started
        ended.error = error
        return ended
    }
}

/// Where a point stands, as `acim sweep status` shows it.
public enum PointState: Equatable, Sendable {
    case pending
    /// Running in a process on a host.
    case running(host: String, pid: Int32)
    /// Started on this host by a process that is gone: a task that was killed; it runs again.
    case interrupted
    case done(seconds: Double)
    case failed(error: String)

    /// A short name: pending, running, interrupted, done, failed.
    public var name: String {
        switch self {
        case .pending: "pending"
        case .running: "running"
        case .interrupted: "interrupted"
        case .done: "done"
        case .failed: "failed"
        }
    }
}

/// A folder planned by `acim sweep plan`: the manifest, and per point a folder with its profile, status,
/// result and log. Statuses and results are written atomically, so a folder read at any moment is whole.
public struct SweepFolder: Sendable {
    public static let manifestFile = "sweep.json"
    public let path: String
    public let manifest: SweepManifest

    /// The sweep planned in `path`.
    public init(path: String) throws {
        let file = (path as NSString).appendingPathComponent(Self.manifestFile)
        if FileAccess.problem(reading: file) != nil {
            throw ACIMError.io(path: path, reason: "holds no sweep (no \(Self.manifestFile)); plan one with acim sweep plan SWEEP.yaml --out \(path)")
        }
        do {
            manifest = try JSONDecoder().decode(SweepManifest.self, from: try FileAccess.contents(of: file))
        } catch let error as ACIMError {
            throw error
        } catch {
            throw ACIMError.malformedFile(path: file, reason: "not a sweep manifest")
        }
        guard manifest.format == "acimsim-sweep", manifest.version == 1 else {
            throw ACIMError.malformedFile(path: file, reason: "not a version 1 acimsim sweep manifest")
        }
        self.path = path
    }

    /// The path of `file` in `point`'s folder.
    public func file(_ file: String, of point: SweepPoint) -> String {
        ((path as NSString).appendingPathComponent(point.folder) as NSString).appendingPathComponent(file)
    }

    /// The path of something in the sweep folder.
    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    public func status(of point: SweepPoint) -> PointStatus? { Self.decode(PointStatus.self, file("status.json", of: point)) }

    public func result(of point: SweepPoint) -> PointResult? { Self.decode(PointResult.self, file("result.json", of: point)) }

    public func write(_ status: PointStatus, of point: SweepPoint) throws {
        try FileAccess.writeAtomically(try Self.json(status), to: file("status.json", of: point))
    }

    /// Writes the result, then the status that says the point is done.
    public func finish(_ point: SweepPoint, result: PointResult, status: PointStatus) throws {
        try FileAccess.writeAtomically(try Self.json(result), to: file("result.json", of: point))
        try write(status.ended(.done), of: point)
    }

    /// Forgets that `point` was started: it is pending again.
    public func reset(_ point: SweepPoint) {
        try? FileManager.default.removeItem(atPath: file("status.json", of: point))
    }

    public func state(of point: SweepPoint) -> PointState {
        guard let status = status(of: point) else { return .pending }
        switch status.state {
        case .done: return result(of: point) == nil ? .pending : .done(seconds: status.seconds ?? 0)
        case .failed: return .failed(error: status.error ?? "")
        case .running:
            if status.host == ProcessInfo.processInfo.hostName, kill(status.pid, 0) != 0, errno == ESRCH { return .interrupted }
            return .running(host: status.host, pid: status.pid)
        }
    }

    /// The points task `task` runs when each task runs `pointsPerTask` consecutive points.
    public func points(ofTask task: Int, pointsPerTask: Int) -> ArraySlice<SweepPoint> {
        let start = min(task * pointsPerTask, manifest.points.count)
        return manifest.points[start..<min(start + pointsPerTask, manifest.points.count)]
    }

    /// Tasks of `pointsPerTask` points that cover the sweep.
    public func taskCount(pointsPerTask: Int) -> Int { (manifest.points.count + pointsPerTask - 1) / pointsPerTask }

    static func decode<T: Decodable>(_ type: T.Type, _ path: String) -> T? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(type, from: data)
    }

    /// JSON with sorted keys, so the same value always gives the same bytes.
    static func json<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(value) + Data("\n".utf8)
    }
}
