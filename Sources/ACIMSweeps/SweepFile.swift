import ACIMCore
import ACIMProfiles
import Foundation
import Yams

/// The command every point of a sweep runs.
public enum SweepCommand: String, Codable, Sendable, CaseIterable {
    /// `acim run`: a network on the chip, one batch of inferences.
    case run
    /// `acim replay`: a deployment trace over simulated time.
    case replay
}

/// One axis of a sweep: a single profile key (a `grid` entry), or keys whose values advance together (a
/// `zip` group). Values are the YAML nodes of the sweep file, so problems point at them.
public struct SweepAxis {
    /// The dotted profile keys, as nodes of the sweep file.
    public var keys: [Node]
    /// `values[k][i]`: key `k`'s value at step `i` of the axis.
    public var values: [[Node]]

    /// Steps along the axis.
    public var count: Int { values.first?.count ?? 0 }
}

/// A sweep file (docs/sweeps.md) as read: the base command with its files and options, the axes and the seeds.
public struct SweepSpec {
    /// The largest number of points a sweep may hold.
    public static let maximumPoints = 10_000

    /// The path as the user named it, and its text.
    public var file: String
    public var text: String
    public var command: SweepCommand
    /// Absolute paths; nil when not given (a replay takes them from its trace).
    public var profile: String?
    public var model: String?
    public var trace: String?
    public var data: String?
    /// Further options of the command: long name (without dashes) and value; `true` for a flag.
    public var options: [(name: String, value: String)]
    /// Where the options stand in the file; nil without options.
    var optionsMark: Mark?
    public var seeds: [UInt64]
    /// Crossed, in the order the file gives them (`grid` entries and `zip` groups), the first slowest.
    public var axes: [SweepAxis]

    /// The dotted keys, axis by axis.
    public var keys: [String] { axes.flatMap { $0.keys.map { $0.string ?? "" } } }

    /// A problem the command found in the options (`message`), located at the options in the file.
    public func optionsError(_ message: String) -> SweepError {
        SweepError([ProfileDiagnostic(file: file, text: text, at: optionsMark, "options: \(message)")])
    }
}

/// Every problem of a sweep file, located like a profile's.
public struct SweepError: Error, CustomStringConvertible {
    public var diagnostics: [ProfileDiagnostic]

    public init(_ diagnostics: [ProfileDiagnostic]) { self.diagnostics = diagnostics }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
            + "\n\(diagnostics.count) error\(diagnostics.count == 1 ? "" : "s")"
    }
}

/// Reads sweep files: structure, paths, options, axes and seeds, with every problem of the file reported at
/// once. The points' profiles are checked by `SweepPlan`.
public enum SweepFileReader {
    static let topKeys = ["description", "command", "profile", "model", "trace", "data", "options", "seeds", "grid", "zip"]
    /// Options the sweep sets itself, per command.
    static let managedOptions = ["profile", "model", "trace", "data", "seed", "json", "out", "resume", "force", "output", "predictions", "help"]

    /// The sweep in the file at `path`; throws `SweepError`.
    public static func load(path: String) throws -> SweepSpec {
        if let problem = FileAccess.problem(reading: path) {
            throw SweepError([ProfileDiagnostic(file: path, line: 0, column: 0, message: "cannot read the sweep: \(problem)")])
        }
        let data = try FileAccess.contents(of: path)
        guard data.count <= 1 << 20, let text = String(data: data, encoding: .utf8) else {
            throw SweepError([ProfileDiagnostic(file: path, line: 0, column: 0,
                                                message: "not a sweep file (larger than 1 MiB or not UTF-8 text)")])
        }
        var reader = Reader(file: path, text: text,
                            directory: URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path)
        return try reader.read()
    }

    private struct Reader {
        let file: String
        let text: String
        let directory: String
        var diagnostics: [ProfileDiagnostic] = []

        init(file: String, text: String, directory: String) {
            self.file = file
            self.text = text
            self.directory = directory
        }

        mutating func error(_ node: Node?, _ message: String) {
            diagnostics.append(ProfileDiagnostic(file: file, text: text, at: node?.mark, message))
        }

