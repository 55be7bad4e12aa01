import ACIMCore

/// Work on the chip's resources as tasks on one clock: each task takes a fixed number of cycles, holds one
/// unit of each of its resources (an array, a digital unit, a tile memory, a DMA port, a link) while it
/// runs, and starts only after its predecessors have finished. Tasks are listed in priority order (the
/// first listed goes first when two want the same resource).
///
/// The scheduling rule (a list scheduler): at every cycle, finished tasks release their resources, then
/// every ready task, in priority order, starts if each of its resources has a free unit. `eventDriven`
/// jumps from one completion to the next; `cycleStepped` walks every cycle; both give the same starts.
public struct TaskGraph: Sendable {
    public struct Task: Sendable {
        /// Cycles the task runs (at least 1).
        public var cycles: Int
        /// Indices of the resources it holds.
        public var resources: [Int]
        /// Indices of the tasks that must finish first.
        public var predecessors: [Int]

        public init(cycles: Int, resources: [Int], predecessors: [Int]) {
            self.cycles = cycles
            self.resources = resources
            self.predecessors = predecessors
        }
    }

    public var tasks: [Task] = []
    /// Units of each resource.
    public var capacities: [Int] = []

    public init() {}

    /// Adds a resource of `units` units and returns its index.
    public mutating func addResource(units: Int = 1) -> Int {
        capacities.append(units)
        return capacities.count - 1
    }

    /// Adds a task (after every task added so far in priority) and returns its index.
    @discardableResult
    public mutating func add(cycles: Int, resources: [Int], after predecessors: [Int] = []) -> Int {
        tasks.append(Task(cycles: max(1, cycles), resources: resources, predecessors: predecessors))
        return tasks.count - 1
    }

    /// When every task starts, and the last end.
    public struct Schedule: Sendable, Equatable {
        public let starts: [Int]
        public let ends: [Int]
        public var makespan: Int { ends.max() ?? 0 }
    }

    /// Each task's successors, in one flat list (a task's are `list[offsets[t]..<offsets[t + 1]]`).
    struct Successors {
        let offsets: [Int]
        let list: [Int]

        subscript(_ t: Int) -> ArraySlice<Int> { list[offsets[t]..<offsets[t + 1]] }
    }

    func successors() -> Successors {
        var offsets = [Int](repeating: 0, count: tasks.count + 1)
        for t in tasks.indices { tasks[t].predecessors.withUnsafeBufferPointer { for p in $0 { offsets[p + 1] += 1 } } }
        for t in 0..<tasks.count { offsets[t + 1] += offsets[t] }
        var fill = offsets, list = [Int](repeating: 0, count: offsets[tasks.count])
        for t in tasks.indices {
            tasks[t].predecessors.withUnsafeBufferPointer {
                for p in $0 {
                    list[fill[p]] = t
                    fill[p] += 1
                }
            }
        }
        return Successors(offsets: offsets, list: list)
    }

    func checked() throws {
        for (t, task) in tasks.enumerated() {
            for r in task.resources where !capacities.indices.contains(r) {
                throw ACIMError.inconsistentParameters("task \(t) holds resource \(r), which does not exist")
            }
            for p in task.predecessors where !tasks.indices.contains(p) || p == t {
                throw ACIMError.inconsistentParameters("task \(t) waits for task \(p), which is not another task")
            }
        }
    }

    private static func cycleError(_ done: Int, _ total: Int) -> ACIMError {
        .inconsistentParameters("the tasks wait for each other in a cycle: \(total - done) of \(total) can never start")
    }

