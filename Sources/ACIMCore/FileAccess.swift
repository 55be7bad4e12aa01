import Foundation

/// Reading whole files with errors in the simulator's words: no such file, is a directory, cannot read.
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
}
