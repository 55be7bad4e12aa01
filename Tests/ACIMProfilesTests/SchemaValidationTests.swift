import ACIMCore
import ACIMProfiles
import Foundation
import Testing

/// The schema against the loader: generated from the key declarations, so every new key is covered.
@Suite struct SchemaValidationTests {
    /// Every non-section key with its dotted path.
    static func leaves(_ fields: [ConfigField], _ path: [String] = []) -> [(path: [String], field: ConfigField)] {
        fields.flatMap { field in
            field.isSection ? leaves(field.children, path + [field.key]) : [(path + [field.key], field)]
        }
    }

    static let keys = leaves(HardwareProfile.fields)
    static let ranged = keys.filter { !$0.field.samples.isEmpty }.map { $0.path.joined(separator: ".") }

    static func field(_ dotted: String) throws -> ConfigField {
        try #require(keys.first { $0.path.joined(separator: ".") == dotted }?.field)
    }

    /// A profile that sets only the key at `path` to `yaml`, with the line and column of the value.
    static func profile(setting path: [String], to yaml: String) -> (text: String, line: Int, column: Int) {
        var lines = path.first == "name" ? [] : ["name: t"]
        for (depth, key) in path.enumerated() {
            let indent = String(repeating: "  ", count: depth)
            lines.append(depth == path.count - 1 ? "\(indent)\(key): \(yaml)" : "\(indent)\(key):")
        }
        return (lines.joined(separator: "\n") + "\n", lines.count, 2 * (path.count - 1) + path.last!.count + 3)
    }

    static func diagnostics(_ text: String) -> [ProfileDiagnostic] {
        do {
            _ = try ProfileLoader.load(yaml: text, file: "t.yaml")
            return []
        } catch let error as ProfileError {
            return error.diagnostics
        } catch {
            return [ProfileDiagnostic(file: "t.yaml", line: 0, column: 0, message: "\(error)")]
        }
    }

    @Test func everyNumericKeyDeclaresARange() {
        let numeric = Self.keys.filter { ["integer", "number", "quantity", "number | auto"].contains($0.field.type) }
        let unranged = numeric.filter { $0.field.samples.isEmpty }.map { $0.path.joined(separator: ".") }
        #expect(unranged == ["device.aging.temperature_coefficient"])
        #expect(Self.ranged.count > 80)
    }

    @Test(arguments: ranged)
    func valuesJustInsideAreAcceptedAndJustOutsideRejected(_ dotted: String) throws {
        let field = try Self.field(dotted)
        let path = dotted.split(separator: ".").map(String.init)
        #expect(field.samples.contains { $0.admitted } && field.samples.contains { !$0.admitted })
        for sample in field.samples {
            let (text, line, column) = Self.profile(setting: path, to: sample.yaml)
            let own = Self.diagnostics(text).filter { $0.message.hasPrefix("\(dotted): expected") }
            if sample.admitted {
                #expect(own.isEmpty, "\(dotted): \(sample.yaml) is inside \(field.allowed)")
            } else {
                #expect(own.count == 1, "\(dotted): \(sample.yaml) is outside \(field.allowed)")
                #expect(own.first.map { [$0.line, $0.column] } == [line, column])
            }
        }
    }

    @Test(arguments: keys.filter { !$0.field.defaultValue.isEmpty }.map { $0.path.joined(separator: ".") })
    func schemaDefaultIsTheDecodedDefault(_ dotted: String) throws {
        let field = try Self.field(dotted)
        let (text, _, _) = Self.profile(setting: dotted.split(separator: ".").map(String.init), to: field.defaultValue)
        #expect(try ProfileLoader.load(yaml: text) == HardwareProfile(name: "t"), "\(dotted): \(field.defaultValue)")
    }

    /// The number of keys `value`'s type declares.
    static func declaredKeys<C: ComponentConfiguration>(_ value: C) -> Int { C.fields.count }

    /// Every stored property of every component is declared as a key, under a name used once per section.
    @Test func everyPropertyIsDeclared() {
        func check(_ value: any ComponentConfiguration, _ path: String) {
            let children = Mirror(reflecting: value).children
            #expect(children.count == Self.declaredKeys(value), "\(path)")
            for child in children {
                if let section = child.value as? any ComponentConfiguration { check(section, path + "." + (child.label ?? "")) }
            }
        }
        check(HardwareProfile(), "profile")
        func unique(_ fields: [ConfigField]) {
            #expect(Set(fields.map(\.key)).count == fields.count)
            for field in fields { unique(field.children) }
        }
        unique(HardwareProfile.fields)
    }
}
