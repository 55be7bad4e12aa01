import ACIMChip
import ACIMCore
import ACIMProfiles
import Foundation
import Testing

/// One expected diagnostic: `"line:column"` in the broken file itself, or `"bases/x.yaml:line:column"` in a
/// file it extends, and the exact message.
struct Expected: CustomStringConvertible {
    let location: String
    let message: String

    init(_ location: String, _ message: String) {
        self.location = location
        self.message = message
    }

    var description: String { "\(location): \(message)" }
}

/// The broken-profile corpus: each file with every diagnostic it must produce, in order.
let brokenCorpus: [(String, [Expected])] = [
    ("bad-enum.yaml", [
        Expected("3:20", "array.weight_encoding: expected one of differential, offset, got 'diferential' (did you mean 'differential'?)"),
    ]),
    ("bad-unit.yaml", [
        Expected("3:10", "device.g_max: invalid quantity \"25uX\": expected a conductance such as \"1.5uS\" (units: pS, nS, uS, mS, S, kS, MS, GS)"),
    ]),
    ("columns-per-adc.yaml", [
        Expected("6:22", "periphery.adc.columns_per_adc: columns_per_adc (24) must divide cols (128)"),
    ]),
    ("dac-exceeds-input.yaml", [
        Expected("4:13", "periphery.dac_bits: dac_bits (8) must not exceed input_bits (4)"),
    ]),
    ("default-combination.yaml", [
        Expected("1:1", "periphery.adc.columns_per_adc: columns_per_adc (8) must divide cols (100) (periphery.adc.columns_per_adc is not set, so its default applies)"),
    ]),
    ("duplicate-key.yaml", [
        Expected("5:3", "duplicate key 'rows' (first set at line 3)"),
    ]),
    ("empty-name.yaml", [
        Expected("1:7", "name: the profile name must not be empty"),
    ]),
    ("extends-base-error.yaml", [
        Expected("bases/typo-base.yaml:4:5", "unknown key 'colums_per_adc' in periphery.adc (did you mean 'columns_per_adc'?)"),
    ]),
    ("extends-cycle.yaml", [
        Expected("bases/cycle-back.yaml:1:10", "extends cycle: extends-cycle.yaml -> cycle-back.yaml -> extends-cycle.yaml"),
    ]),
    // A base that cannot be loaded stops decoding: no "missing required key 'name'" as a consequence.
    ("extends-missing-no-name.yaml", [
        Expected("1:10", "cannot load profile 'bases/nowhere.yaml': no such file"),
        Expected("3:3", "unknown key 'colums' in array (did you mean 'cols'?)"),
    ]),
    ("extends-missing.yaml", [
        Expected("1:10", "cannot load profile 'bases/nowhere.yaml': no such file"),
    ]),
    ("extends-not-a-path.yaml", [
        Expected("1:10", "extends: expected the path of a base profile, got a list"),
    ]),
    ("extends-override-combination.yaml", [
        Expected("bases/good-base.yaml:8:22", "periphery.adc.columns_per_adc: columns_per_adc (16) must divide cols (120)"),
    ]),
    ("extends-override-type.yaml", [
        Expected("4:11", "periphery.adc.bits: expected an integer, got 'eight'"),
    ]),
    ("mesh-too-small.yaml", [
        Expected("3:10", "chip.tiles: 20 tiles do not fit a 4x4 mesh"),
    ]),
    ("missing-name.yaml", [
        Expected("1:1", "missing required key 'name'"),
    ]),
    ("multiple-errors.yaml", [
        Expected("3:9", "array.rows: expected an integer, got 'abc'"),
        Expected("4:3", "unknown key 'colums' in array (did you mean 'cols'?)"),
        Expected("5:20", "array.weight_encoding: expected one of differential, offset, got 'diferential' (did you mean 'differential'?)"),
        Expected("8:11", "periphery.adc.bits: expected an integer in 1...16, got 20"),
        Expected("9:13", "periphery.dac_bits: expected an integer, got '1.5'"),
        Expected("11:10", "device.g_max: invalid quantity \"25uX\": expected a conductance such as \"1.5uS\" (units: pS, nS, uS, mS, S, kS, MS, GS)"),
        Expected("12:7", "tile: expected a section (a mapping of keys such as 'arrays'), got '5'"),
    ]),
    ("out-of-range-integer.yaml", [
        Expected("3:9", "array.rows: expected an integer in 1...8192, got 0"),
    ]),
    ("out-of-range-negative-energy.yaml", [
        Expected("4:11", "energy.chip.dram: expected an energy >= 0, got -4pJ"),
    ]),
    ("out-of-range-quantity.yaml", [
        Expected("3:10", "technology.clock: expected a frequency in 1MHz...10GHz, got 100GHz"),
    ]),
    ("reference-bits.yaml", [
        Expected("5:19", "controller.reference_bits: reference_bits (8) must not exceed array.weight_bits (4)"),
    ]),
    ("slices-do-not-fit.yaml", [
        Expected("3:9", "array.cols: one weight needs 30 columns (15 slices of 1 bits, differential), but cols is 8"),
    ]),
    ("syntax-indentation.yaml", [
        Expected("4:8", "YAML syntax error: mapping values are not allowed in this context"),
    ]),
    ("syntax-tab-indent.yaml", [
        Expected("3:1", "YAML syntax error: found character that cannot start any token (while scanning for the next token at line 3, column 1); YAML indents with spaces, not tabs"),
    ]),
    ("syntax-unclosed-quote.yaml", [
        Expected("1:7", "YAML syntax error: found unexpected end of stream (while scanning a quoted scalar at line 1, column 7)"),
    ]),
    ("too-many-cells.yaml", [
        // 2^46 cells of 8-bit differential weights in 2-bit cells: 15 bytes each, 960 TiB.
        Expected("8:10", "chip.tiles: 1024 tiles x 1024 arrays of 8192x8192 cells need about 1.1 PiB when every "
                 + "array is in use; this machine has \(MemoryBudget.format(MemoryBudget.physicalMemory))"),
    ]),
    ("top-level-list.yaml", [
        Expected("1:1", "expected a mapping of profile sections at the top level, got a list"),
    ]),
    ("unknown-key-extends-typo.yaml", [
        Expected("1:1", "unknown key 'extend' at the top level (did you mean 'extends'?)"),
    ]),
    ("unknown-key-misplaced.yaml", [
        Expected("4:3", "unknown key 'bits' in array ('bits' belongs in periphery.adc)"),
    ]),
    ("unknown-key-no-match.yaml", [
        Expected("3:3", "unknown key 'flux_capacitor' in tile; valid keys: arrays, memory, memory_banks, bank_width, digital_lanes, dma_ports"),
    ]),
    ("unknown-key-typo.yaml", [
        Expected("4:3", "unknown key 'colums' in array (did you mean 'cols'?)"),
    ]),
    ("unknown-section.yaml", [
        Expected("2:1", "unknown key 'peripheral' at the top level (did you mean 'periphery'?)"),
    ]),
    ("wrong-dimension.yaml", [
        Expected("3:10", "technology.clock: invalid quantity \"250ns\": expected a frequency such as \"1.5GHz\" (units: pHz, nHz, uHz, mHz, Hz, kHz, MHz, GHz)"),
    ]),
    ("wrong-type-boolean.yaml", [
        Expected("4:14", "periphery.sparsity.enabled: expected true or false, got 'sometimes'"),
    ]),
    ("wrong-type-fraction.yaml", [
        Expected("3:13", "periphery.dac_bits: expected an integer, got '1.5'"),
    ]),
    ("wrong-type-integer.yaml", [
        Expected("3:9", "array.rows: expected an integer, got 'many'"),
    ]),
    ("wrong-type-list.yaml", [
        Expected("2:8", "array: expected a section (a mapping of keys such as 'rows'), got a list"),
    ]),
    ("wrong-type-mapping-for-value.yaml", [
        Expected("4:5", "array.rows: expected an integer, got a mapping"),
    ]),
    // Reported once as a wrong type, not again as a missing required key.
    ("wrong-type-name.yaml", [
        Expected("1:7", "name: expected a string, got a list"),
    ]),
    ("wrong-type-section.yaml", [
        Expected("2:7", "tile: expected a section (a mapping of keys such as 'arrays'), got '5'"),
    ]),
]

