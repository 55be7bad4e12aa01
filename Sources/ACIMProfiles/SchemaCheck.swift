import ACIMCore
import Yams

/// Checks the structure of one file against the `fields` schema: unknown or misspelled keys (with the nearest
/// valid key suggested) and sections that are not mappings. Returns the tree without the offending entries, so
/// decoding can go on and report the remaining problems in the same pass.
struct SchemaCheck {
    let document: ProfileDocument
    private(set) var diagnostics: [ProfileDiagnostic] = []

    init(document: ProfileDocument) { self.document = document }

    mutating func run(schema: [ConfigField]) -> Node {
        check(document.root, fields: schema, path: [])
    }

    private mutating func check(_ node: Node, fields: [ConfigField], path: [String]) -> Node {
        guard let mapping = node.mapping else { return node }
        var kept: [(Node, Node)] = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                diagnostics.append(document.diagnostic(at: key.mark, "expected a key name, got \(key.shortDescription)"))
                continue
            }
            guard let field = fields.first(where: { $0.key == name }) else {
                diagnostics.append(document.diagnostic(at: key.mark, Self.unknownKeyMessage(name, fields: fields, path: path)))
                continue
            }
            guard field.isSection else {
                kept.append((key, value))
                continue
            }
            if value.mapping != nil {
                kept.append((key, check(value, fields: field.children, path: path + [name])))
            } else if value.null == nil {
                let dotted = (path + [name]).joined(separator: ".")
                diagnostics.append(document.diagnostic(at: value.mark,
                    "\(dotted): expected a section (a mapping of keys such as '\(field.children.first?.key ?? "")'), got \(value.shortDescription)"))
            }
        }
        return .mapping(Node.Mapping(kept, mapping.tag, mapping.style, mapping.mark))
    }

    static func unknownKeyMessage(_ name: String, fields: [ConfigField], path: [String]) -> String {
        let section = path.isEmpty ? "at the top level" : "in \(path.joined(separator: "."))"
        let valid = fields.map(\.key) + (path.isEmpty ? ["extends"] : [])
        var message = "unknown key '\(name)' \(section)"
        if let near = nearest(name, among: valid) {
            message += " (did you mean '\(near)'?)"
        } else if let home = sectionsHolding(name, in: HardwareProfile.fields, path: []).first {
            message += " ('\(name)' belongs in \(home))"
        } else {
            message += "; valid keys: " + valid.joined(separator: ", ")
        }
        return message
    }

    /// The candidate within a small edit distance of `name`, nearest first.
    static func nearest(_ name: String, among candidates: [String]) -> String? {
        let limit = max(1, min(3, name.count / 2))
        let scored = candidates.map { ($0, editDistance(name.lowercased(), $0)) }.filter { $0.1 <= limit }
        return scored.min { $0.1 < $1.1 }?.0
    }

    /// Dotted paths of the sections that have a key `name`.
    private static func sectionsHolding(_ name: String, in fields: [ConfigField], path: [String]) -> [String] {
        var found: [String] = []
        for field in fields {
            if field.key == name && !path.isEmpty { found.append(path.joined(separator: ".")) }
            found += sectionsHolding(name, in: field.children, path: path + [field.key])
        }
        return found
    }

    /// Levenshtein distance, with a transposition of adjacent letters counted as one edit.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
