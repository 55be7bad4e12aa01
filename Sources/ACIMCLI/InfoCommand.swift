import ACIMCore
import ArgumentParser
import Foundation

/// `acim info`: version, BLAS kernels and threads.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the version, the BLAS core in use, the thread count and whether the integer GEMM path is on.")

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        say("acimsim \(acimVersion)")
        say("BLAS core: \(BLAS.coreName)" + (environment[OpenBLASCoreType.restartMarker] != nil
            ? " (restarted with OPENBLAS_CORETYPE=\(environment["OPENBLAS_CORETYPE"] ?? ""))" : ""))
        say("BLAS config: \(BLAS.configuration)")
        say("BLAS threads: \(BLAS.threadCount)")
        say("integer GEMM: \(IntegerGEMM.status.description)")
        say("CPU cores: \(ProcessInfo.processInfo.activeProcessorCount)")
    }
}
