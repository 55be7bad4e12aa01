import Foundation
import Testing

/// docs/validation.md against the commands it cites: for every bundled profile, `acim mvm` and
/// `acim profile area` run in-process give acimsim's side of each row of the doc's table. `checked` rows stay
/// within 30 % of the published figure; every tested row's acimsim figure stays what the doc says.
@Suite struct ValidationTests {
    /// One row of the doc's table.
    struct Row {
        let line: Int
        let profile: String
        let figure: String
        let published: Double?
        let acim: Double
        let ratio: Double?
        /// `checked`, `differs` or `-` (no published figure).
        let test: String
    }

    static let doc = packageRoot + "/docs/validation.md"
    static let header = "| profile | figure | published | source | acim | ratio | test |"
    static let profiles = ["default", "default-pcm", "aihwkit-pcm", "hermes-pcm", "neurram-rram", "isaac-rram"]
    static let statuses: Set = ["checked", "differs", "-"]

    /// The rows of the doc's figure table, in order.
    static func rows() throws -> [Row] {
        let lines = try String(contentsOfFile: doc, encoding: .utf8).components(separatedBy: "\n")
        let start = try #require(lines.firstIndex(of: header), "\(doc): no table with the header \(header)")
        var rows: [Row] = []
        for (index, line) in lines.enumerated().dropFirst(start + 2) {
            guard line.hasPrefix("|") else { break }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                .map { $0.trimmingCharacters(in: .whitespaces) }
            try #require(cells.count == 7, "\(doc):\(index + 1): expected 7 cells, got \(cells.count)")
            let acim = try #require(Double(cells[4]), "\(doc):\(index + 1): acim figure '\(cells[4])' is not a number")
            rows.append(Row(line: index + 1, profile: cells[0], figure: cells[1], published: Double(cells[2]),
                            acim: acim, ratio: Double(cells[5]), test: cells[6]))
        }
        return rows
    }

    /// acimsim's figures of `profile`, by the table's figure names, from the commands the doc cites.
    static func figures(_ profile: String) throws -> [String: Double] {
        let path = packageRoot + "/HardwareProfiles/\(profile).yaml"
        let mvm = acim(["mvm", "--profile", path]), area = acim(["profile", "area", path])
        try #require(mvm.exitCode == 0 && area.exitCode == 0, "\(mvm) \(area)")
        let report = mvm.output.components(separatedBy: "\n")
        /// The numbers of the report line starting with `prefix`, in order: its words that are numbers, with
        /// punctuation trimmed and `AxB` read as two.
        func numbers(_ prefix: String, in lines: [String] = report) throws -> [Double] {
            let line = try #require(lines.first { $0.hasPrefix(prefix) }, "no line '\(prefix)' in \(lines)")
            return line.dropFirst(prefix.count).split(separator: " ")
                .flatMap { $0.trimmingCharacters(in: CharacterSet(charactersIn: ",;()")).split(separator: "x") }
                .compactMap { Double($0) }
        }
        /// The gated energy in pJ per MVM of the event `label`.
        func energy(_ label: String) throws -> Double { try numbers("  " + label + " ")[0] }
        let columns = try numbers("array")[1], columnsPerADC = try numbers("periphery").last!
        let mapping = try numbers("mapping"), rows = mapping[0], outputs = mapping[1]
        let time = try numbers("time")[0], total = try energy("total")
        let operations = 2 * rows * outputs
        let chip = try numbers("chip area", in: area.output.components(separatedBy: "\n"))
        return [
            "MVM time (ns)": time,
            "MVM energy (pJ)": total,
            "ADC energy (pJ)": try energy("ADC conversions"),
            "DAC and word-line energy (pJ)": try energy("DAC") + energy("wordline drives"),
            "cell and bit-line energy (pJ)": try energy("cell reads") + energy("bit-line charge"),
            "shift-add energy (pJ)": try energy("shift-add"),
            "outputs per array": outputs,
            "ADCs per array": columns / columnsPerADC,
            "TOPS/W": operations / total,
            "TOPS per array": operations / time / 1000,
            "chip area (mm2)": chip[0],
            "area per tile (mm2)": chip[1],
        ]
    }

    @Test func everyBundledProfileHasRowsAndEveryRowIsWellFormed() throws {
        let rows = try Self.rows()
        #expect(Set(rows.map(\.profile)) == Set(Self.profiles))
        for row in rows {
            #expect(Self.statuses.contains(row.test), "\(Self.doc):\(row.line): unknown test status '\(row.test)'")
            #expect((row.published == nil) == (row.test == "-"), "\(Self.doc):\(row.line): a published figure needs a status, '-' none")
            if let published = row.published {
                let ratio = try #require(row.ratio, "\(Self.doc):\(row.line): no ratio")
                #expect(abs(ratio - row.acim / published) <= 0.006, "\(Self.doc):\(row.line): ratio \(ratio), acim/published \(row.acim / published)")
                // `checked` within 30 %, `differs` further apart (with its reason in the doc).
                #expect((row.test == "checked") == (abs(ratio - 1) <= 0.3),
                        "\(Self.doc):\(row.line): ratio \(ratio) with status '\(row.test)'")
            }
        }
    }

    @Test(arguments: profiles)
    func acimsimFiguresAreTheDocsAndCheckedOnesWithin30Percent(_ profile: String) throws {
        let figures = try Self.figures(profile)
        for row in try Self.rows() where row.profile == profile {
            let value = try #require(figures[row.figure], "\(Self.doc):\(row.line): unknown figure '\(row.figure)'")
            #expect(abs(value - row.acim) <= 0.005 * abs(value) + 1e-9,
                    "\(Self.doc):\(row.line): \(profile) \(row.figure): acim gives \(value), the doc says \(row.acim)")
            if row.test == "checked", let published = row.published {
                #expect(abs(value / published - 1) <= 0.3,
                        "\(Self.doc):\(row.line): \(profile) \(row.figure): \(value) against the published \(published)")
            }
        }
    }
}
