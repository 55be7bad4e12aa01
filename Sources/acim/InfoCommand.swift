import ACIMCore
import ArgumentParser
import Foundation

/// `acim info`: version, BLAS kernels and threads.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version, the BLAS core in use and the thread count.")

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        print("acimsim \(acimVersion)")
        print("BLAS core: \(BLAS.coreName)" + (environment[OpenBLASCoreType.restartMarker] != nil
            ? " (restarted with OPENBLAS_CORETYPE=\(environment["OPENBLAS_CORETYPE"] ?? ""))" : ""))
        print("BLAS config: \(BLAS.configuration)")
        print("BLAS threads: \(BLAS.threadCount)")
        print("CPU cores: \(ProcessInfo.processInfo.activeProcessorCount)")
    }
}
