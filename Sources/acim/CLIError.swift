/// An error the command line reports as one message and a non-zero exit, without usage text.
struct CLIError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
