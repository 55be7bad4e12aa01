import ACIMChip
import ACIMCore

/// A reshape compiled for the chip: per tile, the DMA descriptors it issues (with the descriptors each
/// waits on and the signal it raises), the staging buffers to create, the schedule's makespan, and the
/// cost against a round trip through DRAM. When the tensors and buffers do not fit a tile memory, the
/// reshape falls back to the DRAM round trip.
public struct ReshapePlan: Sendable {
    /// How the moves are scheduled: the greedy list scheduler, or the exact search (small cases).
    public enum Mode: String, Sendable, CaseIterable {
        case greedy, exact
    }

    /// A staging buffer slot created in a tile memory.
    public struct Buffer: Sendable, Equatable, Encodable {
        public let tile: Int
        public let address: Int
        public let bytes: Int
    }

    /// What compiling the reshape did, in order.
    public enum Event: Sendable, Equatable, CustomStringConvertible {
        case compiled(chunks: Int)
        case dropped(ReshapeChunk.Kind, chunks: Int, bytes: Int)
        case hazardCycleBroken(chunk: Int)
        case bufferAllocated(tile: Int, bytes: Int)
        case fallbackToDRAM(tile: Int, needed: Int, capacity: Int)

        public var description: String {
            switch self {
            case let .compiled(chunks): "compiled \(chunks) chunk\(chunks == 1 ? "" : "s")"
            case let .dropped(kind, chunks, bytes):
                kind == .noop ? "dropped \(chunks) no-op chunks (\(bytes) bytes already in place)"
                    : "took \(chunks) neighbour chunks (\(bytes) bytes) out of the solver: direct neighbour transfers"
            case let .hazardCycleBroken(chunk): "broke a hazard cycle by staging chunk \(chunk) through a buffer"
            case let .bufferAllocated(tile, bytes): "allocated \(bytes) buffer bytes on tile \(tile)"
            case let .fallbackToDRAM(tile, needed, capacity):
                "tile \(tile) needs \(needed) bytes of its \(capacity): fell back to the DRAM round trip"
            }
        }
    }

    public let solution: ReshapeSolution
    public let mode: Mode
    /// Whether the exact search proved its schedule shortest (false in greedy mode).
    public let optimal: Bool
    public let fallbackToDRAM: Bool
    /// Every descriptor, by id (empty after a fallback).
    public let descriptors: [DMADescriptor]
    public let buffers: [Buffer]
    /// Per tile, the most staged bytes live at one time in the schedule.
    public let peakStagedBytes: [Int: Int]
    /// Busy cycles of each link the schedule uses.
    public let linkBusyCycles: [NoC.Link: Int]
    public let cost: ReshapeCost
    public let events: [Event]

    /// The descriptors tile `tile` issues, in the order it starts them.
    public func descriptors(ofTile tile: Int) -> [DMADescriptor] {
        descriptors.filter { $0.sourceTile == tile }.sorted { ($0.start, $0.id) < ($1.start, $1.id) }
    }

    /// Staging buffer bytes per tile.
    public var bufferBytes: [Int: Int] { buffers.reduce(into: [:]) { $0[$1.tile, default: 0] += $1.bytes } }

