import ACIMChip
import ACIMCore

/// A reshape of a tensor held in tile memories: the input shape and layout, the output shape and layout,
/// and the element size. Reshape is row-major: the output's element at linear index `l` is the input's at
/// `l`, so only the two layouts decide what moves.
public struct ReshapeRequest: Sendable {
    public let inShape: [Int]
    public let outShape: [Int]
    public let elementSize: Int
    public let inLayout: TensorLayout
    public let outLayout: TensorLayout
    /// The largest chunk one descriptor moves (and one staging buffer slot holds).
    public let maxChunkBytes: Int

    /// Checks the shapes (at most one `-1` in `outShape`, resolved from the element count; no zero
    /// dimension; equal element counts) and the sizes.
    public init(inShape: [Int], outShape: [Int], elementSize: Int, inLayout: TensorLayout, outLayout: TensorLayout,
                maxChunkBytes: Int = 4096) throws {
        guard !inShape.isEmpty, inShape.allSatisfy({ $0 > 0 }) else {
            throw ACIMError.invalidParameter(name: "input shape", value: "\(inShape)", expected: "dimensions > 0")
        }
        let count = inShape.reduce(1, *)
        var out = outShape
        let unknown = out.indices.filter { out[$0] == -1 }
        guard unknown.count <= 1, !out.isEmpty, out.allSatisfy({ $0 > 0 || $0 == -1 }) else {
            throw ACIMError.invalidParameter(name: "output shape", value: "\(outShape)",
                                             expected: "dimensions > 0, at most one of them -1")
        }
        if let u = unknown.first {
            let known = out.filter { $0 > 0 }.reduce(1, *)
            guard count % known == 0 else {
                throw ACIMError.invalidParameter(name: "output shape", value: "\(outShape)",
                                                 expected: "dimensions whose product divides the input's \(count) elements")
            }
            out[u] = count / known
        }
        guard out.reduce(1, *) == count else {
            throw ACIMError.invalidParameter(name: "output shape", value: "\(outShape)",
                                             expected: "\(count) elements, as the input shape \(inShape) has")
        }
        guard (1...64).contains(elementSize) else {
            throw ACIMError.invalidParameter(name: "element size", value: "\(elementSize)", expected: "1...64 bytes")
        }
        guard maxChunkBytes >= elementSize else {
            throw ACIMError.invalidParameter(name: "largest chunk", value: "\(maxChunkBytes) bytes",
                                             expected: "at least one element (\(elementSize) bytes)")
        }
        self.inShape = inShape
        self.outShape = out
        self.elementSize = elementSize
        self.inLayout = inLayout
        self.outLayout = outLayout
        self.maxChunkBytes = maxChunkBytes
    }

    /// Elements in the tensor.
    public var elements: Int { inShape.reduce(1, *) }
    /// Bytes in the tensor.
    public var bytes: Int { elements * elementSize }
}

/// A run of bytes that moves as one: contiguous in its source tile and in its destination tile.
public struct ReshapeChunk: Sendable, Equatable, Encodable {
    /// What moving the chunk takes.
    public enum Kind: String, Sendable, CaseIterable, Encodable {
        /// Already where it belongs: dropped.
        case noop
        /// Another address of the same tile: a copy through the tile memory, no network traffic.
        case local
        /// The next tile over: a direct neighbour transfer, outside the global solver.
        case neighbour
        /// Two or more hops: scheduled by the global solver on the network.
        case routed
    }

    /// The linear index of its first element.
    public let firstElement: Int
    public let sourceTile: Int
    public let sourceAddress: Int
    public let destinationTile: Int
    public let destinationAddress: Int
    public let bytes: Int
    public let kind: Kind
}

/// The reshape solver's result (compile time): the chunks, classified; which go to the global solver and
/// which are served by neighbour transfers; the hazard edges between them, and the chunks staged through a
/// buffer to break hazard cycles; where each tile's input and output end.
public struct ReshapeSolution: Sendable {
    public let request: ReshapeRequest
    /// Every chunk in linear order, no-ops included.
    public let chunks: [ReshapeChunk]
    /// Indices of the chunks the global solver schedules (local and routed).
    public let solverInput: [Int]
    /// Indices of the neighbour chunks, served by direct neighbour transfers.
    public let neighbourChunks: [Int]
    /// Chunk `after` overwrites bytes chunk `before` still has to read: `before` reads first.
    public let hazards: [(before: Int, after: Int)]
    /// Chunks staged through a buffer on their source tile, one per hazard cycle broken.
    public let staged: [Int]
    /// Per tile, the end of the input's and of the output's bytes (the staging buffers go above both).
    public let regionEnd: [Int: Int]

