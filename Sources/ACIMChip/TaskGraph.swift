import ACIMCore

/// Work on the chip's resources as tasks on one clock: each task takes a fixed number of cycles, holds one
/// unit of each of its resources (an array, a digital unit, a tile memory, a DMA port, a link) while it
/// runs, and starts only after its predecessors have finished. Tasks are listed in priority order (the
/// first listed goes first when two want the same resource).
///
/// The scheduling rule (a list scheduler): at every cycle, finished tasks release their resources, then
/// every ready task, in priority order, starts if each of its resources has a free unit. `eventDriven`
/// jumps from one completion to the next; `cycleStepped` walks every cycle; both give the same starts.
///
/// A pipelined network schedule has hundreds of thousands of tasks, so they are stored in flat lists
/// (a task's resources and predecessors are ranges of one list each), not as an array of small arrays.
public struct TaskGraph: Sendable {
    /// One task, as `tasks` lists them.
    public struct Task: Sendable {
        /// Cycles the task runs (at least 1).
        public var cycles: Int
        /// Indices of the resources it holds.
        public var resources: [Int]
        /// Indices of the tasks that must finish first.
        public var predecessors: [Int]
    }

    /// Units of each resource.
    public private(set) var capacities: [Int] = []
    /// Cycles of each task.
    public private(set) var cycles: [Int] = []
    /// Task t holds `resourceList[resourceFrom[t]..<resourceFrom[t + 1]]`.
    private var resourceFrom: [Int] = [0], resourceList: [Int] = []
    /// Task t waits for `predecessorList[predecessorFrom[t]..<predecessorFrom[t + 1]]`, and for the waits
    /// added later by `wait(_:for:)`.
    private var predecessorFrom: [Int] = [0], predecessorList: [Int] = []
    private var laterWaits: [(task: Int, predecessor: Int)] = []

    public init() {}

    /// The number of tasks.
    public var count: Int { cycles.count }

    /// The resources task `t` holds.
    public func resources(of t: Int) -> ArraySlice<Int> { resourceList[resourceFrom[t]..<resourceFrom[t + 1]] }

    /// Every task with its resources and predecessors (built on each call: for small graphs and tests).
    public var tasks: [Task] {
        var predecessors = (0..<count).map { Array(predecessorList[predecessorFrom[$0]..<predecessorFrom[$0 + 1]]) }
        for wait in laterWaits { predecessors[wait.task].append(wait.predecessor) }
        return (0..<count).map { Task(cycles: cycles[$0], resources: Array(resources(of: $0)), predecessors: predecessors[$0]) }
    }

    /// Adds a resource of `units` units and returns its index.
    public mutating func addResource(units: Int = 1) -> Int {
        capacities.append(units)
        return capacities.count - 1
    }

    /// Adds a task (after every task added so far in priority) and returns its index.
    @discardableResult
    public mutating func add(cycles: Int, resources: [Int], after predecessors: [Int] = []) -> Int {
        self.cycles.append(max(1, cycles))
        resourceList.append(contentsOf: resources)
        resourceFrom.append(resourceList.count)
        predecessorList.append(contentsOf: predecessors)
        predecessorFrom.append(predecessorList.count)
        return count - 1
    }

    /// Makes the task added last also wait for `predecessor`.
    public mutating func lastWaits(for predecessor: Int) {
        predecessorList.append(predecessor)
        predecessorFrom[count] += 1
    }

    /// Makes task `task` also wait for `predecessors`.
    public mutating func wait(_ task: Int, for predecessors: [Int]) {
        laterWaits += predecessors.map { (task, $0) }
    }

    /// Per resource, the cycles its tasks run in `schedule` (a unit's cycles summed over its units).
    public func busyCycles(_ schedule: Schedule) -> [Int] {
        var busy = [Int](repeating: 0, count: capacities.count)
        for t in 0..<count {
            for i in resourceFrom[t]..<resourceFrom[t + 1] { busy[resourceList[i]] += schedule.ends[t] - schedule.starts[t] }
        }
        return busy
    }

    /// When every task starts, and the last end.
    public struct Schedule: Sendable, Equatable {
        public let starts: [Int]
        public let ends: [Int]
        public var makespan: Int { ends.max() ?? 0 }
    }

    /// Each task's successors, in one flat list (a task's are `list[offsets[t]..<offsets[t + 1]]`), and the
    /// number of predecessors of each.
    struct Successors {
        let offsets: [Int]
        let list: [Int]
        let predecessorCounts: [Int]

        subscript(_ t: Int) -> ArraySlice<Int> { list[offsets[t]..<offsets[t + 1]] }
    }

    /// Calls `body(task, predecessor)` for every wait.
    private func forEachWait(_ body: (Int, Int) -> Void) {
        predecessorList.withUnsafeBufferPointer { list in
            for t in 0..<count { for i in predecessorFrom[t]..<predecessorFrom[t + 1] { body(t, list[i]) } }
        }
        for wait in laterWaits { body(wait.task, wait.predecessor) }
    }

