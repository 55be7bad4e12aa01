import ACIMChip
import ACIMProfiles
import ArgumentParser
import Foundation

/// `acim profile`: check, show and describe hardware profiles.
struct Profile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check, show and describe YAML hardware profiles.",
        subcommands: [Check.self, Show.self, Schema.self, Area.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report every problem of each profile as file:line:column: error: ...; exit 1 if any.")

        @Argument(help: "Profile files.") var files: [String]

        func run() throws {
            var failed = 0
            for file in files {
                let diagnostics = ProfileLoader.check(path: file)
                if diagnostics.isEmpty {
                    say("\(file): ok")
                } else {
                    failed += 1
                    _ = reportProfileError(ProfileError(diagnostics: diagnostics))
                }
            }
            if failed > 0 { throw ExitCode.failure }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the fully resolved profile (extends applied, every default filled in) as YAML.")

        @Argument(help: "Profile file.") var file: String

        func run() throws {
            do {
                let profile = try ProfileLoader.load(path: file)
                say("# \(file), resolved: extends applied, every default filled in")
                say(try profile.yaml(), terminator: "")
            } catch let error as ProfileError {
                throw reportProfileError(error)
            }
        }
    }

    struct Area: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the chip's area from the profile's area table: in total, per tile and by component.")

        @Argument(help: "Profile file.") var file: String

        func run() throws {
            let chip: Chip
            do { chip = try ProfileLoader.load(path: file).makeChip() } catch let error as ProfileError {
                throw reportProfileError(error)
            }
            let tiles = chip.config.tiles
            say("chip area   \(fmt(chip.area * 1e6, 3)) mm2; \(fmt(chip.area / Double(tiles) * 1e6, 4)) mm2 per tile (\(tiles) tiles)")
            sayArea(chip.areaByComponent, total: chip.area)
        }
    }

    struct Schema: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every profile key with its type, default, allowed values and meaning.",
            discussion: "Quantities take a number in SI base units or a string with a unit: \"25uS\", \"250ns\", \"1.2pJ\", \"0.5mm2\", \"1GHz\", \"1h\", \"256KiB\".")

        func run() {
            say(ProfileSchema.text())
        }
    }
}
