import ACIMCore
import ArgumentParser
import Foundation

/// `acim info`: version, BLAS kernels and threads.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version, the BLAS core in use and the thread count.")

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        say("acimsim \(acimVersion)")
        say("BLAS core: \(BLAS.coreName)" + (environment[OpenBLASCoreType.restartMarker] != nil
            ? " (restarted with OPENBLAS_CORETYPE=\(environment["OPENBLAS_CORETYPE"] ?? ""))" : ""))
        say("BLAS config: \(BLAS.configuration)")
        say("BLAS threads: \(BLAS.threadCount)")
        say("CPU cores: \(ProcessInfo.processInfo.activeProcessorCount)")
    }
}
