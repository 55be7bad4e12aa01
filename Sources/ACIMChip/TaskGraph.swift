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

    func successors() -> [[Int]] {
        var successors = [[Int]](repeating: [], count: tasks.count)
        for (t, task) in tasks.enumerated() { for p in task.predecessors { successors[p].append(t) } }
        return successors
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
    /// their resources and the ready tasks are tried in priority order. Throws when tasks wait in a cycle.
    public func eventDriven() throws -> Schedule {
        try checked()
        let successors = successors()
        var waiting = tasks.map(\.predecessors.count)
        var ready = Set<Int>(), free = capacities
        var starts = [Int](repeating: 0, count: tasks.count), ends = starts
        var running = MinHeap<(end: Int, task: Int)> { ($0.end, $0.task) < ($1.end, $1.task) }
        for t in tasks.indices where waiting[t] == 0 { ready.insert(t) }
        var sortedReady: [Int] = []
        var readyChanged = true
        var now = 0, done = 0
        while true {
            if readyChanged { sortedReady = ready.sorted(); readyChanged = false }
            var started: [Int] = []
            for t in sortedReady where tasks[t].resources.allSatisfy({ free[$0] > 0 }) {
                for r in tasks[t].resources { free[r] -= 1 }
                starts[t] = now
                ends[t] = now + tasks[t].cycles
                running.push((ends[t], t))
                started.append(t)
            }
            if !started.isEmpty {
                for t in started { ready.remove(t) }
                readyChanged = true
            }
            guard let next = running.peek?.end else { break }
            now = next
            while let top = running.peek, top.end == now {
                _ = running.pop()
                done += 1
                for r in tasks[top.task].resources { free[r] += 1 }
                for s in successors[top.task] {
                    waiting[s] -= 1
                    if waiting[s] == 0 { ready.insert(s) }
                }
                readyChanged = true
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
        var waiting = tasks.map(\.predecessors.count)
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

/// A binary min-heap ordered by `less`.
struct MinHeap<Element> {
    private var items: [Element] = []
    private let less: (Element, Element) -> Bool

    init(_ less: @escaping (Element, Element) -> Bool) { self.less = less }

    var peek: Element? { items.first }

    mutating func push(_ item: Element) {
        items.append(item)
        var i = items.count - 1
        while i > 0, less(items[i], items[(i - 1) / 2]) {
            items.swapAt(i, (i - 1) / 2)
            i = (i - 1) / 2
        }
    }

    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var i = 0
        while true {
            let (l, r) = (2 * i + 1, 2 * i + 2)
            var m = i
            if l < items.count, less(items[l], items[m]) { m = l }
            if r < items.count, less(items[r], items[m]) { m = r }
            if m == i { break }
            items.swapAt(i, m)
            i = m
        }
        return top
    }
}
