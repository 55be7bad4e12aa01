import ACIMArray
import ACIMCore
import Foundation
import Yams

/// Loads hardware profiles from YAML and reports every problem of a file as a located diagnostic.
///
/// A profile may start with `extends: base.yaml` (relative to its own file): the base is loaded first and
/// the profile's keys are laid over it, mapping by mapping. Loading runs in stages that each keep going after
/// an error: YAML syntax, unknown keys and non-mapping sections per file, decoding of the merged tree (wrong
/// types, bad units, missing required keys; each bad entry is dropped and decoding repeated), then
/// `validate()` of the decoded profile (ranges and combinations). Every problem is mapped back through the
/// composed node trees to the file, line and column that set the value.
public enum ProfileLoader {
    /// The profile in the file at `path`; throws `ProfileError` listing every problem found.
    public static func load(path: String) throws -> HardwareProfile {
        var run = ProfileLoad()
        run.readChain(path: path, display: path)
        return try run.finish()
    }

    /// The profile in `yaml`, named `file` in diagnostics; `extends` is resolved against `directory`.
    public static func load(yaml: String, file: String = "<profile>",
                            directory: String = FileManager.default.currentDirectoryPath) throws -> HardwareProfile {
        var run = ProfileLoad()
        run.parseChain(text: yaml, file: file, directory: directory, visited: [])
        return try run.finish()
    }

    /// The profile at `path` with `overrides` laid over it as if `file` (whose text is `text`) set them, so
    /// that every problem an override causes (an unknown key, a value out of range, a combination the profile
    /// rejects) is reported at its place in `file`.
    public static func load(path: String, overrides: [ProfileOverride], file: String, text: String) throws -> HardwareProfile {
        var run = ProfileLoad()
        run.readChain(path: path, display: path)
        run.chain.insert(ProfileDocument(file: file, text: text, root: ProfileOverride.tree(overrides)), at: 0)
        return try run.finish()
    }

    /// The located diagnostic of a YAML syntax error in `text`, the YAML of `file`.
    public static func syntaxDiagnostic(_ error: YamlError, file: String, text: String) -> ProfileDiagnostic {
        ProfileLoad.syntaxDiagnostic(error, file: file, text: text)
    }

    /// The diagnostics of the file at `path`, empty when it is a valid profile.
    public static func check(path: String) -> [ProfileDiagnostic] {
        do {
            _ = try load(path: path)
            return []
        } catch let error as ProfileError {
            return error.diagnostics
        } catch {
            return [ProfileDiagnostic(file: path, line: 0, column: 0, message: "\(error)")]
        }
    }
}

/// The state of one load: the files of the `extends` chain (most derived first) and the diagnostics so far.
private struct ProfileLoad {
    var chain: [ProfileDocument] = []
    var diagnostics: [ProfileDiagnostic] = []
    /// False once a file of the chain could not be read or composed: its values are unknown, so decoding and
    /// validating the rest would only report consequences.
    var complete = true

    /// Reads the file at `path` (named `display` in diagnostics) and the files it extends; `origin` is the
    /// `extends` entry that named it.
    mutating func readChain(path: String, display: String, visited: [String] = [],
                            from origin: (ProfileDocument, Node)? = nil) {
        let requested = origin?.1.scalar?.string ?? display
        let url = URL(fileURLWithPath: path).standardizedFileURL
        if let cycleStart = visited.firstIndex(of: url.path) {
            let loop = (visited[cycleStart...] + [url.path]).map { ($0 as NSString).lastPathComponent }
            report(origin, fallbackFile: display, "extends cycle: " + loop.joined(separator: " -> "))
            return
        }
        let data: Data
        // The file's own problems in the project's words first, then what reading it finds.
        let read = FileAccess.problem(reading: url.path).map { .failure(ReadFailure(reason: $0)) } ?? Self.contents(of: url)
        switch read {
        case let .success(bytes): data = bytes
        case let .failure(failure):
            report(origin, fallbackFile: display, "cannot load profile '\(requested)': \(failure.reason)")
            complete = false
            return
        }
        guard let text = String(data: data, encoding: .utf8) else {
            report(origin, fallbackFile: display, "cannot load profile '\(requested)': not UTF-8 text")
            complete = false
            return
        }
        parseChain(text: text, file: display, directory: url.deletingLastPathComponent().path,
                   visited: visited + [url.path])
    }

    /// Why a file cannot be read as a profile.
    struct ReadFailure: Error {
        let reason: String
    }

    /// The largest profile file read: bundled profiles are a few kilobytes.
    static let sizeLimit = 1 << 20

