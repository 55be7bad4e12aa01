import Foundation

/// Checks a request's memory against what the machine has, before anything is allocated.
public enum MemoryBudget {
    /// Physical memory in bytes: `MemTotal` of `/proc/meminfo`, else `sysconf` pages times the page size.
    public static let physicalMemory: Double = {
        if let info = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = info.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
           let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) {
            return kilobytes * 1024
        }
        return Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE)))
    }()

    /// Throws `ACIMError.resourceLimit` when `bytes` (an estimate of what `what` allocates) exceed `available`,
    /// for example "--batch 10000000 needs about 10.2 GiB; this machine has 23.5 GiB".
    public static func require(_ bytes: Double, for what: String, available: Double = physicalMemory) throws {
        guard bytes > available else { return }
        throw ACIMError.resourceLimit("\(what) needs about \(format(bytes)); this machine has \(format(available))")
    }

    /// Bytes with a binary prefix and one decimal: "512.0 MiB", "10.2 GiB".
    public static func format(_ bytes: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = bytes, unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return String(format: unit == 0 ? "%.0f" : "%.1f", value) + " " + units[unit]
    }
}
