import ACIMChip
import ACIMCore

/// One data movement of a reshape: a whole chunk, or one half of a staged chunk (into its buffer on the
/// source tile, or out of it).
struct ReshapeMove: Sendable {
    enum Part: Sendable { case whole, intoBuffer, outOfBuffer }
    let chunk: Int
    let part: Part
    let kind: ReshapeChunk.Kind
    let sourceTile: Int
    let destinationTile: Int
    let bytes: Int
}

/// The moves of a solved reshape, the order they must keep (hazards, and each staged chunk into its buffer
/// before out of it), and the priority the list scheduler gives them: neighbour transfers first, each
/// source tile's in address order (the direct rule); then the global solver's chunks by hazard depth,
/// then hops x bytes, larger first.
struct ReshapeMoves: Sendable {
    let moves: [ReshapeMove]
    /// Per move, the moves that must finish first.
    let predecessors: [[Int]]
    /// Moves in priority order.
    let order: [Int]

    init(_ solution: ReshapeSolution, noc: NoC) {
        let staged = Set(solution.staged)
        var moves: [ReshapeMove] = []
        var reader: [Int: Int] = [:], writer: [Int: Int] = [:]
        var predecessors: [[Int]] = []
        for k in solution.moves {
            let c = solution.chunks[k]
            if staged.contains(k) {
                reader[k] = moves.count
                moves.append(ReshapeMove(chunk: k, part: .intoBuffer, kind: .local, sourceTile: c.sourceTile,
                                         destinationTile: c.sourceTile, bytes: c.bytes))
                writer[k] = moves.count
                moves.append(ReshapeMove(chunk: k, part: .outOfBuffer, kind: c.kind, sourceTile: c.sourceTile,
                                         destinationTile: c.destinationTile, bytes: c.bytes))
                predecessors += [[], [moves.count - 2]]
            } else {
                reader[k] = moves.count
                writer[k] = moves.count
                moves.append(ReshapeMove(chunk: k, part: .whole, kind: c.kind, sourceTile: c.sourceTile,
                                         destinationTile: c.destinationTile, bytes: c.bytes))
                predecessors.append([])
            }
        }
        for e in solution.hazards { predecessors[writer[e.after]!].append(reader[e.before]!) }
        // Hazard depth: the longest chain of moves waiting behind a move.
        var successors = [[Int]](repeating: [], count: moves.count)
        for (m, ps) in predecessors.enumerated() { for p in ps { successors[p].append(m) } }
        var depth = [Int](repeating: -1, count: moves.count)
        func depthOf(_ m: Int) -> Int {
            if depth[m] >= 0 { return depth[m] }
            var stack = [(m, false)]
            while let (v, expanded) = stack.popLast() {
                if depth[v] >= 0 { continue }
                if expanded {
                    depth[v] = successors[v].map { depth[$0] + 1 }.max() ?? 0
                } else {
                    stack.append((v, true))
                    for s in successors[v] where depth[s] < 0 { stack.append((s, false)) }
                }
            }
            return depth[m]
        }
        let chunks = solution.chunks
        func key(_ m: Int) -> (Int, Int, Int, Int, Int) {
            let move = moves[m], c = chunks[move.chunk]
            if move.kind == .neighbour && move.part == .whole { return (0, c.sourceTile, c.sourceAddress, 0, m) }
            return (1, -depthOf(m), -noc.hops(from: move.sourceTile, to: move.destinationTile) * move.bytes, move.chunk, m)
        }
        self.moves = moves
        self.predecessors = predecessors
        order = moves.indices.sorted { key($0) < key($1) }
    }

    /// Adds the moves to `tasks` in priority order, each also after `after`; returns the task of each move.
    func addTasks(to tasks: inout ChipTasks, after: [Int] = []) -> [Int] {
        var task = [Int](repeating: -1, count: moves.count)
        for m in order {
            task[m] = tasks.transfer(bytes: moves[m].bytes, from: moves[m].sourceTile, to: moves[m].destinationTile, after: after)
        }
        for m in moves.indices { tasks.wait(task[m], for: predecessors[m].map { task[$0] }) }
        return task
    }
}
