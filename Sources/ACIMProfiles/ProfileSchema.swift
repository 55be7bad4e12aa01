import ACIMCore
import Foundation

/// The profile schema generated from the components' `fields`: look-ups for the loader and the text of
/// `acim profile schema`.
public enum ProfileSchema {
    /// The field at a key path, or nil.
    static func field(at path: [String]) -> ConfigField? {
        var fields = HardwareProfile.fields
        var found: ConfigField? = nil
        for key in path {
            guard let field = fields.first(where: { $0.key == key }) else { return nil }
            found = field
            fields = field.children
        }
        return found
    }

    /// The values of an enumerated type such as `differential | offset`; empty for other types.
    static func choices(of field: ConfigField) -> [String] {
        let parts = field.type.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count > 1, !parts.contains(where: { ["number", "integer", "string"].contains($0) }) else { return [] }
        return parts
    }

    /// What a value of the field's type looks like, for messages.
    static func expectation(of field: ConfigField) -> String {
        switch field.type {
        case "integer": return "an integer"
        case "number": return "a number"
        case "boolean": return "true or false"
        case "string": return "a string"
        case "section": return "a section (a mapping of keys)"
        case "number | auto": return "a number or auto"
        default:
            if field.type.hasPrefix("quantity (") {
                let unit = field.type.dropFirst("quantity (".count).dropLast()
                return "a number in \(unit) or a string with a unit"
            }
            if field.type.hasPrefix("number (") { return "a number" }
            return field.type
        }
    }

    /// The type and unit of a field: `quantity (S)` is a quantity in S, `number (K)` a number in K.
    static func typeAndUnit(of field: ConfigField) -> (type: String, unit: String) {
        guard field.type.hasSuffix(")"), let open = field.type.lastIndex(of: "(") else { return (field.type, "") }
        let unit = field.type[field.type.index(after: open)..<field.type.index(before: field.type.endIndex)]
        return (field.type[..<open].trimmingCharacters(in: .whitespaces), String(unit))
    }

    /// Every key as a table: dotted key, type, unit, default, allowed values and description.
    public static func text() -> String {
        var rows: [[String]] = [["key", "type", "unit", "default", "allowed", "description"]]
        func add(_ fields: [ConfigField], _ prefix: String) {
            for field in fields {
                let key = prefix + field.key
                let (type, unit) = typeAndUnit(of: field)
                rows.append([key, type, unit, field.defaultValue, field.allowed, field.doc])
                add(field.children, key + ".")
            }
        }
        add(HardwareProfile.fields, "")
        rows.insert(["extends", "string", "", "", "path relative to this file", "base profile whose keys this one overrides"], at: 3)
        let last = rows[0].count - 1
        let widths = (0..<last).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            (0..<last).map { row[$0].padding(toLength: widths[$0] + 2, withPad: " ", startingAt: 0) }.joined() + row[last]
        }.joined(separator: "\n")
    }
}
