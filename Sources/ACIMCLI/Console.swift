import Foundation

/// Where the commands write what a user sees: standard output and standard error, or, for tests, buffers.
public final class Console: @unchecked Sendable {
    /// The console the running command writes to; bind another with `Console.$current.withValue(_:operation:)`.
    @TaskLocal public static var current = Console(capturing: false)

    private let capturing: Bool
    private let lock = NSLock()
    private var out = ""
    private var err = ""

    /// A console that keeps what is written (`capturing`) instead of writing it to the process's streams.
    public init(capturing: Bool = true) { self.capturing = capturing }

    /// What was written to standard output (capturing consoles only).
    public var output: String { lock.withLock { out } }

    /// What was written to standard error (capturing consoles only).
    public var errors: String { lock.withLock { err } }

    func write(_ text: String, toStandardError: Bool) {
        guard capturing else {
            if toStandardError { FileHandle.standardError.write(Data(text.utf8)) } else { Swift.print(text, terminator: "") }
            return
        }
        lock.withLock { if toStandardError { err += text } else { out += text } }
    }
}

/// Writes one line of a command's output to the current console.
func say(_ line: String = "", terminator: String = "\n") {
    Console.current.write(line + terminator, toStandardError: false)
}

/// Writes one line to the current console's standard error.
func warn(_ line: String) {
    Console.current.write(line + "\n", toStandardError: true)
}
