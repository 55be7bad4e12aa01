extension TaskGraph {
    /// The shortest schedule of the tasks under the same resources and predecessors (priorities ignored),
    /// for small cases, by branch and bound: every order of the tasks consistent with the predecessors is
    /// placed task by task at its earliest feasible start (the serial schedule-generation scheme, whose
    /// schedules include a shortest one), pruned by the critical path and by each resource's remaining work.
    /// The list schedule is the first bound. `optimal` is false when the search stopped at `nodeLimit`
    /// partial schedules before proving the result shortest.
    public func exact(nodeLimit: Int = 2_000_000) throws -> (schedule: Schedule, optimal: Bool) {
        let greedy = try eventDriven()
        var search = ExactSearch(graph: self, best: greedy, nodeLimit: nodeLimit)
        search.run()
        return (search.best, !search.stopped)
    }
}

/// The state of `TaskGraph.exact`'s depth-first search.
private struct ExactSearch {
    let graph: TaskGraph
    let tasks: [TaskGraph.Task]
    let successors: TaskGraph.Successors
    /// Cycles from a task's start to the end of the longest chain of successors through it.
    let tail: [Int]
    let order: [Int]
    var best: TaskGraph.Schedule
    let nodeLimit: Int
    var nodes = 0
    var stopped = false
    var starts: [Int]
    var placed: [Bool]
    /// Per resource, the (start, end) of the tasks placed on it.
    var busy: [[(start: Int, end: Int)]]

    init(graph: TaskGraph, best: TaskGraph.Schedule, nodeLimit: Int) {
        self.graph = graph
        let tasks = graph.tasks
        self.tasks = tasks
        self.best = best
        self.nodeLimit = nodeLimit
        let successors = graph.successors()
        self.successors = successors
        // A topological order (the graph is acyclic: the list schedule finished).
        var waiting = tasks.map(\.predecessors.count)
        var order: [Int] = [], queue = tasks.indices.filter { waiting[$0] == 0 }
        while let t = queue.popLast() {
            order.append(t)
            for s in successors[t] { waiting[s] -= 1; if waiting[s] == 0 { queue.append(s) } }
        }
        self.order = order
        var tail = tasks.map(\.cycles)
        for t in order.reversed() { for s in successors[t] { tail[t] = max(tail[t], tasks[t].cycles + tail[s]) } }
        self.tail = tail
        starts = [Int](repeating: 0, count: tasks.count)
        placed = [Bool](repeating: false, count: tasks.count)
        busy = [[(start: Int, end: Int)]](repeating: [], count: graph.capacities.count)
    }

    mutating func run() { descend(count: 0, makespan: 0) }

    /// The earliest start of each task: its placed start, or after its predecessors' earliest ends.
    private func heads() -> [Int] {
        var head = [Int](repeating: 0, count: tasks.count)
        for t in order {
            if placed[t] { head[t] = starts[t]; continue }
            head[t] = tasks[t].predecessors.reduce(0) { max($0, head[$1] + tasks[$1].cycles) }
        }
        return head
    }

    private func lowerBound(heads: [Int], makespan: Int) -> Int {
        var bound = makespan
        var work = [Int](repeating: 0, count: graph.capacities.count)
        var first = [Int](repeating: Int.max, count: graph.capacities.count)
        for t in tasks.indices where !placed[t] {
            bound = max(bound, heads[t] + tail[t])
            for r in tasks[t].resources {
                work[r] += tasks[t].cycles
                first[r] = min(first[r], heads[t])
            }
        }
        for r in work.indices where work[r] > 0 {
            bound = max(bound, first[r] + (work[r] + graph.capacities[r] - 1) / graph.capacities[r])
        }
        return bound
    }

    /// The earliest start at or after `from` at which every resource of task `t` has a free unit for its
    /// whole run.
    private func earliestStart(_ t: Int, from: Int) -> Int {
        let task = tasks[t]
        var candidates = [from]
        for r in task.resources { for b in busy[r] where b.end > from { candidates.append(b.end) } }
        candidates.sort()
        for c in candidates where fits(task, at: c) { return c }
        return candidates.last!
    }

    private func fits(_ task: TaskGraph.Task, at start: Int) -> Bool {
        let end = start + task.cycles
        for r in task.resources {
            let overlapping = busy[r].filter { $0.start < end && $0.end > start }
            guard overlapping.count >= graph.capacities[r] else { continue }
            // The most units in use at once during [start, end): check at start and at each overlap's start.
            let points = [start] + overlapping.map(\.start).filter { $0 > start }
            for p in points where overlapping.count(where: { $0.start <= p && $0.end > p }) >= graph.capacities[r] {
                return false
            }
        }
        return true
    }

    private mutating func descend(count: Int, makespan: Int) {
        if stopped { return }
        nodes += 1
        if nodes > nodeLimit { stopped = true; return }
        if count == tasks.count {
            if makespan < best.makespan {
                best = TaskGraph.Schedule(starts: starts, ends: zip(starts, tasks).map { $0 + $1.cycles })
            }
            return
        }
        let heads = heads()
        guard lowerBound(heads: heads, makespan: makespan) < best.makespan else { return }
        let eligible = tasks.indices.filter { t in !placed[t] && tasks[t].predecessors.allSatisfy { placed[$0] } }
        // Try the most critical first, so good schedules (and tight bounds) come early.
        let candidates = eligible.map { t -> (task: Int, start: Int) in
            let ready = tasks[t].predecessors.reduce(0) { max($0, starts[$1] + tasks[$1].cycles) }
            return (t, earliestStart(t, from: ready))
        }.sorted { ($0.start - tail[$0.task], $0.task) < ($1.start - tail[$1.task], $1.task) }
        for (t, start) in candidates {
            let end = start + tasks[t].cycles
            starts[t] = start
            placed[t] = true
            for r in tasks[t].resources { busy[r].append((start, end)) }
            descend(count: count + 1, makespan: max(makespan, end))
            for r in tasks[t].resources { busy[r].removeLast() }
            placed[t] = false
            if stopped { return }
        }
    }
}