@Suite struct BrokenProfileTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Broken")

    @Test func corpusCoversEveryBrokenFile() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files == brokenCorpus.map(\.0).sorted())
        #expect(files.count >= 20)
    }

    @Test(arguments: brokenCorpus.map(\.0))
    func brokenProfileReportsExpectedDiagnostics(_ name: String) throws {
        let expected = try #require(brokenCorpus.first { $0.0 == name }?.1)
        let path = Self.directory.appendingPathComponent(name).path
        var thrown: ProfileError?
        do {
            _ = try ProfileLoader.load(path: path)
        } catch let error as ProfileError {
            thrown = error
        }
        let diagnostics = try #require(thrown, "\(name) loaded without error").diagnostics
        let actual = diagnostics.map { diagnostic -> String in
            let file = URL(fileURLWithPath: diagnostic.file).standardizedFileURL.path
            let relative = file.hasPrefix(Self.directory.path + "/") ? String(file.dropFirst(Self.directory.path.count + 1)) : file
            let position = "\(diagnostic.line):\(diagnostic.column)"
            return "\(relative == name ? position : relative + ":" + position): \(diagnostic.message)"
        }
        #expect(actual == expected.map(\.description))
        // Every located diagnostic quotes its source line and puts the caret under the column.
        for diagnostic in diagnostics where diagnostic.line > 0 {
            let lines = diagnostic.description.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 3)
            #expect(lines[0].hasSuffix("\(diagnostic.line):\(diagnostic.column): error: \(diagnostic.message)"))
            #expect(String(lines[1]) == diagnostic.sourceLine)
            #expect(lines[2].count == diagnostic.column && lines[2].hasSuffix("^"))
        }
    }

    @Test func checkReturnsNoDiagnosticsForAValidProfile() {
        #expect(ProfileLoader.check(path: Self.directory.appendingPathComponent("bases/good-base.yaml").path).isEmpty)
    }
}
