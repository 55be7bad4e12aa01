import ACIMCore
import Foundation

/// The profile schema generated from the components' key declarations: look-ups for the loader and the text
/// of `acim profile schema`.
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

    /// Every key as a table: dotted key, type, unit, default, allowed values and description.
    public static func text() -> String {
        var rows: [[String]] = [["key", "type", "unit", "default", "allowed", "description"]]
        func add(_ fields: [ConfigField], _ prefix: String) {
            for field in fields {
                let key = prefix + field.key
                rows.append([key, field.type, field.unit, field.defaultValue, field.allowed, field.doc])
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