        mutating func read() throws -> SweepSpec {
            let root: Node
            do {
                root = try Yams.compose(yaml: text) ?? Node.mapping(Node.Mapping([]))
            } catch let error as YamlError {
                throw SweepError([ProfileLoader.syntaxDiagnostic(error, file: file, text: text)])
            }
            guard let top = root.mapping else {
                throw SweepError([ProfileDiagnostic(file: file, text: text, at: root.mark,
                                                    "expected a mapping of sweep keys at the top level, got \(root.shortDescription)")])
            }
            for (key, _) in top where !SweepFileReader.topKeys.contains(key.string ?? "") {
                let name = key.string ?? ""
                let near = Spelling.nearest(name, among: SweepFileReader.topKeys).map { " (did you mean '\($0)'?)" }
                    ?? "; valid keys: " + SweepFileReader.topKeys.joined(separator: ", ")
                error(key, "unknown key '\(name)' in the sweep\(near)")
            }
            let value = { (name: String) in top.first { $0.key.string == name } }
            var command = SweepCommand.run
            if let entry = value("command") {
                if let parsed = entry.value.scalar.flatMap({ SweepCommand(rawValue: $0.string) }) { command = parsed } else {
                    error(entry.value, "command: expected run or replay, got \(entry.value.shortDescription)")
                }
            } else {
                error(root, "missing required key 'command' (run or replay)")
            }
            let paths = ["profile", "model", "trace", "data"].map { name in value(name).flatMap { path(name, $0.value) } }
            let (profile, model, trace, data) = (paths[0], paths[1], paths[2], paths[3])
            switch command {
            case .run:
                if profile == nil, value("profile") == nil { error(root, "missing required key 'profile': the base profile of every point") }
                if model == nil, value("model") == nil { error(root, "missing required key 'model': the network every point runs") }
                if let entry = value("trace") { error(entry.key, "trace: only a replay sweep takes a trace; leave it out") }
            case .replay:
                if trace == nil, value("trace") == nil { error(root, "missing required key 'trace': the deployment every point replays") }
            }
            let options = value("options").map { self.options($0.value, command: command) } ?? []
            var seeds: [UInt64] = [1]
            if let entry = value("seeds") {
                if command == .replay {
                    error(entry.key, "seeds: a replay takes its seed from the trace's header; sweep seeds with command run")
                } else {
                    seeds = self.seeds(entry.value)
                }
            }
            var axes: [SweepAxis] = []
            for (key, node) in top {
                if key.string == "grid" { axes += grid(node) }
                if key.string == "zip" { axes += zip(node) }
            }
            if value("grid") == nil, value("zip") == nil, seeds.count < 2, diagnostics.isEmpty {
                error(root, "the sweep has no axis: give a grid of profile keys (grid: {periphery.adc.bits: [4, 6, 8]}), zip groups or several seeds")
            }
            checkRepeatedKeys(axes)
            let points = axes.reduce(Double(seeds.count)) { $0 * Double($1.count) }
            if diagnostics.isEmpty, points > Double(SweepSpec.maximumPoints) {
                let shape = ([seeds.count > 1 ? "\(seeds.count) seeds" : nil] + axes.map { "\($0.count)" }).compactMap { $0 }
                error(value("grid")?.key ?? value("zip")?.key ?? root,
                      "the sweep has \(plainCount(points)) points (\(shape.joined(separator: " x "))); a sweep holds at most \(SweepSpec.maximumPoints): sweep fewer values or split it")
            }
            guard diagnostics.isEmpty else { throw SweepError(diagnostics.sorted { ($0.line, $0.column) < ($1.line, $1.column) }) }
            return SweepSpec(file: file, text: text, command: command, profile: profile, model: model, trace: trace,
                             data: data, options: options, optionsMark: value("options")?.value.mark, seeds: seeds, axes: axes)
        }

        /// An absolute path from a path relative to the sweep file.
        mutating func path(_ name: String, _ node: Node) -> String? {
            guard let text = node.scalar?.string, node.null == nil, !text.isEmpty else {
                error(node, "\(name): expected a path, got \(node.shortDescription)")
                return nil
            }
            let absolute = text.hasPrefix("/") ? text : (directory as NSString).appendingPathComponent(text)
            let resolved = URL(fileURLWithPath: absolute).standardizedFileURL.path
            if let problem = FileAccess.problem(reading: resolved) { error(node, "\(name): \(text): \(problem)") }
            return resolved
        }

