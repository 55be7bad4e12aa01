import ArgumentParser

/// The `acim` command-line tool.
public struct Acim: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "acim",
        abstract: "acimsim: a cycle-level simulator of analog compute-in-memory accelerators.",
        version: acimVersion,
        subcommands: [Info.self, Run.self, ReplayCommand.self, SweepCommand.self, MapCommand.self, ReshapeCommand.self, MVM.self, Bench.self, Profile.self, Device.self, ModelCommand.self]
    )

    public init() {}
}

let acimVersion = "0.1.0"
