import ACIMCore
import ACIMSweeps
import ACIMTraces
import ArgumentParser
import Foundation

/// `acim sweep`: design-space sweeps on this machine or on a Slurm cluster, with the same tasks and results.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Sweep hardware parameters and seeds: plan, run locally or on Slurm, collect results and Pareto plots.",
        discussion: """
            A sweep file (docs/sweeps.md) names the command every point runs (acim run or acim replay), its \
            profile, model, trace or data and options, and the profile keys to sweep. plan checks every point \
            and writes the sweep folder; run runs its points here, submit as a Slurm job array; each point is \
            one acim sweep task, whose result is the same wherever it runs. status shows where every point \
            stands; collect writes results.csv, results.json and the Pareto plots.
            """,
        subcommands: [SweepPlanCommand.self, SweepTaskCommand.self, SweepRunCommand.self, SweepSubmitCommand.self,
                      SweepStatusCommand.self, SweepCollectCommand.self])
}

/// The sweep planned in `path`, with errors in the command line's words.
func openSweep(_ path: String) throws -> SweepFolder {
    do { return try SweepFolder(path: path) } catch let error as ACIMError { throw CLIError(error.description) }
}

/// The points still to run: pending or interrupted, failed ones when `retryFailed`, and those recorded as
/// running elsewhere when `staleRunning` (their process is known to be gone, as when the task that runs a
/// point finds it so, or the Slurm jobs of an earlier submission have ended).
func pointsToRun(_ folder: SweepFolder, retryFailed: Bool, staleRunning: Bool) -> [SweepPoint] {
    folder.manifest.points.filter { point in
        switch folder.state(of: point) {
        case .pending, .interrupted: true
        case .failed: retryFailed
        case .running: staleRunning
        case .done: false
        }
    }
}

/// A duration for people: `12.3 s`, `4.1 min`, `2.5 h`.
func roughDuration(_ seconds: Double) -> String {
    seconds < 120 ? "\(fmt(seconds, 1)) s" : seconds < 7200 ? "\(fmt(seconds / 60, 1)) min" : "\(fmt(seconds / 3600, 1)) h"
}

struct SweepPlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Check every point of a sweep file and write the sweep folder; estimate the cost from one point.")

    @Argument(help: "Sweep file (YAML).") var sweep: String
    @Option(help: "The sweep folder to write.") var out: String
    @Flag(name: .customLong("no-estimate"), help: "Do not run the first point to estimate the sweep's cost.")
    var noEstimate = false

    func run() throws {
        let spec: SweepSpec, plan: SweepPlan
        do {
            spec = try SweepFileReader.load(path: sweep)
            plan = try SweepPlan(spec: spec)
        } catch let error as SweepError {
            warn(error.description)
            throw ExitCode.failure
        } catch let error as TraceError {
            warn(error.description)
            throw ExitCode.failure
        }
        let manifest = plan.manifest
        // The command's options, parsed as each point's command will parse them.
        let probe = manifest.points[0]
        do {
            _ = try Acim.parseAsRoot(PointRunner.arguments(manifest, point: probe, profile: sweep, replayFolder: out))
        } catch {
            warn(spec.optionsError(Acim.message(for: error)).description)
            throw ExitCode.failure
        }
        let folder: SweepFolder
        do { folder = try plan.write(to: out) } catch let error as ACIMError { throw CLIError(error.description) }
        let axes = manifest.keys.isEmpty ? "seeds" : manifest.keys.joined(separator: ", ")
        say("\(out): \(manifest.points.count) points of acim \(manifest.command.rawValue) over \(axes)")
        guard !noEstimate else { return }
        let first = manifest.points[0]
        if case .done = folder.state(of: first) { return }
        switch PointRunner.run(first, in: folder) {
        case let .done(seconds):
            let total = seconds * Double(manifest.points.count)
            let jobs = ProcessInfo.processInfo.activeProcessorCount
            say("estimate: point 0 took \(roughDuration(seconds)), so the sweep is about \(roughDuration(total)) of compute, "
                + "\(roughDuration(total / Double(jobs))) with --jobs \(jobs); point 0 is done")
        case let .failed(error):
            say("estimate: point 0 failed, so there is no estimate (acim sweep status \(out) shows why):\n\(error)")
        case .interrupted:
            throw ExitCode(130)
        }
    }
}

