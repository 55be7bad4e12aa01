import ACIMCore
import Foundation

/// A Slurm cluster as its command-line tools show it: `sbatch`, `squeue`, `scontrol` and `scancel` only,
/// never `sacct`, since many clusters run without accounting.
public struct Slurm: Sendable {
    public init() {}

    /// A failed Slurm command: the tool, and what it wrote on standard error.
    public struct Failure: Error, CustomStringConvertible {
        public var command: String
        public var message: String
        public var description: String { "\(command): \(message)" }
    }

    /// Runs `tool` with `arguments` and returns its standard output; throws `Failure` with its standard error.
    @discardableResult
    func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw Failure(command: tool, message: "cannot start it: \(error)") }
        // Read both pipes to their end before waiting, so a chatty tool never blocks on a full pipe.
        let errors = ReadToEnd(err.fileHandleForReading)
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let message = String(decoding: errors.data(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0 else {
            throw Failure(command: tool, message: process.terminationStatus == 127
                ? "not found: Slurm's command-line tools are not installed on this machine"
                : message.isEmpty ? "exit status \(process.terminationStatus)" : message)
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Nil when a controller answers, else why not (`scontrol ping`).
    public func unreachable() -> String? {
        do {
            let answer = try run("scontrol", ["ping"])
            return answer.contains("UP") ? nil : answer.trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            return "\(error)"
        }
    }

    /// The cluster's `MaxArraySize` (`scontrol show config`): array indices run from 0 to one less.
    public func maxArraySize() throws -> Int {
        let config = try run("scontrol", ["show", "config"])
        for line in config.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0] == "MaxArraySize", let size = Int(parts[1]) { return size }
        }
        return 1001
    }

    /// Submits with `sbatch --parsable` and returns the job id.
    public func submit(_ arguments: [String]) throws -> String {
        let answer = try run("sbatch", ["--parsable"] + arguments).trimmingCharacters(in: .whitespacesAndNewlines)
        // `--parsable` prints "id" or "id;cluster".
        guard let id = answer.split(separator: ";").first, Int(id) != nil else {
            throw Failure(command: "sbatch", message: "unexpected answer '\(answer)'")
        }
        return String(id)
    }

    /// The job's tasks still queued or running, each as `id state` (`squeue -h -j ID`); empty once all ended.
    public func queued(_ job: String) throws -> [String] {
        do {
            return try run("squeue", ["-h", "-j", job, "-o", "%i %T"]).split(separator: "\n").map(String.init)
        } catch let failure as Failure where failure.message.contains("Invalid job id") {
            return []
        }
    }

    /// The final state of each of the job's tasks (`scontrol -o show job ID`): id, state and exit code.
    public func states(_ job: String) throws -> [(id: String, state: String, exitCode: String)] {
        try run("scontrol", ["-o", "show", "job", job]).split(separator: "\n").map { line in
            var fields: [String: String] = [:]
            for field in line.split(separator: " ") {
                let pair = field.split(separator: "=", maxSplits: 1)
                if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
            }
            let id = fields["ArrayTaskId"].map { "\(fields["ArrayJobId"] ?? job)_\($0)" } ?? fields["JobId"] ?? job
            return (id, fields["JobState"] ?? "UNKNOWN", fields["ExitCode"] ?? "")
        }
    }

    /// Cancels the job (`scancel`).
    public func cancel(_ job: String) throws { try run("scancel", [job]) }
}

/// Reads a pipe to its end on another thread.
final class ReadToEnd: @unchecked Sendable {
    private var collected = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            collected = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    /// Everything read, once the writer closed the pipe.
    func data() -> Data {
        done.wait()
        return collected
    }
}

/// A sweep's submission to Slurm (`slurm.json`): the array job, its collection job and how points were packed.
public struct SlurmSubmission: Codable, Sendable, Equatable {
    public var arrayJob: String
    public var collectJob: String
    /// Array indices submitted (tasks with points to run), as Slurm's `--array` takes them: `0-3,7`.
    public var array: String
    public var pointsPerTask: Int
    public static let file = "slurm.json"

    public init(arrayJob: String, collectJob: String, array: String, pointsPerTask: Int) {
        (self.arrayJob, self.collectJob) = (arrayJob, collectJob)
        (self.array, self.pointsPerTask) = (array, pointsPerTask)
    }
}

/// The batch script of a sweep's job array: each array task runs `acim sweep task` for its points.
public struct SlurmScript {
    public var executable: String
    public var folder: String
    public var array: String
    public var pointsPerTask: Int
    /// Whether the tasks run failed points again.
    public var retryFailed: Bool
    public var partition: String?
    public var time: String?
    /// Further `sbatch` options, one `#SBATCH` line each.
    public var extra: [String]

    public init(executable: String, folder: String, array: String, pointsPerTask: Int, retryFailed: Bool, partition: String?,
                time: String?, extra: [String]) {
        (self.executable, self.folder, self.array) = (executable, folder, array)
        (self.pointsPerTask, self.retryFailed) = (pointsPerTask, retryFailed)
        (self.partition, self.time, self.extra) = (partition, time, extra)
    }

    /// The options the array job and the collection job share.
    public var common: [String] {
        (partition.map { ["--partition=\($0)"] } ?? []) + extra
    }

    public var text: String {
        let log = (folder as NSString).appendingPathComponent("slurm/task-%A_%a.log")
        let options = ["--job-name=acim-sweep", "--array=\(array)", "--output=\(log)"] + (time.map { ["--time=\($0)"] } ?? []) + common
        return "#!/bin/sh\n# An acimsim sweep's job array, written by acim sweep submit: each array task runs the points it holds.\n"
            + options.map { "#SBATCH \($0)\n" }.joined()
            + "exec \(shellQuoted(executable)) sweep task \(shellQuoted(folder)) --index \"$SLURM_ARRAY_TASK_ID\" --points-per-task \(pointsPerTask)"
            + (retryFailed ? " --retry-failed" : "") + "\n"
    }

    /// `sbatch` arguments of the collection job, run once every array task has ended however it ended.
    public func collection(after job: String) -> [String] {
        let log = (folder as NSString).appendingPathComponent("slurm/collect-%j.log")
        return ["--job-name=acim-sweep-collect", "--dependency=afterany:\(job)", "--output=\(log)"] + common
            + ["--wrap", "exec \(shellQuoted(executable)) sweep collect \(shellQuoted(folder))"]
    }
}

/// `text` quoted for `/bin/sh`.
func shellQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

/// Indices as Slurm's `--array` writes them: runs of consecutive indices as ranges, `0-3,7,9-10`.
public func arraySpec(_ indices: [Int]) -> String {
    var parts: [String] = []
    var index = 0
    while index < indices.count {
        var end = index
        while end + 1 < indices.count, indices[end + 1] == indices[end] + 1 { end += 1 }
        parts.append(end == index ? "\(indices[index])" : "\(indices[index])-\(indices[end])")
        index = end + 1
    }
    return parts.joined(separator: ",")
}