        mutating func options(_ node: Node, command: SweepCommand) -> [(name: String, value: String)] {
            guard let mapping = node.mapping else {
                error(node, "options: expected a mapping of the \(command.rawValue) command's options (count: 60), got \(node.shortDescription)")
                return []
            }
            var options: [(name: String, value: String)] = []
            for (key, value) in mapping {
                let name = (key.string ?? "").replacingOccurrences(of: "_", with: "-")
                if SweepFileReader.managedOptions.contains(name) {
                    error(key, "options: '\(name)' is set by the sweep itself; " + (["profile", "model", "trace", "data"].contains(name)
                        ? "give it as the top-level key '\(name)'" : name == "seed" ? "list seeds under 'seeds'" : "leave it out"))
                    continue
                }
                guard let scalar = value.scalar, value.null == nil else {
                    error(value, "options.\(name): expected a single value, got \(value.shortDescription)")
                    continue
                }
                if value.bool == false { continue }
                options.append((name, value.bool == true ? "true" : scalar.string))
            }
            return options
        }

        mutating func seeds(_ node: Node) -> [UInt64] {
            let items = node.sequence.map(Array.init) ?? [node]
            var seeds: [UInt64] = []
            for item in items {
                guard let seed = item.scalar.flatMap({ UInt64($0.string) }) else {
                    error(item, "seeds: expected unsigned 64-bit integers, got \(item.shortDescription)")
                    continue
                }
                if seeds.contains(seed) { error(item, "seeds: \(seed) is listed twice") }
                seeds.append(seed)
            }
            if items.isEmpty { error(node, "seeds: expected at least one seed, got an empty list") }
            return seeds
        }

        /// A list of values for `key`, or nil after reporting why it is not one.
        mutating func values(_ node: Node, key: String) -> [Node]? {
            guard let list = node.sequence.map(Array.init) else {
                error(node, "\(key): expected a list of values ([4, 6, 8]), got \(node.shortDescription)")
                return nil
            }
            guard !list.isEmpty else {
                error(node, "\(key): the list of values is empty; give at least one")
                return nil
            }
            return list
        }

        mutating func grid(_ node: Node) -> [SweepAxis] {
            guard let mapping = node.mapping else {
                error(node, "grid: expected a mapping of dotted profile keys to lists of values, got \(node.shortDescription)")
                return []
            }
            if mapping.count == 0 { error(node, "grid: the grid is empty; give at least one profile key with its values") }
            return mapping.compactMap { key, value in
                values(value, key: key.string ?? "").map { SweepAxis(keys: [key], values: [$0]) }
            }
        }

        mutating func zip(_ node: Node) -> [SweepAxis] {
            guard let groups = node.sequence.map(Array.init), !groups.isEmpty else {
                error(node, "zip: expected a list of groups, each a mapping of profile keys to lists of equal length, got \(node.shortDescription)")
                return []
            }
            return groups.compactMap { group in
                guard let mapping = group.mapping, mapping.count > 0 else {
                    error(group, "zip: expected a group mapping profile keys to lists of equal length, got \(group.shortDescription)")
                    return nil
                }
                var keys: [Node] = [], lists: [[Node]] = []
                for (key, value) in mapping {
                    guard let list = values(value, key: key.string ?? "") else { continue }
                    if let first = lists.first, first.count != list.count {
                        error(value, "\(key.string ?? ""): \(list.count) values, but \(keys[0].string ?? "") has \(first.count); a zip group's lists advance together and need equal lengths")
                        continue
                    }
                    keys.append(key)
                    lists.append(list)
                }
                return keys.isEmpty ? nil : SweepAxis(keys: keys, values: lists)
            }
        }

        /// A key swept on two axes, or a key whose section another axis sweeps, has no single value per point.
        mutating func checkRepeatedKeys(_ axes: [SweepAxis]) {
            var seen: [String] = []
            for key in axes.flatMap(\.keys) {
                let name = key.string ?? ""
                if let other = seen.first(where: { $0 == name || $0.hasPrefix(name + ".") || name.hasPrefix($0 + ".") }) {
                    error(key, other == name ? "\(name) is swept twice" : "\(name) and \(other) overlap; sweep one of them")
                }
                seen.append(name)
            }
        }
    }
}

/// A whole count as digits with thousands separators: 1,000,000.
func plainCount(_ value: Double) -> String {
    guard value < 1e18 else { return String(format: "%.3g", value) }
    let digits = String(Int64(value))
    var grouped = ""
    for (index, digit) in digits.enumerated() {
        if index > 0, (digits.count - index) % 3 == 0 { grouped += "," }
        grouped.append(digit)
    }
    return grouped
}