struct SweepTaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task",
        abstract: "Run the points of one task of a sweep: what each local job and each Slurm array task runs.",
        discussion: """
            Task I runs points I*K to I*K+K-1 (K = --points-per-task), skipping those already done (and failed \
            ones unless --retry-failed). Each point's status and result are written atomically into its folder. \
            The exit status is 1 when a point failed, 130 when the task was interrupted.
            """)

    @Argument(help: "The sweep folder.") var folder: String
    @Option(parsing: .unconditional, help: "The task's index.") var index: Int
    @Option(parsing: .unconditional, help: "Points per task.") var pointsPerTask = 1
    @Flag(name: .customLong("retry-failed"), help: "Run failed points again.") var retryFailed = false

    func run() throws {
        let sweep = try openSweep(folder)
        try check(pointsPerTask, atLeast: 1, "--points-per-task")
        let tasks = sweep.taskCount(pointsPerTask: pointsPerTask)
        try check(index, in: 0...(tasks - 1), "--index")
        var failed = 0
        // Points are split between tasks, so a point of this task recorded as running was cut off.
        let runnable = Set(pointsToRun(sweep, retryFailed: retryFailed, staleRunning: true).map(\.index))
        for point in sweep.points(ofTask: index, pointsPerTask: pointsPerTask) where runnable.contains(point.index) {
            switch PointRunner.run(point, in: sweep) {
            case let .done(seconds):
                say("point \(point.index): done in \(roughDuration(seconds))")
            case let .failed(error):
                failed += 1
                warn("point \(point.index): failed: \(error)")
            case .interrupted:
                warn("point \(point.index): interrupted; it runs again with the sweep")
                throw ExitCode(130)
            }
        }
        if failed > 0 { throw ExitCode.failure }
    }
}

struct SweepRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a sweep's points on this machine, --jobs at a time, then collect the results.",
        discussion: """
            Each point runs as a child process (acim sweep task). Points already done are skipped, so an \
            interrupted run continues where it stopped; failed points run again with --retry-failed.
            """)

    @Argument(help: "The sweep folder.") var folder: String
    @Option(parsing: .unconditional, help: "Points run at once (default: the processor count).")
    var jobs = ProcessInfo.processInfo.activeProcessorCount
    @Flag(name: .customLong("retry-failed"), help: "Run failed points again.") var retryFailed = false

    func run() throws {
        let sweep = try openSweep(folder)
        try check(jobs, in: 1...1024, "--jobs")
        let points = pointsToRun(sweep, retryFailed: retryFailed, staleRunning: false)
        let total = sweep.manifest.points.count
        let started = Date()
        if points.isEmpty {
            say("\(folder): no point to run")
        } else {
            let pool = LocalPool(executable: try acimExecutable(), jobs: jobs)
            let progress = ProgressLine()
            var finished = 0
            try pool.run(folder: sweep.path, tasks: points.map(\.index), arguments: retryFailed ? ["--retry-failed"] : [],
                         ended: { exit in
                finished += 1
                let point = sweep.manifest.points[exit.task]
                // A task that died (a crash, the kernel's OOM killer) leaves its point started: record why. One
                // stopped by SIGINT or SIGTERM leaves it to run again.
                let cutOff: Bool = switch sweep.state(of: point) {
                case .running, .interrupted: true
                default: false
                }
                let stopped = exit.signalled ? [SIGINT, SIGTERM].contains(exit.status) : exit.status == 130
                if exit.status != 0, cutOff, !stopped {
                    let how = exit.signalled ? "ended by signal \(exit.status)" : "exited with status \(exit.status)"
                    try? sweep.write(PointStatus.running().ended(.failed, error: "the task \(how)\n\(exit.errors)"), of: point)
                }
                let label = point.label(keys: sweep.manifest.keys, seeds: sweep.manifest.seeded)
                switch sweep.state(of: point) {
                case let .done(seconds): progress.print("point \(point.index) (\(label)): done in \(roughDuration(seconds))")
                case let .failed(error): progress.print("point \(point.index) (\(label)): failed: \(lastLines(error, 1))")
                default: progress.print("point \(point.index) (\(label)): interrupted")
                }
            }, waiting: { running in
                let elapsed = Date().timeIntervalSince(started)
                let eta = finished > 0 ? elapsed / Double(finished) * Double(points.count - finished) : 0
                let filled = finished * 24 / max(points.count, 1)
                progress.show("[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 24 - filled) + "] "
                              + "\(finished)/\(points.count) points, \(running) running, \(roughDuration(elapsed))"
                              + (finished > 0 ? ", ETA \(roughDuration(eta))" : ""))
            })
            progress.clear()
        }
        let results = SweepResults(folder: sweep)
        let written = try results.write(into: sweep)
        let failed = results.rows.filter { $0.status == "failed" }.count
        let done = results.rows.filter { $0.status == "done" }.count
        say("\(total) points: \(done) done, \(failed) failed, \(total - done - failed) pending; ran \(points.count) in "
            + "\(roughDuration(Date().timeIntervalSince(started))) with --jobs \(jobs)")
        say("wrote \(written.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")) in \(folder)")
        if failed > 0 {
            say("failed points run again with: acim sweep run \(folder) --retry-failed (acim sweep status \(folder) shows why)")
            throw ExitCode.failure
        }
    }
}