    /// The list schedule, computed from event to event: at each completion time the finished tasks release
    /// their resources and the ready tasks are tried in priority order. Only the tasks that just became
    /// ready and those waiting for a resource just released are tried: any other ready task still waits
    /// for a resource that is busy. Throws when tasks wait in a cycle.
    public func eventDriven() throws -> Schedule {
        try checked()
        let successors = successors()
        var waiting = tasks.map { $0.predecessors.count }
        // Each task's resources in one flat list (task t's are heldList[heldFrom[t]..<heldFrom[t + 1]]) and
        // its cycles, and the successors' lists, read by index in the loop (no slices, no task copies).
        var heldFrom = [Int](repeating: 0, count: tasks.count + 1), heldList: [Int] = [], cycles = heldFrom
        heldList.reserveCapacity(tasks.count * 2)
        for t in tasks.indices {
            tasks[t].resources.withUnsafeBufferPointer { heldList.append(contentsOf: $0) }
            heldFrom[t + 1] = heldList.count
            cycles[t] = tasks[t].cycles
        }
        let (nextFrom, nextList) = (successors.offsets, successors.list)
        var free = capacities
        var started = [Bool](repeating: false, count: tasks.count)
        var starts = [Int](repeating: 0, count: tasks.count), ends = starts
        var running = EventQueue()
        // The ready tasks not started, by each resource they hold (started ones are dropped lazily).
        var readyUsing = [[Int]](repeating: [], count: capacities.count)
        var candidates = tasks.indices.filter { waiting[$0] == 0 }
        var now = 0, done = 0
        while true {
            candidates.sort()
            var previous = -1
            for t in candidates where t != previous {
                previous = t
                guard !started[t] else { continue }
                let range = heldFrom[t]..<heldFrom[t + 1]
                if range.allSatisfy({ free[heldList[$0]] > 0 }) {
                    for i in range { free[heldList[i]] -= 1 }
                    started[t] = true
                    starts[t] = now
                    ends[t] = now + cycles[t]
                    running.push((ends[t], t))
                } else if waiting[t] == 0 {
                    waiting[t] = -1   // ready and filed under its resources
                    for i in range { readyUsing[heldList[i]].append(t) }
                }
            }
            candidates.removeAll(keepingCapacity: true)
            guard let next = running.peek?.end else { break }
            now = next
            while let top = running.peek, top.end == now {
                _ = running.pop()
                done += 1
                for i in heldFrom[top.task]..<heldFrom[top.task + 1] {
                    let r = heldList[i]
                    free[r] += 1
                    readyUsing[r].removeAll { started[$0] }
                    candidates += readyUsing[r]
                }
                for i in nextFrom[top.task]..<nextFrom[top.task + 1] {
                    let s = nextList[i]
                    waiting[s] -= 1
                    if waiting[s] == 0 { candidates.append(s) }
                }
            }
        }
        guard done == tasks.count else { throw Self.cycleError(done, tasks.count) }
        return Schedule(starts: starts, ends: ends)
    }

    /// The same list schedule, walking every cycle: each cycle, every running task counts down one cycle
    /// and releases its resources (and its successors' waits) when it reaches zero, then the ready tasks are
    /// tried in priority order. Its work grows with the cycles, so it is for small cases.
    public func cycleStepped() throws -> Schedule {
        try checked()
        let n = tasks.count, successors = successors()
        var waiting = tasks.map { $0.predecessors.count }
        var remaining = [Int](repeating: 0, count: n)
        var running: [Int] = [], ready = (0..<n).filter { waiting[$0] == 0 }
        var free = capacities
        var starts = [Int](repeating: 0, count: n), ends = starts
        var done = 0, cycle = 0
        while done < n {
            if cycle > 0 {
                var still: [Int] = []
                for t in running {
                    remaining[t] -= 1
                    guard remaining[t] == 0 else { still.append(t); continue }
                    done += 1
                    for r in tasks[t].resources { free[r] += 1 }
                    for s in successors[t] {
                        waiting[s] -= 1
                        if waiting[s] == 0 { ready.append(s) }
                    }
                }
                running = still
                ready.sort()
            }
            var left: [Int] = []
            for t in ready {
                guard tasks[t].resources.allSatisfy({ free[$0] > 0 }) else { left.append(t); continue }
                for r in tasks[t].resources { free[r] -= 1 }
                remaining[t] = tasks[t].cycles
                starts[t] = cycle
                ends[t] = cycle + tasks[t].cycles
                running.append(t)
            }
            ready = left
            if running.isEmpty && done < n { throw Self.cycleError(done, n) }
            cycle += 1
        }
        return Schedule(starts: starts, ends: ends)
    }
}

/// The running tasks by end cycle (then task index): a binary min-heap.
struct EventQueue {
    private var ends: [Int] = []
    private var tasks: [Int] = []

    var peek: (end: Int, task: Int)? { ends.isEmpty ? nil : (ends[0], tasks[0]) }

    private func less(_ i: Int, _ j: Int) -> Bool { (ends[i], tasks[i]) < (ends[j], tasks[j]) }

    private mutating func swapAt(_ i: Int, _ j: Int) {
        ends.swapAt(i, j)
        tasks.swapAt(i, j)
    }

    mutating func push(_ item: (end: Int, task: Int)) {
        ends.append(item.end)
        tasks.append(item.task)
        var i = ends.count - 1
        while i > 0, less(i, (i - 1) / 2) {
            swapAt(i, (i - 1) / 2)
            i = (i - 1) / 2
        }
    }

    mutating func pop() -> (end: Int, task: Int)? {
        guard let top = peek else { return nil }
        swapAt(0, ends.count - 1)
        ends.removeLast()
        tasks.removeLast()
        var i = 0
        while true {
            let (l, r) = (2 * i + 1, 2 * i + 2)
            var m = i
            if l < ends.count, less(l, m) { m = l }
            if r < ends.count, less(r, m) { m = r }
            if m == i { break }
            swapAt(i, m)
            i = m
        }
        return top
    }
}
