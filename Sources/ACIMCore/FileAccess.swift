import Foundation
#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// Reading and writing whole files with errors in the simulator's words: no such file, is a directory,
/// cannot read.
public enum FileAccess {
    /// Why the file at `path` cannot be read ("no such file", "is a directory, not a file", ...), or nil.
    public static func problem(reading path: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return "no such file" }
        if isDirectory.boolValue { return "is a directory, not a file" }
        return FileManager.default.isReadableFile(atPath: path) ? nil : "cannot read the file (permission denied)"
    }

    /// The bytes of the file at `path`; throws `ACIMError.io` naming the file and why it cannot be read.
    public static func contents(of path: String) throws -> Data {
        if let problem = problem(reading: path) { throw ACIMError.io(path: path, reason: problem) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ACIMError.io(path: path, reason: "cannot read the file")
        }
        return data
    }

    /// Why no file can be written at `path` ("is a directory, not a file", "no such directory: ..."), or nil.
    public static func problem(writing path: String) -> String? {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return "is a directory, not a file"
        }
        let directory = (path as NSString).deletingLastPathComponent
        if directory.isEmpty { return nil }
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            return "no such directory: \(directory)"
        }
        return nil
    }

    /// Writes `data` to the file at `path`, replacing it; throws `ACIMError.io` naming why it cannot be written.
    public static func write(_ data: Data, to path: String) throws {
        if let problem = problem(writing: path) { throw ACIMError.io(path: path, reason: problem) }
        guard FileManager.default.createFile(atPath: path, contents: data) else {
            throw ACIMError.io(path: path, reason: "cannot write the file (permission denied?)")
        }
    }

    /// Writes `data` to the file at `path` so that a crash leaves the old file or the new one, never a part:
    /// the bytes go to a temporary file in the same folder, which is flushed to disk and renamed over
    /// `path`, then the folder is flushed. Throws `ACIMError.io` naming why (an unwritable folder, a full
    /// disk), leaving any old file as it was and no temporary file behind.
    public static func writeAtomically(_ data: Data, to path: String) throws {
        if let problem = problem(writing: path) { throw ACIMError.io(path: path, reason: problem) }
        let parent = (path as NSString).deletingLastPathComponent
        let folder = parent.isEmpty ? "." : parent
        let temporary = folder + "/." + (path as NSString).lastPathComponent
            + ".\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp"
        let file = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard file >= 0 else {
            throw ACIMError.io(path: path, reason: "cannot create a file in \(folder): \(systemError())")
        }
        var failure: String?
        data.withUnsafeBytes { bytes in
            var offset = 0
            while failure == nil, offset < bytes.count {
                let written = systemWrite(file, bytes.baseAddress! + offset, bytes.count - offset)
                if written >= 0 {
                    offset += written
                } else if errno != EINTR {
                    failure = "cannot write the file: \(systemError())"
                }
            }
        }
        if failure == nil, fsync(file) != 0 { failure = "cannot flush the file to disk: \(systemError())" }
        if close(file) != 0, failure == nil { failure = "cannot write the file: \(systemError())" }
        if failure == nil, rename(temporary, path) != 0 { failure = "cannot replace the file: \(systemError())" }
        if let failure {
            unlink(temporary)
            throw ACIMError.io(path: path, reason: failure)
        }
        // The rename lasts through a crash once the folder is on disk.
        let directory = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw ACIMError.io(path: path, reason: "cannot open \(folder): \(systemError())") }
        defer { close(directory) }
        guard fsync(directory) == 0 else {
            throw ACIMError.io(path: path, reason: "cannot flush \(folder) to disk: \(systemError())")
        }
    }

    /// The C library's text for `errno`, lowercased: "permission denied", "no space left on device".
    private static func systemError() -> String {
        String(cString: strerror(errno)).lowercased()
    }
}
