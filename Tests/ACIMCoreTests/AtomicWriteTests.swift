import Foundation
import Testing
@testable import ACIMCore

/// Atomic writes: the file is replaced whole or not at all, and no temporary file is left behind.
@Suite struct AtomicWriteTests {
    /// A new empty folder.
    static func folder() throws -> String {
        let path = NSTemporaryDirectory() + "acimsim-write-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    @Test func writesAndReplacesLeavingNoTemporaryFile() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/state.json"
        try FileAccess.writeAtomically(Data("first".utf8), to: path)
        #expect(try FileAccess.contents(of: path) == Data("first".utf8))
        let large = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try FileAccess.writeAtomically(large, to: path)
        #expect(try FileAccess.contents(of: path) == large)
        try FileAccess.writeAtomically(Data(), to: path)
        #expect(try FileAccess.contents(of: path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["state.json"])
    }

    @Test func refusesWhatCannotBeWritten() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(throws: ACIMError.io(path: folder, reason: "is a directory, not a file")) {
            try FileAccess.writeAtomically(Data("x".utf8), to: folder)
        }
        #expect(throws: ACIMError.io(path: folder + "/none/state.json", reason: "no such directory: \(folder)/none")) {
            try FileAccess.writeAtomically(Data("x".utf8), to: folder + "/none/state.json")
        }
    }

    /// An unwritable folder: the old file stays as it was and nothing is left behind.
    @Test func anUnwritableFolderKeepsTheOldFile() throws {
        let folder = try Self.folder()
        let path = folder + "/state.json"
        try FileAccess.writeAtomically(Data("old".utf8), to: path)
        try lock(folder)
        defer {
            unlock(folder)
            try? FileManager.default.removeItem(atPath: folder)
        }
        let error = try #require(throws: ACIMError.self) {
            try FileAccess.writeAtomically(Data("new".utf8), to: path)
        }
        guard case let .io(failedPath, reason) = error else { Issue.record("expected an I/O error, got \(error)"); return }
        #expect(failedPath == path)
        #expect(reason == "cannot create a file in \(folder): permission denied"
                || reason == "cannot create a file in \(folder): operation not permitted")
        #expect(try FileAccess.contents(of: path) == Data("old".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["state.json"])
    }

    /// Takes write permission away from `folder`; for a user whom permissions do not stop (root), makes the
    /// folder immutable instead.
    private func lock(_ folder: String) throws {
        chmod(folder, 0o555)
        if access(folder, W_OK) == 0 { _ = try run("/usr/bin/chattr", "+i", folder) }
        try #require(access(folder, W_OK) != 0, "cannot make a folder unwritable for this user")
    }

    private func unlock(_ folder: String) {
        if getuid() == 0 { _ = try? run("/usr/bin/chattr", "-i", folder) }
        chmod(folder, 0o755)
    }

    private func run(_ tool: String, _ arguments: String...) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
