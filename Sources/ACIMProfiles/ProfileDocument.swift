import Yams

/// One profile file as composed by Yams: its text and node tree, which keeps a line and column for every node.
struct ProfileDocument {
    /// The path as the user (or the extending file) named it.
    let file: String
    /// The top-level mapping, without `extends`.
    let root: Node
    private let lines: [Substring]

    init(file: String, text: String, root: Node) {
        self.file = file
        self.root = root
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    /// A diagnostic at `mark` (or at the start of the file without one).
    func diagnostic(at mark: Mark?, _ message: String) -> ProfileDiagnostic {
        diagnostic(line: mark?.line ?? 1, column: mark?.column ?? 1, message)
    }

    func diagnostic(line: Int, column: Int, _ message: String) -> ProfileDiagnostic {
        let source = line >= 1 && line <= lines.count ? String(lines[line - 1]).trimmingSuffix("\r") : ""
        return ProfileDiagnostic(file: file, line: line, column: column, message: message, sourceLine: source)
    }

    /// The key and value nodes at a key path, or nil when this file does not set it.
    func entry(at path: [String]) -> (key: Node?, value: Node)? {
        var key: Node? = nil
        var node = root
        for component in path {
            guard let mapping = node.mapping,
                  let pair = mapping.first(where: { $0.key.string == component }) else { return nil }
            key = pair.key
            node = pair.value
        }
        return (key, node)
    }
}

extension ProfileDiagnostic {
    /// A diagnostic at `mark` in `text`, the YAML of `file`, with the source line.
    public init(file: String, text: String, at mark: Mark?, _ message: String) {
        self = ProfileDocument(file: file, text: text, root: Node("")).diagnostic(at: mark, message)
    }
}

/// A profile value set from outside a profile file: a dotted key such as `periphery.adc.bits` and its value,
/// both nodes of the YAML file that sets them, so that problems are located there.
public struct ProfileOverride {
    /// The dotted key.
    public var key: Node
    public var value: Node

    public init(key: Node, value: Node) {
        self.key = key
        self.value = value
    }

    /// The overrides as one profile tree: each dotted key's sections as nested mappings whose keys sit at
    /// the dotted key's place; a key that is also a section of another override keeps its own value.
    static func tree(_ overrides: [ProfileOverride]) -> Node {
        typealias Entry = (path: ArraySlice<String>, key: Node, value: Node)
        func build(_ entries: [Entry]) -> Node {
            var order: [String] = []
            var groups: [String: [Entry]] = [:]
            for entry in entries {
                guard let head = entry.path.first else { continue }
                if groups[head] == nil { order.append(head) }
                groups[head, default: []].append(entry)
            }
            let pairs = order.map { head -> (Node, Node) in
                let group = groups[head]!
                let key = Node.scalar(Node.Scalar(head, .implicit, .plain, group[0].key.mark))
                if let leaf = group.first(where: { $0.path.count == 1 }) { return (key, leaf.value) }
                return (key, build(group.map { ($0.path.dropFirst(), $0.key, $0.value) }))
            }
            return .mapping(Node.Mapping(pairs))
        }
        return build(overrides.map { override in
            (ArraySlice((override.key.string ?? "").split(separator: ".", omittingEmptySubsequences: false).map(String.init)),
             override.key, override.value)
        })
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}

extension Node {
    /// The mapping without the entry under `key`.
    func removing(key: String) -> Node {
        guard let mapping else { return self }
        let kept = mapping.filter { $0.key.string != key }.map { ($0.key, $0.value) }
        return .mapping(Node.Mapping(kept, mapping.tag, mapping.style, mapping.mark))
    }

    /// The tree without the entry at a key path; unchanged when the path does not exist.
    func removing(path: [String]) -> Node {
        guard let first = path.first, let mapping else { return self }
        if path.count == 1 { return removing(key: first) }
        let pairs = mapping.map { pair in
            (pair.key, pair.key.string == first ? pair.value.removing(path: Array(path.dropFirst())) : pair.value)
        }
        return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
    }

    /// `override` laid over this tree: mappings merge key by key, anything else is replaced.
    func merged(with override: Node) -> Node {
        guard let base = mapping, let top = override.mapping else { return override }
        var pairs = base.map { ($0.key, $0.value) }
        for (key, value) in top {
            if let index = pairs.firstIndex(where: { $0.0.string == key.string }) {
                pairs[index] = (key, pairs[index].1.merged(with: value))
            } else {
                pairs.append((key, value))
            }
        }
        return .mapping(Node.Mapping(pairs, top.tag, top.style, top.mark))
    }

    /// A short description of the node for messages: its text, or its kind.
    public var shortDescription: String {
        switch self {
        case let .scalar(scalar):
            if self.null != nil { return "nothing (null)" }
            return "'\(scalar.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }
}