    func successors() -> Successors {
        var offsets = [Int](repeating: 0, count: count + 1), waiting = [Int](repeating: 0, count: count)
        forEachWait { t, p in
            offsets[p + 1] += 1
            waiting[t] += 1
        }
        for t in 0..<count { offsets[t + 1] += offsets[t] }
        var fill = offsets, list = [Int](repeating: 0, count: offsets[count])
        forEachWait { t, p in
            list[fill[p]] = t
            fill[p] += 1
        }
        return Successors(offsets: offsets, list: list, predecessorCounts: waiting)
    }

    func checked() throws {
        for t in 0..<count {
            for r in resources(of: t) where !capacities.indices.contains(r) {
                throw ACIMError.inconsistentParameters("task \(t) holds resource \(r), which does not exist")
            }
        }
        var bad: (Int, Int)?
        forEachWait { t, p in if bad == nil, !(0..<count).contains(p) || p == t { bad = (t, p) } }
        if let (t, p) = bad { throw ACIMError.inconsistentParameters("task \(t) waits for task \(p), which is not another task") }
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
        var waiting = successors.predecessorCounts
        var free = capacities
        var started = [Bool](repeating: false, count: count)
        var starts = [Int](repeating: 0, count: count), ends = starts
        var running = EventQueue()
        // The ready tasks not started, by each resource they hold (started ones are dropped lazily).
        var readyUsing = [[Int]](repeating: [], count: capacities.count)
        var candidates = (0..<count).filter { waiting[$0] == 0 }
        let (heldFrom, held, nextFrom, nextList) = (resourceFrom, resourceList, successors.offsets, successors.list)
        var now = 0, done = 0
        while true {
            candidates.sort()
            var previous = -1
            for t in candidates where t != previous {
                previous = t
                guard !started[t] else { continue }
                let range = heldFrom[t]..<heldFrom[t + 1]
                if range.allSatisfy({ free[held[$0]] > 0 }) {
                    for i in range { free[held[i]] -= 1 }
                    started[t] = true
                    starts[t] = now
                    ends[t] = now + cycles[t]
                    running.push(end: ends[t], task: t)
                } else if waiting[t] == 0 {
                    waiting[t] = -1   // ready and filed under its resources
                    for i in range { readyUsing[held[i]].append(t) }
                }
            }
            candidates.removeAll(keepingCapacity: true)
            guard let next = running.nextEnd else { break }
            now = next
            while running.nextEnd == now {
                let task = running.pop()
                done += 1
                for i in heldFrom[task]..<heldFrom[task + 1] {
                    let r = held[i]
                    free[r] += 1
                    if !readyUsing[r].isEmpty {
                        readyUsing[r].removeAll { started[$0] }
                        candidates += readyUsing[r]
                    }
                }
                for i in nextFrom[task]..<nextFrom[task + 1] {
                    let s = nextList[i]
                    waiting[s] -= 1
                    if waiting[s] == 0 { candidates.append(s) }
                }
            }
        }
        guard done == count else { throw Self.cycleError(done, count) }
        return Schedule(starts: starts, ends: ends)
    }

    /// The same list schedule, walking every cycle: each cycle, every running task counts down one cycle
    /// and releases its resources (and its successors' waits) when it reaches zero, then the ready tasks are
    /// tried in priority order. Its work grows with the cycles, so it is for small cases.
    public func cycleStepped() throws -> Schedule {
        try checked()
        let n = count, successors = successors()
        var waiting = successors.predecessorCounts
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
                    for r in resources(of: t) { free[r] += 1 }
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
                guard resources(of: t).allSatisfy({ free[$0] > 0 }) else { left.append(t); continue }
                for r in resources(of: t) { free[r] -= 1 }
                remaining[t] = cycles[t]
                starts[t] = cycle
                ends[t] = cycle + cycles[t]
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
    private struct Event: Comparable {
        let end: Int
        let task: Int

        static func < (a: Event, b: Event) -> Bool { a.end < b.end || (a.end == b.end && a.task < b.task) }
    }

    private var heap: [Event] = []

    /// The earliest end, if any task runs.
    var nextEnd: Int? { heap.first?.end }

    mutating func push(end: Int, task: Int) {
        heap.append(Event(end: end, task: task))
        var i = heap.count - 1
        while i > 0, heap[i] < heap[(i - 1) / 2] {
            heap.swapAt(i, (i - 1) / 2)
            i = (i - 1) / 2
        }
    }

    /// Removes the earliest-ending task (the queue must not be empty) and returns it.
    mutating func pop() -> Int {
        let top = heap[0].task
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        var i = 0
        while true {
            let (l, r) = (2 * i + 1, 2 * i + 2)
            var m = i
            if l < heap.count, heap[l] < heap[m] { m = l }
            if r < heap.count, heap[r] < heap[m] { m = r }
            if m == i { break }
            heap.swapAt(i, m)
            i = m
        }
        return top
    }
}