    /// Solves and schedules `request` on `chip`'s network and tile memories; the exact mode searches at most
    /// `nodeLimit` partial schedules.
    public init(_ request: ReshapeRequest, chip: Chip, mode: Mode = .greedy, nodeLimit: Int = 2_000_000) throws {
        let noc = NoC(chip)
        let capacity = Int(chip.tile.memory.value)
        let solution = try ReshapeSolution(request, noc: noc)
        let moves = ReshapeMoves(solution, noc: noc)
        var tasks = ChipTasks(noc: noc)
        let taskOf = moves.addTasks(to: &tasks)
        let schedule: TaskGraph.Schedule
        switch mode {
        case .greedy: (schedule, optimal) = (try tasks.graph.eventDriven(), false)
        case .exact: (schedule, optimal) = try tasks.graph.exact(nodeLimit: nodeLimit)
        }
        self.solution = solution
        self.mode = mode

        // Staging slots: per tile, slots of its largest staged chunk, a chunk taking the first slot free
        // when it goes into its buffer and leaving it when it comes out.
        var slotOf: [Int: Buffer] = [:], buffers: [Buffer] = [], peak: [Int: Int] = [:]
        let stagedMoves = moves.moves.indices.filter { moves.moves[$0].part == .intoBuffer }
        for tile in Set(stagedMoves.map { moves.moves[$0].sourceTile }).sorted() {
            let here = stagedMoves.filter { moves.moves[$0].sourceTile == tile }
                .map { (into: $0, start: schedule.starts[taskOf[$0]], end: schedule.ends[taskOf[$0 + 1]], bytes: moves.moves[$0].bytes) }
                .sorted { ($0.start, $0.into) < ($1.start, $1.into) }
            let slotBytes = here.map(\.bytes).max()!
            var slotFree: [Int] = []
            for s in here {
                let slot = slotFree.firstIndex { $0 <= s.start } ?? slotFree.count
                if slot == slotFree.count { slotFree.append(0) }
                slotFree[slot] = s.end
                slotOf[s.into] = Buffer(tile: tile, address: solution.regionEnd[tile, default: 0] + slot * slotBytes, bytes: s.bytes)
            }
            buffers += slotFree.indices.map { Buffer(tile: tile, address: solution.regionEnd[tile, default: 0] + $0 * slotBytes, bytes: slotBytes) }
            let changes = here.flatMap { [($0.start, $0.bytes), ($0.end, -$0.bytes)] }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
            var live = 0
            for (_, delta) in changes { live += delta; peak[tile] = max(peak[tile, default: 0], live) }
        }
        peakStagedBytes = peak

        var events: [Event] = [.compiled(chunks: solution.chunks.count)]
        for kind in [ReshapeChunk.Kind.noop, .neighbour] {
            let dropped = solution.chunks.filter { $0.kind == kind }
            if !dropped.isEmpty { events.append(.dropped(kind, chunks: dropped.count, bytes: dropped.reduce(0) { $0 + $1.bytes })) }
        }
        events += solution.staged.map { .hazardCycleBroken(chunk: $0) }
        let slotBytes = buffers.reduce(into: [Int: Int]()) { $0[$1.tile, default: 0] += $1.bytes }
        events += slotBytes.keys.sorted().map { .bufferAllocated(tile: $0, bytes: slotBytes[$0]!) }
        let overfull = solution.regionEnd.keys.sorted().first { solution.regionEnd[$0]! + slotBytes[$0, default: 0] > capacity }
        if let tile = overfull {
            events.append(.fallbackToDRAM(tile: tile, needed: solution.regionEnd[tile]! + slotBytes[tile, default: 0], capacity: capacity))
        }
        self.events = events
        fallbackToDRAM = overfull != nil

        var descriptors: [DMADescriptor] = []
        let graphTasks = tasks.graph.tasks
        for (m, move) in moves.moves.enumerated() {
            let c = solution.chunks[move.chunk], t = taskOf[m]
            let (sourceAddress, destinationAddress): (Int, Int) = switch move.part {
            case .whole: (c.sourceAddress, c.destinationAddress)
            case .intoBuffer: (c.sourceAddress, slotOf[m]!.address)
            case .outOfBuffer: (slotOf[m - 1]!.address, c.destinationAddress)
            }
            descriptors.append(DMADescriptor(id: t, sourceTile: move.sourceTile, sourceAddress: sourceAddress,
                                             destinationTile: move.destinationTile, destinationAddress: destinationAddress,
                                             bytes: move.bytes, waitOn: graphTasks[t].predecessors.sorted(),
                                             start: schedule.starts[t], end: schedule.ends[t]))
        }
        var links: [NoC.Link: Int] = [:]
        for (resource, busy) in tasks.busyCycles(schedule) { if case .link(let link) = resource { links[link] = busy } }
        linkBusyCycles = fallbackToDRAM ? [:] : links
        self.descriptors = fallbackToDRAM ? [] : descriptors.sorted { $0.id < $1.id }
        self.buffers = fallbackToDRAM ? [] : buffers
        cost = ReshapeCost(solution: solution, descriptors: self.descriptors, makespan: fallbackToDRAM ? 0 : schedule.makespan,
                           linkBusyCycles: linkBusyCycles, noc: noc, fallback: fallbackToDRAM)
    }