struct SweepSubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a sweep to Slurm as a job array, and a collection job that runs when the array has ended.",
        discussion: """
            The batch script is written to DIR/slurm/sweep.sbatch; each array task runs acim sweep task for its \
            points, and only tasks with points left to run are submitted. When the sweep has more tasks than \
            the cluster's MaxArraySize (scontrol show config), several points share a task. Only sbatch, \
            squeue, scontrol and scancel are used.
            """)

    @Argument(help: "The sweep folder.") var folder: String
    @Option(help: "Slurm partition.") var partition: String?
    @Option(help: "Time limit of each array task, as sbatch takes it (e.g. 30:00).") var time: String?
    @Option(parsing: .unconditional, help: "Points per array task (raised when the cluster's array size limit needs it).")
    var pointsPerTask = 1
    @Option(name: .customLong("sbatch-arg"), parsing: .unconditionalSingleValue, help: "A further sbatch option, e.g. --sbatch-arg=--account=lab (repeatable).")
    var sbatchArgs: [String] = []
    @Flag(name: .customLong("retry-failed"), help: "Run failed points again.") var retryFailed = false
    @Flag(help: "Wait until the jobs have ended, then print the sweep's status.") var wait = false

    func run() throws {
        let sweep = try openSweep(folder)
        try check(pointsPerTask, atLeast: 1, "--points-per-task")
        let slurm = Slurm()
        let previous = SlurmState(sweep)
        if let previous, try previous.active(slurm) {
            throw CLIError("\(folder): already submitted as job \(previous.submission.arrayJob), still queued or running; "
                           + "acim sweep status \(folder) follows it, scancel \(previous.submission.arrayJob) stops it")
        }
        let limit = try slurm.maxArraySize()
        let total = sweep.manifest.points.count
        let packed = max(pointsPerTask, (total + limit - 1) / limit)
        let runnable = Set(pointsToRun(sweep, retryFailed: retryFailed, staleRunning: previous != nil).map(\.index))
        let tasks = (0..<sweep.taskCount(pointsPerTask: packed)).filter { task in
            sweep.points(ofTask: task, pointsPerTask: packed).contains { runnable.contains($0.index) }
        }
        guard !tasks.isEmpty else {
            say("\(folder): no point to run")
            return
        }
        if packed > pointsPerTask {
            say("\(packed) points per task: \(total) points in tasks of \(pointsPerTask) would exceed the cluster's MaxArraySize \(limit)")
        }
        let absolute = URL(fileURLWithPath: sweep.path).standardizedFileURL.path
        let script = SlurmScript(executable: try acimExecutable(), folder: absolute, array: arraySpec(tasks),
                                 pointsPerTask: packed, retryFailed: retryFailed, partition: partition, time: time,
                                 extra: sbatchArgs)
        let scriptPath = sweep.file("slurm/sweep.sbatch")
        do {
            try FileManager.default.createDirectory(atPath: sweep.file("slurm"), withIntermediateDirectories: true)
            try FileAccess.writeAtomically(Data(script.text.utf8), to: scriptPath)
            let arrayJob = try slurm.submit([scriptPath])
            let collectJob: String
            do {
                collectJob = try slurm.submit(script.collection(after: arrayJob))
            } catch {
                // Without its collection job the array would run unrecorded: cancel it.
                try? slurm.cancel(arrayJob)
                throw error
            }
            let submission = SlurmSubmission(arrayJob: arrayJob, collectJob: collectJob, array: script.array, pointsPerTask: packed)
            try FileAccess.writeAtomically(try sortedJSONData(submission), to: sweep.file(SlurmSubmission.file))
            say("submitted job array \(arrayJob) (\(tasks.count) task\(tasks.count == 1 ? "" : "s") of up to \(packed) "
                + "point\(packed == 1 ? "" : "s"), --array=\(script.array)) and collection job \(collectJob) after it")
            guard wait else { return }
            let progress = ProgressLine()
            let started = Date()
            while try !slurm.queued(arrayJob).isEmpty || !slurm.queued(collectJob).isEmpty {
                let done = sweep.manifest.points.filter { if case .done = sweep.state(of: $0) { true } else { false } }.count
                progress.show("waiting for jobs \(arrayJob) and \(collectJob): \(done)/\(total) points done, \(roughDuration(Date().timeIntervalSince(started)))")
                Thread.sleep(forTimeInterval: 0.5)
            }
            progress.clear()
            for state in try slurm.states(arrayJob) + slurm.states(collectJob) {
                say("job \(state.id): \(state.state), exit code \(state.exitCode)")
            }
        } catch let failure as Slurm.Failure {
            throw CLIError(failure.description)
        } catch let error as ACIMError {
            throw CLIError(error.description)
        }
        SweepStatusCommand.show(sweep, slurm: slurm)
    }
}

