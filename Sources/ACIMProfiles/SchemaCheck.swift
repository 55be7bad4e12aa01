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
        if let near = Spelling.nearest(name, among: valid) {
            message += " (did you mean '\(near)'?)"
        } else if let home = sectionsHolding(name, in: HardwareProfile.fields, path: []).first {
            message += " ('\(name)' belongs in \(home))"
        } else {
            message += "; valid keys: " + valid.joined(separator: ", ")
        }
        return message
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
}