    /// The bytes of the regular file at `url`, at most `sizeLimit` of them; devices, pipes and directories
    /// (`extends: /dev/zero`) are refused before they are opened.
    static func contents(of url: URL) -> Result<Data, ReadFailure> {
        let path = url.resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            return .failure(ReadFailure(reason: "no such file"))
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            return .failure(ReadFailure(reason: "not a regular file"))
        }
        let tooLarge = ReadFailure(reason: "larger than \(sizeLimit >> 20) MiB, which no hardware profile is")
        if let size = attributes[.size] as? Int, size > sizeLimit { return .failure(tooLarge) }
        // The size is checked again on reading: files such as those of /proc report none.
        guard let handle = FileHandle(forReadingAtPath: path) else { return .failure(ReadFailure(reason: "cannot read the file")) }
        defer { try? handle.close() }
        var data = Data()
        do {
            while data.count <= sizeLimit, let chunk = try handle.read(upToCount: 1 << 16), !chunk.isEmpty { data += chunk }
        } catch {
            return .failure(ReadFailure(reason: "cannot read the file"))
        }
        return data.count > sizeLimit ? .failure(tooLarge) : .success(data)
    }

    /// Composes `text`, records it in the chain and follows its `extends`.
    mutating func parseChain(text: String, file: String, directory: String, visited: [String]) {
        let root: Node
        do {
            root = try Yams.compose(yaml: text) ?? Node.mapping(Node.Mapping([]))
        } catch let error as YamlError {
            diagnostics.append(Self.syntaxDiagnostic(error, file: file, text: text))
            complete = false
            return
        } catch {
            diagnostics.append(ProfileDiagnostic(file: file, line: 0, column: 0, message: "\(error)"))
            complete = false
            return
        }
        let bare = ProfileDocument(file: file, text: text, root: root)
        guard root.mapping != nil else {
            diagnostics.append(bare.diagnostic(at: root.mark,
                "expected a mapping of profile sections at the top level, got \(root.shortDescription)"))
            complete = false
            return
        }
        let document = ProfileDocument(file: file, text: text, root: root.removing(key: "extends"))
        chain.append(document)
        guard let extends = root.mapping?.first(where: { $0.key.string == "extends" })?.value else { return }
        guard case let .scalar(scalar) = extends, extends.null == nil, !scalar.string.isEmpty else {
            diagnostics.append(bare.diagnostic(at: extends.mark,
                "extends: expected the path of a base profile, got \(extends.shortDescription)"))
            complete = false
            return
        }
        let base = scalar.string
        let path = base.hasPrefix("/") ? base : (directory as NSString).appendingPathComponent(base)
        let display = base.hasPrefix("/") ? base
            : ((file as NSString).deletingLastPathComponent as NSString).appendingPathComponent(base)
        readChain(path: path, display: display, visited: visited, from: (bare, extends))
    }

    /// Everything after composing: schema check per file, merge, decode, validate.
    mutating func finish() throws -> HardwareProfile {
        var merged: Node? = nil
        for document in chain.reversed() {
            var check = SchemaCheck(document: document)
            let pruned = check.run(schema: HardwareProfile.fields)
            diagnostics += check.diagnostics
            merged = merged.map { $0.merged(with: pruned) } ?? pruned
        }
        guard complete, var tree = merged else { throw ProfileError(diagnostics: sorted(diagnostics)) }
        var profile: HardwareProfile? = nil
        var dropped: Set<[String]> = []
        // Each failing entry is reported and dropped, then decoding repeats (a bounded number of times).
        for _ in 0..<256 {
            do {
                profile = try YAMLDecoder().decode(HardwareProfile.self, from: tree)
                break
            } catch let error as DecodingError {
                let (path, diagnostic, recoverable) = decodingDiagnostic(error)
                // A required value already reported as wrong is not reported again as missing.
                if !dropped.contains(path) { diagnostics.append(diagnostic) }
                guard recoverable, !path.isEmpty else { break }
                let next = tree.removing(path: path)
                guard next != tree else { break }
                dropped.insert(path)
                tree = next
            } catch {
                diagnostics.append(located([], "\(error)"))
                break
            }
        }
        if let profile {
            for issue in profile.validate() {
                diagnostics.append(located(issue.path, "\(issue.path.joined(separator: ".")): \(issue.message)"))
            }
        }
        guard let profile, diagnostics.isEmpty else { throw ProfileError(diagnostics: sorted(diagnostics)) }
        return profile
    }

    /// Diagnostics file by file (in the order the files were first reported), then by position.
    private func sorted(_ diagnostics: [ProfileDiagnostic]) -> [ProfileDiagnostic] {
        var order: [String: Int] = [:]
        for document in chain where order[document.file] == nil { order[document.file] = order.count }
        for diagnostic in diagnostics where order[diagnostic.file] == nil { order[diagnostic.file] = order.count }
        return diagnostics.enumerated().sorted { a, b in
            let ka = (order[a.element.file] ?? 0, a.element.line, a.element.column, a.offset)
            let kb = (order[b.element.file] ?? 0, b.element.line, b.element.column, b.offset)
            return ka < kb
        }.map(\.element)
    }

    // MARK: Locating

    /// A diagnostic at the value that sets `path` in the most derived file that sets it; for a value that
    /// comes from a default, at the nearest enclosing section that a file sets.
    func located(_ path: [String], _ message: String) -> ProfileDiagnostic {
        for length in stride(from: path.count, through: 0, by: -1) {
            let prefix = Array(path.prefix(length))
            for document in chain {
                if let entry = document.entry(at: prefix) {
                    if length == path.count { return document.diagnostic(at: entry.value.mark ?? entry.key?.mark, message) }
                    let unset = "\(message) (\(path.joined(separator: ".")) is not set, so its default applies)"
                    return document.diagnostic(at: entry.key?.mark ?? entry.value.mark, unset)
                }
            }
        }
        let file = chain.first?.file ?? "<profile>"
        return ProfileDiagnostic(file: file, line: 0, column: 0, message: message)
    }

    private mutating func report(_ origin: (ProfileDocument, Node)?, fallbackFile: String, _ message: String) {
        if let (document, node) = origin {
            diagnostics.append(document.diagnostic(at: node.mark, message))
        } else {
            diagnostics.append(ProfileDiagnostic(file: fallbackFile, line: 0, column: 0, message: message))
        }
    }

    // MARK: Messages

    /// The key path of the failing entry, its diagnostic, and whether dropping the entry lets decoding continue.
    private func decodingDiagnostic(_ error: DecodingError) -> ([String], ProfileDiagnostic, Bool) {
        switch error {
        case let .keyNotFound(key, context):
            let parent = context.codingPath.map(\.stringValue)
            let section = parent.isEmpty ? "" : " in \(parent.joined(separator: "."))"
            return (parent + [key.stringValue], located(parent, "missing required key '\(key.stringValue)'\(section)"), false)
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
            let path = context.codingPath.map(\.stringValue)
            return (path, located(path, message(for: path, context: context)), true)
        @unknown default:
            return ([], located([], "\(error)"), false)
        }
    }

    private func message(for path: [String], context: DecodingError.Context) -> String {
        let dotted = path.joined(separator: ".")
        let node = chain.lazy.compactMap { $0.entry(at: path)?.value }.first
        guard let field = ProfileSchema.field(at: path), let node else {
            return "\(dotted): \(context.debugDescription)"
        }
        let got = node.shortDescription
        let choices = field.choices
        if !choices.isEmpty {
            var text = "\(dotted): expected one of \(choices.joined(separator: ", ")), got \(got)"
            if let given = node.scalar?.string, let near = Spelling.nearest(given, among: choices) {
                text += " (did you mean '\(near)'?)"
            }
            return text
        }
        if field.type == "quantity", node.scalar != nil, node.null == nil {
            return "\(dotted): \(context.debugDescription)"
        }
        return "\(dotted): expected \(field.expectation), got \(got)"
    }

    /// The line where `key` is set again at the same indentation after its first occurrence at `first`.
    private static func repeatedKeyMark(_ key: String, after first: Mark, in text: String) -> Int? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for index in min(first.line, lines.count)..<lines.count {
            let line = lines[index]
            let indent = line.prefix { $0 == " " }.count
            guard indent == first.column - 1 else { continue }
            let rest = line.dropFirst(indent)
            if rest.hasPrefix(key), rest.dropFirst(key.count).drop(while: { $0 == " " }).hasPrefix(":") {
                return index + 1
            }
        }
        return nil
    }

    static func syntaxDiagnostic(_ error: YamlError, file: String, text: String) -> ProfileDiagnostic {
        let document = ProfileDocument(file: file, text: text, root: Node(""))
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let detail = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            var at = document.diagnostic(at: mark, "YAML syntax error: \(problem)\(detail)")
            if at.sourceLine.unicodeScalars.dropFirst(max(0, mark.column - 1)).first == "\t" {
                at.message += "; YAML indents with spaces, not tabs"
            }
            // At the end of the file the start of the unfinished construct is the useful place.
            if at.sourceLine.trimmingCharacters(in: .whitespaces).isEmpty, let context {
                at = document.diagnostic(at: context.mark, at.message)
            }
            return at
        case let .duplicatedKeysInMapping(duplicates, context):
            let key = duplicates.first ?? ""
            let first = context.mark
            let again = repeatedKeyMark(key, after: first, in: text)
            let message = "duplicate key '\(key)'" + (again == nil ? "" : " (first set at line \(first.line))")
            return document.diagnostic(line: again ?? first.line, column: first.column, message)
        case let .reader(problem, _, _, _):
            return ProfileDiagnostic(file: file, line: 0, column: 0, message: "unreadable YAML: \(problem)")
        default:
            return ProfileDiagnostic(file: file, line: 0, column: 0, message: "YAML error: \(error)")
        }
    }
}