    /// The chunks that move (every class but no-op).
    public var moves: [Int] { chunks.indices.filter { chunks[$0].kind != .noop } }

    /// Grows, classifies and orders the chunks of `request` on the tiles of `noc`.
    public init(_ request: ReshapeRequest, noc: NoC) throws {
        try request.inLayout.validate(shape: request.inShape, chipTiles: noc.tiles, name: "input layout")
        try request.outLayout.validate(shape: request.outShape, chipTiles: noc.tiles, name: "output layout")
        self.request = request
        let chunks = try Self.chunks(request, noc: noc)
        self.chunks = chunks
        solverInput = chunks.indices.filter { chunks[$0].kind == .local || chunks[$0].kind == .routed }
        neighbourChunks = chunks.indices.filter { chunks[$0].kind == .neighbour }
        var ends: [Int: Int] = [:]
        for c in chunks {
            ends[c.sourceTile] = max(ends[c.sourceTile, default: 0], c.sourceAddress + c.bytes)
            ends[c.destinationTile] = max(ends[c.destinationTile, default: 0], c.destinationAddress + c.bytes)
        }
        regionEnd = ends
        try Self.checkDisjoint(chunks, source: true)
        try Self.checkDisjoint(chunks, source: false)
        hazards = Self.hazards(chunks)
        staged = Self.cycleBreakers(chunks, hazards)
    }

    /// Chunks grown along the linear index while the source and destination tiles stay the same and both
    /// addresses advance by one element, closed at the largest chunk size; then classified by hops.
    private static func chunks(_ request: ReshapeRequest, noc: NoC) throws -> [ReshapeChunk] {
        let es = request.elementSize
        let source = request.inLayout.locator(shape: request.inShape, elementSize: es)
        let destination = request.outLayout.locator(shape: request.outShape, elementSize: es)
        var inIndex = [Int](repeating: 0, count: request.inShape.count)
        var outIndex = [Int](repeating: 0, count: request.outShape.count)
        var chunks: [ReshapeChunk] = []
        var open: (first: Int, st: Int, sa: Int, dt: Int, da: Int, bytes: Int)?
        func close() {
            guard let o = open else { return }
            let hops = noc.hops(from: o.st, to: o.dt)
            let kind: ReshapeChunk.Kind = hops > 1 ? .routed : hops == 1 ? .neighbour : o.sa == o.da ? .noop : .local
            chunks.append(ReshapeChunk(firstElement: o.first, sourceTile: o.st, sourceAddress: o.sa, destinationTile: o.dt,
                                       destinationAddress: o.da, bytes: o.bytes, kind: kind))
        }
        for l in 0..<request.elements {
            let (st, sa) = source(inIndex, l), (dt, da) = destination(outIndex, l)
            guard (0..<noc.tiles).contains(st), (0..<noc.tiles).contains(dt), sa >= 0, da >= 0 else {
                throw ACIMError.invalidParameter(name: "layout", value: "element \(l) at tile \(st) byte \(sa) -> tile \(dt) byte \(da)",
                                                 expected: "tiles in 0..<\(noc.tiles) and addresses >= 0")
            }
            // Both addresses advance together, so a run is all no-op or has none.
            if let o = open, o.st == st, o.dt == dt, o.sa + o.bytes == sa, o.da + o.bytes == da,
               o.bytes + es <= request.maxChunkBytes {
                open!.bytes += es
            } else {
                close()
                open = (l, st, sa, dt, da, es)
            }
            advance(&inIndex, in: request.inShape)
            advance(&outIndex, in: request.outShape)
        }
        close()
        return chunks
    }

    /// Moves a row-major index to the next element.
    private static func advance(_ index: inout [Int], in shape: [Int]) {
        var d = shape.count - 1
        while d >= 0 {
            index[d] += 1
            if index[d] < shape[d] { return }
            index[d] = 0
            d -= 1
        }
    }

