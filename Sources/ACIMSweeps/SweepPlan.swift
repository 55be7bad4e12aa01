import ACIMCore
import ACIMProfiles
import ACIMTraces
import Foundation
import Yams

/// One point of a sweep: a value for every swept key, a seed, and its folder.
public struct SweepPoint: Codable, Sendable, Equatable {
    public var index: Int
    /// The value of each of the manifest's `keys`, as the sweep file writes it.
    public var overrides: [String]
    /// The seed of programming and read noise (`acim run --seed`); nil for a replay, whose trace sets it.
    public var seed: UInt64?
    /// The point's folder, relative to the sweep folder: its profile, status, result and log.
    public var folder: String
    /// The point's fully resolved profile, relative to the sweep folder.
    public var profile: String

    /// `bits=4 rows=128 seed=2`: the point as plots label it, each key by its last component when that is
    /// unambiguous.
    public func label(keys: [String], seeds: Bool) -> String {
        let short = keys.map { key in
            let last = String(key.split(separator: ".").last ?? "")
            return keys.filter { $0.split(separator: ".").last.map(String.init) == last }.count == 1 ? last : key
        }
        let parts = zip(short, overrides).map { "\($0)=\($1)" } + (seeds ? seed.map { ["seed=\($0)"] } ?? [] : [])
        return parts.joined(separator: " ")
    }
}

/// `sweep.json`: what a sweep folder holds, written by `acim sweep plan` and read by every other sweep command.
public struct SweepManifest: Codable, Sendable, Equatable {
    public var command: SweepCommand
    public var format = "acimsim-sweep"
    public var version = 1
    /// The sweep file (absolute) and an FNV-1a hash of its bytes.
    public var sweep: String
    public var sweepHash: String
    /// The command's arguments shared by every point: files as absolute paths, then the options; each point
    /// adds its profile (and seed).
    public var arguments: [String]
    /// The swept profile keys, in the order of each point's `overrides`.
    public var keys: [String]
    /// Whether the points differ in seed (then results carry a seed column).
    public var seeded: Bool
    public var points: [SweepPoint]
}

/// A sweep expanded into points, each point's profile loaded and checked: a plan is only made when every point
/// is valid, and every problem of every point is reported at once, located in the sweep file.
public struct SweepPlan {
    public let manifest: SweepManifest
    /// Each point's resolved profile, as YAML.
    let profiles: [String]

    /// Expands `spec` and checks every point's profile; throws `SweepError` with every problem found (and
    /// `TraceError` for a replay's bad trace).
    public init(spec: SweepSpec) throws {
        let base: String
        if let profile = spec.profile {
            base = profile
        } else {
            // A replay sweep without a profile lays its overrides over the trace's.
            let trace = try Self.trace(spec)
            guard let profile = trace.header.profile else {
                throw SweepError([ProfileDiagnostic(file: spec.file, line: 0, column: 0,
                                                    message: "the trace names no profile; give the base profile as 'profile'")])
            }
            base = profile
        }
        if spec.command == .replay { _ = try Self.trace(spec) }
        let combinations = spec.axes.reduce(1) { $0 * $1.count }
        var yaml: [String] = []
        var problems: [String: (diagnostic: ProfileDiagnostic, combinations: [Int])] = [:]
        var order: [String] = []
        for combination in 0..<combinations {
            let steps = Self.steps(of: combination, axes: spec.axes)
            let overrides = zip(spec.axes, steps).flatMap { axis, step in
                axis.keys.indices.map { ProfileOverride(key: axis.keys[$0], value: axis.values[$0][step]) }
            }
            do {
                let profile = try ProfileLoader.load(path: base, overrides: overrides, file: spec.file, text: spec.text)
                yaml.append(try profile.yaml())
            } catch let error as ProfileError {
                for diagnostic in error.diagnostics {
                    let key = diagnostic.description
                    if problems[key] == nil { order.append(key) }
                    problems[key, default: (diagnostic, [])].combinations.append(combination)
                }
            }
        }
        let seeds: [UInt64?] = spec.command == .run ? spec.seeds : [nil]
        guard problems.isEmpty else {
            let located = order.sorted { a, b in
                let (x, y) = (problems[a]!.diagnostic, problems[b]!.diagnostic)
                return (x.file == spec.file ? 0 : 1, x.line, x.column) < (y.file == spec.file ? 0 : 1, y.line, y.column)
            }
            throw SweepError(located.map { key in
                var (diagnostic, failing) = problems[key]!
                if failing.count < combinations {
                    let indices = failing.flatMap { combination in seeds.indices.map { combination * seeds.count + $0 } }
                    let more = indices.count > 6 ? " and \(indices.count - 6) more" : ""
                    diagnostic.message += " (point\(indices.count == 1 ? "" : "s") "
                        + indices.prefix(6).map(String.init).joined(separator: ", ") + more + ")"
                }
                return diagnostic
            })
        }
        let width = max(4, String(combinations * seeds.count - 1).count)
        var points: [SweepPoint] = []
        for combination in 0..<combinations {
            let steps = Self.steps(of: combination, axes: spec.axes)
            let values = zip(spec.axes, steps).flatMap { axis, step in axis.values.map { $0[step].string ?? "" } }
            for seed in seeds {
                let index = points.count
                let digits = String(index)
                let folder = "points/" + String(repeating: "0", count: width - digits.count) + digits
                points.append(SweepPoint(index: index, overrides: values, seed: seed, folder: folder,
                                         profile: folder + "/profile.yaml"))
            }
        }
        profiles = points.map { yaml[$0.index / seeds.count] }
        manifest = SweepManifest(command: spec.command, sweep: URL(fileURLWithPath: spec.file).standardizedFileURL.path,
                                 sweepHash: String(fnv1a64(Data(spec.text.utf8)), radix: 16),
                                 arguments: Self.arguments(spec), keys: spec.keys, seeded: spec.seeds.count > 1 && spec.command == .run,
                                 points: points)
    }

