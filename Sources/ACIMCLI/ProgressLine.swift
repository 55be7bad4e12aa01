import Foundation

/// A one-line progress display on standard error, redrawn in place; silent unless standard error is a
/// terminal (and the command writes to the process's streams), so redirected output, logs and tests stay
/// clean.
final class ProgressLine {
    private let enabled = isatty(STDERR_FILENO) != 0
    private var shown = false
    private var lastDraw = Date.distantPast

    /// Redraws the line with `text`, at most ten times a second unless `force`.
    func show(_ text: String, force: Bool = false) {
        guard enabled, force || Date().timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = Date()
        write("\r\u{1B}[K" + text)
        shown = true
    }

    /// Prints `text` on the command's output at once, above the progress line.
    func print(_ text: String) {
        clear()
        say(text)
        fflush(nil)
    }

    /// Erases the line, before other output or at the end.
    func clear() {
        guard enabled, shown else { return }
        write("\r\u{1B}[K")
        shown = false
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
