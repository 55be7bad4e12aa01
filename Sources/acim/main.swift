import ArgumentParser
import CHeap

/// The `acim` command-line tool.
struct Acim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acim",
        abstract: "acimsim: a cycle-level simulator of analog compute-in-memory accelerators.",
        version: acimVersion,
        subcommands: [Info.self, MVM.self, Bench.self, Profile.self, Device.self, ModelCommand.self]
    )
}

let acimVersion = "0.1.0"

OpenBLASCoreType.restartIfNeeded()
acim_heap_keep_freed_memory()
Acim.main()