    /// Runs the reshape on `memories`: the descriptors at their scheduled cycles, or, after a fallback,
    /// every chunk out to DRAM and back.
    public func execute(on memories: inout TileMemories) throws {
        guard fallbackToDRAM else { return try memories.execute(descriptors) }
        let moving = solution.chunks.filter { $0.kind != .noop }
        let dram = try moving.map { try memories.read(tile: $0.sourceTile, address: $0.sourceAddress, count: $0.bytes) }
        for (c, bytes) in zip(moving, dram) { try memories.write(bytes, tile: c.destinationTile, address: c.destinationAddress) }
    }
}

/// What a reshape costs on the chip, and the same reshape as a round trip through DRAM.
public struct ReshapeCost: Sendable, Encodable {
    public let bytesNoop: Int
    public let bytesLocal: Int
    public let bytesNeighbour: Int
    public let bytesRouted: Int
    /// Bytes staged through buffers (each also counted in its class).
    public let bytesStaged: Int
    /// Chunks that move.
    public let chunks: Int
    public let descriptors: Int
    /// Bytes times hops, over every descriptor.
    public let hopBytes: Int
    public let cycles: Int
    /// Of all descriptor cycles, the share spent setting descriptors up.
    public let setupShare: Double
    /// The busiest link's busy cycles over the makespan.
    public let maxLinkUtilization: Double
    /// Joules in tile memory (bytes read and written), on the network (flit hops and descriptors) and in DRAM.
    public let tileMemoryEnergy: Double
    public let nocEnergy: Double
    public let dramEnergy: Double
    public let baseline: DRAMRoundTrip

    public var energy: Double { tileMemoryEnergy + nocEnergy + dramEnergy }
    public var savedCycles: Int { baseline.cycles - cycles }
    public var savedEnergy: Double { baseline.energy - energy }

    init(solution: ReshapeSolution, descriptors: [DMADescriptor], makespan: Int, linkBusyCycles: [NoC.Link: Int], noc: NoC,
         fallback: Bool) {
        func bytes(_ kind: ReshapeChunk.Kind) -> Int { solution.chunks.filter { $0.kind == kind }.reduce(0) { $0 + $1.bytes } }
        bytesNoop = bytes(.noop)
        bytesLocal = bytes(.local)
        bytesNeighbour = bytes(.neighbour)
        bytesRouted = bytes(.routed)
        bytesStaged = solution.staged.reduce(0) { $0 + solution.chunks[$1].bytes }
        chunks = solution.moves.count
        self.descriptors = descriptors.count
        hopBytes = descriptors.reduce(0) { $0 + $1.bytes * noc.hops(from: $1.sourceTile, to: $1.destinationTile) }
        let busy = descriptors.reduce(0) { $0 + $1.end - $1.start }
        setupShare = busy > 0 ? Double(descriptors.count * noc.config.noc.dmaSetup) / Double(busy) : 0
        maxLinkUtilization = makespan > 0 ? Double(linkBusyCycles.values.max() ?? 0) / Double(makespan) : 0
        baseline = DRAMRoundTrip(bytes: solution.request.bytes, noc: noc)
        if fallback {
            (cycles, tileMemoryEnergy, nocEnergy, dramEnergy) = (baseline.cycles, baseline.tileMemoryEnergy, 0, baseline.dramEnergy)
        } else {
            cycles = makespan
            var memory = 0.0, network = 0.0
            for d in descriptors {
                let e = noc.transferEnergy(bytes: d.bytes, hops: noc.hops(from: d.sourceTile, to: d.destinationTile))
                memory += e.tileMemory
                network += e.noc
            }
            (tileMemoryEnergy, nocEnergy, dramEnergy) = (memory, network, 0)
        }
    }
}

/// A tensor written out to DRAM (or a global buffer) and read back in its new layout: every byte read and
/// written once in tile memory and twice over the DRAM channel, at its bandwidth after its latency.
public struct DRAMRoundTrip: Sendable, Encodable {
    public let cycles: Int
    public let tileMemoryEnergy: Double
    public let dramEnergy: Double
    public var energy: Double { tileMemoryEnergy + dramEnergy }

    public init(bytes: Int, noc: NoC) {
        cycles = noc.dramCycles(bytes: 2 * bytes)
        tileMemoryEnergy = Double(bytes) * (noc.energy.sramRead.value + noc.energy.sramWrite.value)
        dramEnergy = 2 * Double(bytes) * noc.energy.dram.value
    }
}
