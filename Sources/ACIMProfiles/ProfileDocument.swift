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
    var shortDescription: String {
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
