import ACIMArray
import ACIMCore
import ACIMProfiles
import Foundation
import Testing

@Suite struct ProfileLoaderTests {
    /// A scratch directory with the given files, for `extends` chains.
    static func scratch(_ files: [String: String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("acim-profiles-\(UUID().uuidString)")
        for (name, text) in files {
            let url = directory.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return directory
    }

    /// A key repeated in a file with carriage returns, which YAML counts as line breaks: the search for the
    /// repeated key started past the last line and trapped (found by the profile fuzzer).
    @Test func aRepeatedKeyAfterCarriageReturnsIsReported() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let data = try Data(contentsOf: root.appendingPathComponent("Fuzz/corpus/profile/regress-duplicate-key-line.yaml"))
        do {
            _ = try ProfileLoader.load(yaml: String(decoding: data, as: UTF8.self), file: "regress.yaml")
            Issue.record("the profile loaded")
        } catch let error as ProfileError {
            #expect(error.diagnostics.map(\.message) == ["duplicate key 'chip'"])
        }
    }

    /// An integer beyond every range is an error, not a trap when the message is formatted; integers are
    /// decimal, and the YAML reader's sexagesimal form, which trapped on overflow (found by the profile
    /// fuzzer), is not read as one.
    @Test func integersAreDecimalAndBounded() {
        func messages(_ yaml: String) -> [String] {
            do {
                _ = try ProfileLoader.load(yaml: yaml, file: "p.yaml")
                return []
            } catch let error as ProfileError {
                return error.diagnostics.map(\.message)
            } catch { return ["\(error)"] }
        }
        #expect(messages("name: x\narray: {rows: 9223372036854775807}")
                == ["array.rows: expected an integer in 1...8192, got 9.223372036854776e+18"])
        #expect(messages("name: x\narray:\n  rows: 9999999999999999999:9\n")
                == ["array.rows: expected an integer, got '9999999999999999999:9'"])
        #expect(messages("name: x\narray: {rows: 0x10}") == ["array.rows: expected an integer, got '0x10'"])
        #expect(messages("name: x\narray: {rows: 128}") == [])
    }

    @Test func quantitiesWithUnitsEqualPlainSINumbers() throws {
        let withUnits = try ProfileLoader.load(yaml: """
            name: q
            technology: {clock: 1.2GHz, node: 14nm}
            device: {g_max: 25uS, read_noise: 0.2uS}
            tile: {memory: 64KiB}
            controller: {check_interval: 2h, pulse_time: 250ns}
            energy: {array: {adc_conversion: 1.2pJ}}
            area: {adc: 0.5mm2}
            """)
        let plain = try ProfileLoader.load(yaml: """
            name: q
            technology: {clock: 1.2e9, node: 1.4e-8}
            device: {g_max: 2.5e-5, read_noise: 2.0e-7}
            tile: {memory: 65536}
            controller: {check_interval: 7200, pulse_time: 2.5e-7}
            energy: {array: {adc_conversion: 1.2e-12}}
            area: {adc: 5.0e-7}
            """)
        #expect(withUnits == plain)
        #expect(withUnits.device.gMax.value == 25e-6)
        #expect(withUnits.tile.memory.value == 65536)
        #expect(withUnits.controller.checkInterval.value == 7200)
        #expect(withUnits.area.adc.value == 0.5e-6)
    }

    @Test func extendsDeepMergesOverrides() throws {
        let directory = try Self.scratch([
            "base/chip.yaml": "name: base\narray: {rows: 128, cols: 128}\nperiphery: {adc: {bits: 6, columns_per_adc: 16}}\n",
            "variant.yaml": "extends: base/chip.yaml\nname: variant\nperiphery: {adc: {bits: 7}}\n",
        ])
        let variant = try ProfileLoader.load(path: directory.appendingPathComponent("variant.yaml").path)
        #expect(variant.name == "variant")
        #expect(variant.array.rows == 128 && variant.array.cols == 128)
        #expect(variant.periphery.adc.bits == 7)
        #expect(variant.periphery.adc.columnsPerADC == 16)
        #expect(variant.periphery.inputBits == PeripheryConfig().inputBits)
    }

    @Test func syntaxErrorInTheBaseIsReportedInTheBase() throws {
        let directory = try Self.scratch([
            "base.yaml": "name: base\narray:\n  rows: [1\n",
            "child.yaml": "extends: base.yaml\nname: child\n",
        ])
        #expect {
            try ProfileLoader.load(path: directory.appendingPathComponent("child.yaml").path)
        } throws: { error in
            guard let diagnostics = (error as? ProfileError)?.diagnostics, diagnostics.count == 1 else { return false }
            return diagnostics[0].file.hasSuffix("base.yaml") && diagnostics[0].message.hasPrefix("YAML syntax error")
        }
    }

    @Test func selfExtensionIsACycle() throws {
        let directory = try Self.scratch(["loop.yaml": "name: loop\nextends: loop.yaml\n"])
        let diagnostics = ProfileLoader.check(path: directory.appendingPathComponent("loop.yaml").path)
        #expect(diagnostics.map(\.message) == ["extends cycle: loop.yaml -> loop.yaml"])
        #expect(diagnostics.first?.line == 2 && diagnostics.first?.column == 10)
    }

    @Test func unreadableFileIsOneDiagnosticWithoutPosition() {
        let diagnostics = ProfileLoader.check(path: "/nonexistent/profile.yaml")
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.line == 0)
        #expect(diagnostics.first?.description == "/nonexistent/profile.yaml: error: cannot load profile '/nonexistent/profile.yaml': no such file")
    }

    /// Only regular files of at most 1 MiB are read: `extends` naming a directory, a device or a /proc file
    /// that never ends is one diagnostic, not a hang.
    @Test func extendsReadsOnlyRegularFilesOfBoundedSize() throws {
        let directory = try Self.scratch(["big.yaml": "name: big\n" + String(repeating: "#\n", count: 600_000)])
        func message(extending base: String) -> String? {
            (try? Self.scratch(["child.yaml": "extends: \(base)\nname: child\n"]))
                .flatMap { ProfileLoader.check(path: $0.appendingPathComponent("child.yaml").path).map(\.message).first }
        }
        #expect(message(extending: directory.path) == "cannot load profile '\(directory.path)': is a directory, not a file")
        #expect(message(extending: "/dev/zero") == "cannot load profile '/dev/zero': not a regular file")
        let big = directory.appendingPathComponent("big.yaml").path
        #expect(message(extending: big) == "cannot load profile '\(big)': larger than 1 MiB, which no hardware profile is")
        if FileManager.default.fileExists(atPath: "/proc/self/pagemap") {
            #expect(message(extending: "/proc/self/pagemap")
                == "cannot load profile '/proc/self/pagemap': larger than 1 MiB, which no hardware profile is")
        }
    }

    @Test func crossbarSectionsFeedTheCrossbarConfig() throws {
        let profile = try ProfileLoader.load(yaml: """
            name: c
            array: {rows: 64, cols: 64, bits_per_cell: 1}
            periphery: {input_bits: 4, adc: {bits: 5, columns_per_adc: 4}}
            device: {g_max: 10uS}
            energy: {array: {adc_conversion: 3pJ}}
            """)
        let crossbar = profile.crossbar
        #expect(crossbar.array.rows == 64 && crossbar.array.bitsPerCell == 1)
        #expect(crossbar.periphery.adc.columnsPerADC == 4)
        #expect(crossbar.device.gMax.value == 10e-6)
        #expect(crossbar.energy.adcConversion.value == 3e-12)
        #expect(crossbar.validate().isEmpty)
    }

    @Test func editDistanceSuggestsTheNearestKey() throws {
        let diagnostics = ProfileLoader.check(path: try Self.scratch(["t.yaml": "name: t\nperiphery:\n  adc:\n    colums_per_adc: 4\n    bist: 4\n"])
            .appendingPathComponent("t.yaml").path)
        #expect(diagnostics.map(\.message) == [
            "unknown key 'colums_per_adc' in periphery.adc (did you mean 'columns_per_adc'?)",
            "unknown key 'bist' in periphery.adc (did you mean 'bits'?)",
        ])
    }
}