    /// The step along each axis of a combination, the first axis slowest.
    static func steps(of combination: Int, axes: [SweepAxis]) -> [Int] {
        var rest = combination
        return axes.reversed().map { axis in
            defer { rest /= axis.count }
            return rest % axis.count
        }.reversed()
    }

    /// The folders a replay's trace may point into besides its own: the sweep file's, the working directory
    /// at planning and the `allow-root` options, as absolute paths, so every task resolves the same files
    /// wherever it runs.
    static func allowedRoots(_ spec: SweepSpec) -> [String] {
        let cwd = FileManager.default.currentDirectoryPath
        let given = spec.options.filter { $0.name == "allow-root" }.map { root in
            URL(fileURLWithPath: root.value.hasPrefix("/") ? root.value : (cwd as NSString).appendingPathComponent(root.value))
                .standardizedFileURL.path
        }
        let sweepFolder = URL(fileURLWithPath: spec.file).standardizedFileURL.deletingLastPathComponent().path
        var roots: [String] = []
        for root in [sweepFolder, cwd] + given where !roots.contains(root) { roots.append(root) }
        return roots
    }

    /// The trace of a replay sweep, checked as the replay will check it; throws `TraceError`.
    static func trace(_ spec: SweepSpec) throws -> Trace {
        guard let path = spec.trace else { throw SweepError([]) }
        return try TraceParser.load(path: path, allowedRoots: allowedRoots(spec))
    }

    /// The command's arguments shared by every point.
    static func arguments(_ spec: SweepSpec) -> [String] {
        var arguments = spec.trace.map { [$0] + allowedRoots(spec).flatMap { ["--allow-root", $0] } } ?? []
        if let model = spec.model { arguments += ["--model", model] }
        if let data = spec.data { arguments += ["--data", data] }
        for option in spec.options where !(spec.trace != nil && option.name == "allow-root") {
            arguments += option.value == "true" ? ["--" + option.name] : ["--" + option.name, option.value]
        }
        return arguments
    }

    /// Writes the plan into `folder`: each point's folder with its resolved profile, then `sweep.json`. A folder
    /// that already holds this plan is kept as it is (with its results); one holding another sweep, or other
    /// files, is refused.
    public func write(to folder: String) throws -> SweepFolder {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        let manifestPath = (folder as NSString).appendingPathComponent(SweepFolder.manifestFile)
        if manager.fileExists(atPath: folder, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ACIMError.io(path: folder, reason: "is a file, not a folder") }
            if manager.fileExists(atPath: manifestPath) {
                let held = try SweepFolder(path: folder)
                guard held.manifest == manifest else {
                    throw ACIMError.inconsistentParameters("\(folder) holds another sweep (planned from \(held.manifest.sweep) with other points or options); plan into another folder, or remove it first")
                }
                return held
            }
            let entries = (try? manager.contentsOfDirectory(atPath: folder)) ?? []
            guard entries.isEmpty else {
                throw ACIMError.inconsistentParameters("\(folder) is not empty and holds no sweep; plan into a new or empty folder")
            }
        }
        for (point, yaml) in zip(manifest.points, profiles) {
            let path = (folder as NSString).appendingPathComponent(point.folder)
            do { try manager.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
                throw ACIMError.io(path: path, reason: "cannot create the folder")
            }
            try FileAccess.writeAtomically(Data(yaml.utf8), to: (folder as NSString).appendingPathComponent(point.profile))
        }
        try FileAccess.writeAtomically(try SweepFolder.json(manifest), to: manifestPath)
        return try SweepFolder(path: folder)
    }
}
