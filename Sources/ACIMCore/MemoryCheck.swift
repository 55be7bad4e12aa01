#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Refuses requests for more memory than the machine has, before anything is allocated.
public enum MemoryCheck {
    /// The machine's physical memory in bytes.
    public static var physicalBytes: Double {
        Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Throws a resource-limit error naming `what` when `bytes` exceeds the machine's physical memory.
    public static func require(bytes: Double, for what: String) throws {
        let available = physicalBytes
        guard bytes <= available else {
            throw ACIMError.resourceLimit("\(what) needs about \(format(bytes)); this machine has \(format(available))")
        }
    }

    /// Bytes in GB or MB with one decimal.
    public static func format(_ bytes: Double) -> String {
        bytes >= 1e9 ? "\(rounded(bytes / 1e9)) GB" : "\(rounded(bytes / 1e6)) MB"
    }

    private static func rounded(_ x: Double) -> String {
        let tenths = (x * 10).rounded()
        return "\(Int(tenths) / 10).\(Int(tenths) % 10)"
    }
}
