import ACIMProfiles
import ArgumentParser
import Foundation

/// `--profile FILE` for every command that takes hardware parameters.
struct ProfileOption: ParsableArguments {
    /// The profile used when `--profile` is not given, relative to the working directory.
    static let defaultPath = "HardwareProfiles/default.yaml"

    @Option(help: ArgumentHelp(
        "Hardware profile (YAML).",
        discussion: "Without --profile: \(ProfileOption.defaultPath) if it exists relative to the working directory, else the built-in defaults (acim profile schema lists them). Command-line array options override the profile.",
        valueName: "file"))
    var profile: String?

    /// The chosen profile; a bad profile is reported with every diagnostic and ends the command.
    func load() throws -> HardwareProfile {
        let path = profile ?? (FileManager.default.fileExists(atPath: Self.defaultPath) ? Self.defaultPath : nil)
        guard let path else { return HardwareProfile() }
        do {
            return try ProfileLoader.load(path: path)
        } catch let error as ProfileError {
            throw reportProfileError(error)
        }
    }
}

/// Writes every diagnostic of `error` to standard error; the returned exit code ends the command.
func reportProfileError(_ error: ProfileError) -> ExitCode {
    warn(error.description)
    return ExitCode.failure
}