/// A sweep's Slurm submission, when it has one.
struct SlurmState {
    let submission: SlurmSubmission

    init?(_ sweep: SweepFolder) {
        guard let data = FileManager.default.contents(atPath: sweep.file(SlurmSubmission.file)),
              let submission = try? JSONDecoder().decode(SlurmSubmission.self, from: data) else { return nil }
        self.submission = submission
    }

    /// Whether a job of the submission is still queued or running.
    func active(_ slurm: Slurm) throws -> Bool {
        do {
            return try !slurm.queued(submission.arrayJob).isEmpty || !slurm.queued(submission.collectJob).isEmpty
        } catch let failure as Slurm.Failure {
            throw CLIError(failure.description)
        }
    }

    /// The jobs as a line of `acim sweep status`, and whether they are known to have ended.
    func summary(_ slurm: Slurm) -> (line: String, ended: Bool) {
        let jobs = "Slurm: job array \(submission.arrayJob) (--array=\(submission.array), \(submission.pointsPerTask) per task) "
            + "and collection job \(submission.collectJob)"
        do {
            let active = try self.active(slurm)
            return (jobs + (active ? ": queued or running" : ": ended"), !active)
        } catch {
            return (jobs + " (Slurm cannot be asked here: \(error))", false)
        }
    }
}

func sortedJSONData<T: Encodable>(_ value: T) throws -> Data { Data((try sortedJSON(value) + "\n").utf8) }

struct SweepStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show where every point of a sweep stands: pending, running, done or failed with its error.")

    @Argument(help: "The sweep folder.") var folder: String

    func run() throws { Self.show(try openSweep(folder), slurm: Slurm()) }

    /// Prints the summary line, the Slurm jobs when the sweep was submitted, and a line per point.
    static func show(_ sweep: SweepFolder, slurm: Slurm) {
        let manifest = sweep.manifest
        // A point a Slurm task left running when its jobs have ended was cut off (a time limit, a cancel).
        var jobsEnded = false
        if let state = SlurmState(sweep) {
            let summary = state.summary(slurm)
            jobsEnded = summary.ended
            say(summary.line)
        }
        let states = manifest.points.map { point -> PointState in
            let state = sweep.state(of: point)
            if jobsEnded, case .running = state { return .interrupted }
            return state
        }
        let counts = ["done", "failed", "running", "interrupted", "pending"].compactMap { name -> String? in
            let n = states.filter { $0.name == name }.count
            return n > 0 ? "\(n) \(name)" : nil
        }
        say("\(manifest.points.count) points: \(counts.joined(separator: ", "))")
        let header = ["point"] + manifest.keys + (manifest.seeded ? ["seed"] : []) + ["state"]
        var rows = [header]
        for (point, state) in zip(manifest.points, states) {
            var text = state.name
            switch state {
            case let .done(seconds): text += " in \(roughDuration(seconds))"
            case let .running(host, pid): text += " on \(host) (pid \(pid))"
            default: break
            }
            rows.append(["\(point.index)"] + point.overrides + (manifest.seeded ? ["\(point.seed ?? 0)"] : []) + [text])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for (row, state) in zip(rows, [nil] + states) {
            say(row.enumerated().map { $1.padding(toLength: widths[$0] + 2, withPad: " ", startingAt: 0) }.joined()
                .trimmingCharacters(in: .whitespaces))
            if case let .failed(error)? = state {
                for line in error.split(separator: "\n") { say("      \(line)") }
            }
        }
    }
}

struct SweepCollectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "Write a sweep's results.csv, results.json and Pareto plots (energy and latency against accuracy).")

    @Argument(help: "The sweep folder.") var folder: String

    func run() throws {
        let sweep = try openSweep(folder)
        let results = SweepResults(folder: sweep)
        let written: [String]
        do { written = try results.write(into: sweep) } catch let error as ACIMError { throw CLIError(error.description) }
        let done = results.rows.filter { $0.status == "done" }.count
        let failed = results.rows.filter { $0.status == "failed" }.count
        say("\(results.rows.count) points: \(done) done, \(failed) failed, \(results.rows.count - done - failed) pending")
        say("wrote \(written.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")) in \(folder)")
    }
}
