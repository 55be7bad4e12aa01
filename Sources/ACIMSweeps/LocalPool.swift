import Foundation

/// Runs a sweep's tasks on this machine as child processes, `jobs` at a time: each child runs
/// `acim sweep task FOLDER --index I`, the same command a Slurm array task runs.
public struct LocalPool {
    /// The `acim` executable the children run.
    public var executable: String
    public var jobs: Int

    public init(executable: String, jobs: Int) {
        self.executable = executable
        self.jobs = max(1, jobs)
    }

    /// How a task's process ended: its exit status, whether a signal ended it, and the tail of its standard error.
    public struct Exit: Sendable {
        public var task: Int
        public var status: Int32
        public var signalled: Bool
        public var errors: String
    }

    /// Runs one task per index of `tasks` in `folder` (with `arguments` added to each), writing each child's standard error to `logs/task-I.log`
    /// there; `ended` is called as each task ends, and `waiting` about ten times a second while any runs.
    public func run(folder: String, tasks: [Int], arguments: [String] = [], ended: (Exit) -> Void, waiting: (_ running: Int) -> Void = { _ in }) throws {
        let logs = (folder as NSString).appendingPathComponent("logs")
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        var queue = tasks[...]
        var running: [(task: Int, process: Process, log: String)] = []
        while !queue.isEmpty || !running.isEmpty {
            while running.count < jobs, let task = queue.popFirst() {
                let log = (logs as NSString).appendingPathComponent("task-\(task).log")
                _ = FileManager.default.createFile(atPath: log, contents: nil)
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = ["sweep", "task", folder, "--index", "\(task)"] + arguments
                process.standardInput = FileHandle.nullDevice
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle(forWritingAtPath: log)
                try process.run()
                running.append((task, process, log))
            }
            for (index, child) in running.enumerated().reversed() where !child.process.isRunning {
                running.remove(at: index)
                let text = (try? String(contentsOfFile: child.log, encoding: .utf8)) ?? ""
                ended(Exit(task: child.task, status: child.process.terminationStatus,
                           signalled: child.process.terminationReason == .uncaughtSignal,
                           errors: lastLines(text, 5)))
            }
            waiting(running.count)
            if !running.isEmpty { Thread.sleep(forTimeInterval: 0.05) }
        }
    }
}

/// The last `count` non-empty lines of `text`.
public func lastLines(_ text: String, _ count: Int) -> String {
    text.split(separator: "\n").suffix(count).joined(separator: "\n")
}