@Suite struct ProfileSchemaTests {
    /// Every dotted key of the schema.
    static func keys(_ fields: [ConfigField], _ prefix: String = "") -> [String] {
        fields.flatMap { [prefix + $0.key] + keys($0.children, prefix + $0.key + ".") }
    }

    @Test func schemaListsEveryKeyWithTypeAndDefault() {
        let text = ProfileSchema.text()
        let lines = text.split(separator: "\n").map(String.init)
        for key in Self.keys(HardwareProfile.fields) {
            #expect(lines.contains { $0.hasPrefix(key + " ") }, "schema misses \(key)")
        }
        let gMax = lines.first { $0.hasPrefix("device.g_max ") } ?? ""
        #expect(gMax.split(separator: " ").map(String.init).prefix(4) == ["device.g_max", "quantity", "S", "25uS"])
        #expect(gMax.contains("> g_min"))
        #expect(lines.contains { $0.hasPrefix("extends ") })
    }

    @Test func schemaDefaultsMatchTheBuiltInProfile() throws {
        // The documented defaults, written as a profile, load to the built-in defaults.
        func yaml(_ fields: [ConfigField], indent: String) -> String {
            fields.compactMap { field -> String? in
                if field.type == "section" { return "\(indent)\(field.key):\n" + yaml(field.children, indent: indent + "  ") }
                guard !field.defaultValue.isEmpty, field.key != "description" else { return nil }
                return "\(indent)\(field.key): \(field.defaultValue)"
            }.joined(separator: "\n")
        }
        let documented = try ProfileLoader.load(yaml: "name: builtin\n" + yaml(HardwareProfile.fields, indent: ""))
        #expect(documented == HardwareProfile())
    }
}