    /// Throws when a layout puts two elements on the same bytes of a tile.
    private static func checkDisjoint(_ chunks: [ReshapeChunk], source: Bool) throws {
        let ranges = chunks.map { source ? ($0.sourceTile, $0.sourceAddress, $0.bytes) : ($0.destinationTile, $0.destinationAddress, $0.bytes) }
            .sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        for (a, b) in zip(ranges, ranges.dropFirst()) where a.0 == b.0 && a.1 + a.2 > b.1 {
            throw ACIMError.invalidParameter(name: source ? "input layout" : "output layout",
                                             value: "tile \(a.0) bytes \(b.1)..<\(a.1 + a.2) hold two elements",
                                             expected: "every element at its own bytes")
        }
    }

    /// Edge A -> B when B's destination overlaps A's source on the same tile (A must be read before B
    /// overwrites it), between chunks that move.
    private static func hazards(_ chunks: [ReshapeChunk]) -> [(before: Int, after: Int)] {
        var sources: [Int: [(start: Int, end: Int, chunk: Int)]] = [:]
        for (k, c) in chunks.enumerated() where c.kind != .noop {
            sources[c.sourceTile, default: []].append((c.sourceAddress, c.sourceAddress + c.bytes, k))
        }
        for t in sources.keys { sources[t]!.sort { $0.start < $1.start } }
        var edges: [(before: Int, after: Int)] = []
        for (b, c) in chunks.enumerated() where c.kind != .noop {
            guard let list = sources[c.destinationTile] else { continue }
            let (lo, hi) = (c.destinationAddress, c.destinationAddress + c.bytes)
            // The first source range ending after lo, then every one starting before hi.
            var i = list.partitioningIndex { $0.end > lo }
            while i < list.count, list[i].start < hi {
                if list[i].chunk != b { edges.append((list[i].chunk, b)) }
                i += 1
            }
        }
        return edges
    }

    /// Chunks to stage so that no hazard cycle remains: staging a chunk reads it into a buffer first, so it
    /// no longer holds up the chunks that overwrite its source. In each cycle the smallest chunk is staged,
    /// until none is left.
    private static func cycleBreakers(_ chunks: [ReshapeChunk], _ hazards: [(before: Int, after: Int)]) -> [Int] {
        var staged = Set<Int>()
        while true {
            var out = [Int: [Int]]()
            for e in hazards where !staged.contains(e.before) { out[e.before, default: []].append(e.after) }
            let cyclic = stronglyConnected(nodes: chunks.count, edges: out).filter { $0.count > 1 }
            guard !cyclic.isEmpty else { return staged.sorted() }
            for component in cyclic {
                staged.insert(component.min { (chunks[$0].bytes, $0) < (chunks[$1].bytes, $1) }!)
            }
        }
    }
}

/// The strongly connected components of a directed graph (Tarjan's algorithm, iterative).
func stronglyConnected(nodes: Int, edges: [Int: [Int]]) -> [[Int]] {
    var index = [Int](repeating: -1, count: nodes), low = index
    var onStack = [Bool](repeating: false, count: nodes)
    var stack: [Int] = [], components: [[Int]] = []
    var next = 0
    for root in 0..<nodes where index[root] < 0 && edges[root] != nil {
        var work: [(node: Int, edge: Int)] = [(root, 0)]
        index[root] = next; low[root] = next; next += 1
        stack.append(root); onStack[root] = true
        while let (v, e) = work.last {
            let out = edges[v] ?? []
            if e < out.count {
                work[work.count - 1].edge += 1
                let w = out[e]
                if index[w] < 0 {
                    index[w] = next; low[w] = next; next += 1
                    stack.append(w); onStack[w] = true
                    work.append((w, 0))
                } else if onStack[w] {
                    low[v] = min(low[v], index[w])
                }
            } else {
                work.removeLast()
                if let parent = work.last { low[parent.node] = min(low[parent.node], low[v]) }
                if low[v] == index[v] {
                    var component: [Int] = []
                    while true {
                        let w = stack.removeLast()
                        onStack[w] = false
                        component.append(w)
                        if w == v { break }
                    }
                    components.append(component)
                }
            }
        }
    }
    return components
}

extension Array {
    /// The first index whose element satisfies `predicate`, for a predicate false then true along the array.
    func partitioningIndex(where predicate: (Element) -> Bool) -> Int {
        var (lo, hi) = (0, count)
        while lo < hi {
            let mid = (lo + hi) / 2
            if predicate(self[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
