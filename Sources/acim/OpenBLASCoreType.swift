import ACIMCore
import Foundation

/// OpenBLAS 0.3.21 does not recognise the newest Xeons and silently falls back to
/// generic kernels. When that happened on a CPU with AVX-512 or AVX2, restart this process once with
/// `OPENBLAS_CORETYPE` set; setting it after the library has loaded is too late.
enum OpenBLASCoreType {
    static let restartMarker = "ACIM_OPENBLAS_RESTARTED"

    /// The core type this CPU supports best, from `/proc/cpuinfo` flags, or nil if neither AVX2 nor AVX-512.
    static func preferredCoreType() -> String? {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            return nil
        }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        if flags.contains("avx512f") && flags.contains("avx512bw") && flags.contains("avx512vl") { return "SKYLAKEX" }
        if flags.contains("avx2") { return "HASWELL" }
        return nil
    }

    /// True when the loaded kernels are a generic fallback (no AVX2 or AVX-512 kernels).
    static func isGenericFallback(_ coreName: String) -> Bool {
        let generic = ["prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "katmai",
                       "coppermine", "northwood", "banias", "generic", "sandybridge", "unknown"]
        return generic.contains(coreName.lowercased())
    }

    /// Restarts the process with `OPENBLAS_CORETYPE` set if the fallback happened; returns if not needed.
    static func restartIfNeeded() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["OPENBLAS_CORETYPE"] == nil, environment[restartMarker] == nil,
              isGenericFallback(BLAS.coreName), let coreType = preferredCoreType() else { return }
        setenv("OPENBLAS_CORETYPE", coreType, 1)
        setenv(restartMarker, "1", 1)
        let arguments = CommandLine.arguments
        var cArguments = arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &cArguments)
        // execv returns only on failure: continue with the generic kernels.
        for pointer in cArguments { free(pointer) }
    }
}
