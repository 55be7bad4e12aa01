import ACIMCLI
import ACIMCore
import ACIMNetwork
import ArgumentParser
import Foundation

/// What a user sees of one `acim` run: standard output and error, the error message and the exit code.
struct Outcome: CustomStringConvertible {
    var output = ""
    var errors = ""
    var message = ""
    var exitCode: Int32 = 0

    /// The error message of a failed run; a run that exited with 0 reads as such, so it never matches one.
    var failure: String { exitCode == 0 ? "exit 0 (no error)" : message }

    var description: String { "exit \(exitCode): \(message) \(errors)" }
}

/// Parses and runs `acim arguments` in this process, as `acim` would, with the output captured.
func acim(_ arguments: [String]) -> Outcome {
    let console = Console()
    var outcome = Outcome()
    Console.$current.withValue(console) {
        do {
            var command = try Acim.parseAsRoot(arguments)
            try command.run()
        } catch {
            outcome.message = Acim.message(for: error)
            outcome.exitCode = Acim.exitCode(for: error).rawValue
        }
    }
    outcome.output = console.output
    outcome.errors = console.errors
    return outcome
}

/// The package root, for the shipped profiles, models and data.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

let defaultProfile = packageRoot + "/HardwareProfiles/default.yaml"
let shippedModel = packageRoot + "/Models/digits-san.safetensors"
let digits = packageRoot + "/Data/digits/digits.csv"

/// What `MemoryBudget` reports this machine has.
let machineMemory = MemoryBudget.format(MemoryBudget.physicalMemory)

/// A fresh temporary directory for one test's files.
struct Scratch: ~Copyable {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("acimsim-cli-\(UUID().uuidString)").path

    init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `array` as `name` and returns its path.
    func npy(_ name: String, _ array: NPYArray) throws -> String {
        try array.write(path: path + "/" + name)
        return path + "/" + name
    }

    /// Writes `bytes` as `name` and returns its path.
    func file(_ name: String, _ bytes: Data) throws -> String {
        try FileAccess.write(bytes, to: path + "/" + name)
        return path + "/" + name
    }
}
