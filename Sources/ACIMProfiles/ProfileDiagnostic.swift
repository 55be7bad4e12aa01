/// One problem in a profile file, located by line and column, rendered like a compiler error:
/// `file:line:column: error: message`, then the source line and a caret under the column.
public struct ProfileDiagnostic: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    /// 1-based; 0 when the problem has no position (an unreadable file).
    public var line: Int
    /// 1-based, counted in Unicode scalars; 0 when the problem has no position.
    public var column: Int
    public var message: String
    /// The text of `line`, empty without a position.
    public var sourceLine: String

    public init(file: String, line: Int, column: Int, message: String, sourceLine: String = "") {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        self.sourceLine = sourceLine
    }

    public var description: String {
        guard line > 0 else { return "\(file): error: \(message)" }
        let caretOffset = String(sourceLine.unicodeScalars.prefix(max(0, column - 1)))
            .map { $0 == "\t" ? "\t" : " " }.joined()
        return "\(file):\(line):\(column): error: \(message)\n\(sourceLine)\n\(caretOffset)^"
    }
}

/// All problems found while loading one profile (and the files it extends).
public struct ProfileError: Error, Equatable, Sendable, CustomStringConvertible {
    public var diagnostics: [ProfileDiagnostic]

    public init(diagnostics: [ProfileDiagnostic]) { self.diagnostics = diagnostics }

    public var description: String {
        let count = diagnostics.count
        return diagnostics.map(\.description).joined(separator: "\n")
            + "\n\(count) error\(count == 1 ? "" : "s")"
    }
}
