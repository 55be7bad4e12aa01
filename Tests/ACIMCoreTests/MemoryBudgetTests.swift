import Foundation
import Testing
@testable import ACIMCore

@Suite struct MemoryBudgetTests {
    @Test func physicalMemoryIsTheMachines() {
        // /proc/meminfo and sysconf agree to within the kernel's reserved pages.
        let pages = Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE)))
        #expect(MemoryBudget.physicalMemory > 0)
        #expect(abs(MemoryBudget.physicalMemory - pages) <= 0.01 * pages)
    }

    @Test func estimatesAboveWhatTheMachineHasAreRefused() throws {
        let gib = 1024.0 * 1024 * 1024
        #expect(throws: ACIMError.resourceLimit("--batch 10000000 needs about 10.2 GiB; this machine has 8.0 GiB")) {
            try MemoryBudget.require(10.2 * gib, for: "--batch 10000000", available: 8 * gib)
        }
        try MemoryBudget.require(8 * gib, for: "exactly all", available: 8 * gib)
        try MemoryBudget.require(0, for: "nothing", available: 1)
    }

    @Test func sizesAreFormattedWithBinaryPrefixes() {
        #expect(MemoryBudget.format(512) == "512 B")
        #expect(MemoryBudget.format(1536) == "1.5 KiB")
        #expect(MemoryBudget.format(10.25 * 1024 * 1024 * 1024) == "10.2 GiB")
        #expect(MemoryBudget.format(3 * pow(1024, 4)) == "3.0 TiB")
    }
}

@Suite struct FileAccessTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("acimsim-fileaccess-\(UUID().uuidString)").path

    @Test func readErrorsSayWhy() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: ACIMError.io(path: directory + "/none", reason: "no such file")) {
            try FileAccess.contents(of: directory + "/none")
        }
        #expect(throws: ACIMError.io(path: directory, reason: "is a directory, not a file")) {
            try FileAccess.contents(of: directory)
        }
        try FileAccess.write(Data([1, 2, 3]), to: directory + "/f")
        #expect(try FileAccess.contents(of: directory + "/f") == Data([1, 2, 3]))
        #expect(throws: ACIMError.io(path: directory, reason: "is a directory, not a file")) {
            try FileAccess.write(Data(), to: directory)
        }
        #expect(throws: ACIMError.io(path: directory + "/no/f", reason: "no such directory: \(directory)/no")) {
            try FileAccess.write(Data(), to: directory + "/no/f")
        }
    }
}
