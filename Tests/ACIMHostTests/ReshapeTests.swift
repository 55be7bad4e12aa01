import ACIMArray
import ACIMChip
import ACIMCore
import Testing
@testable import ACIMHost

/// Reshape by routing chunks between tile memories: the solver, the schedule, its execution on the tile
/// memories, and the cost against the DRAM round trip.
@Suite struct ReshapeTests {
    /// A chip of 8 tiles on a 4x2 mesh unless told otherwise.
    static func chip(tiles: Int = 8, columns: Int = 4, memory: Int = 65536, ports: Int = 1,
                     topology: NoCTopology = .mesh) throws -> Chip {
        try nocChip(tiles: tiles, columns: columns, arraySize: 32, ports: ports, memory: memory, topology: topology)
    }

    /// Writes element `l` of the input as bytes derived from `l` at its input location, runs the plan, and
    /// checks every output element reads back the input's element at the same linear index.
    static func expectCorrect(_ plan: ReshapePlan, chip: Chip) throws {
        let request = plan.solution.request, es = request.elementSize
        var memories = TileMemories(tiles: chip.config.tiles, capacity: Int(chip.tile.memory.value))
        func value(_ l: Int) -> [UInt8] { (0..<es).map { UInt8(truncatingIfNeeded: l &* 131 &+ $0 &* 29 &+ 7) } }
        let source = request.inLayout.locator(shape: request.inShape, elementSize: es)
        let destination = request.outLayout.locator(shape: request.outShape, elementSize: es)
        for (l, index) in indices(request.inShape).enumerated() {
            let (t, a) = source(index, l)
            try memories.write(value(l), tile: t, address: a)
        }
        try plan.execute(on: &memories)
        for (l, index) in indices(request.outShape).enumerated() {
            let (t, a) = destination(index, l)
            #expect(try memories.read(tile: t, address: a, count: es) == value(l))
        }
    }

    /// Every row-major index of `shape`.
    static func indices(_ shape: [Int]) -> [[Int]] {
        var all: [[Int]] = [[]]
        for size in shape { all = all.flatMap { prefix in (0..<size).map { prefix + [$0] } } }
        return all
    }

    static func randomLayout(_ shape: [Int], tiles: Int, rng: inout RandomStream) -> TensorLayout {
        let count = shape.reduce(1, *)
        let base = [0, 0, 64, 200][Int(rng.next() % 4)]
        let used = (0..<tiles).filter { _ in rng.next() % 2 == 0 }
        let pool = used.isEmpty ? [Int(rng.next() % UInt64(tiles))] : used
        switch rng.next() % 3 {
        case 0:
            let per = ceilDiv(count, pool.count) + Int(rng.next() % 3)
            return .blockedLinear(elementsPerTile: per, tiles: Array(pool.shuffled(using: &rng).prefix(ceilDiv(count, per))), base: base)
        case 1:
            let d = Int(rng.next() % UInt64(shape.count))
            let parts = min(shape[d], pool.count)
            return .splitDimension(dimension: d, tiles: Array(pool.prefix(parts)), base: base,
                                   rowAlignment: [1, 8, 16][Int(rng.next() % 3)])
        default:
            // Linear order reversed, blocked over the pool.
            let per = ceilDiv(count, pool.count)
            return .custom(name: "reversed") { index, shape in
                var l = 0
                for (i, s) in zip(index, shape) { l = l * s + i }
                let r = count - 1 - l
                return (pool[r / per], base + (r % per) * 4)
            }
        }
    }

    static func randomShape(count: Int, rng: inout RandomStream) -> [Int] {
        var shape: [Int] = [], left = count
        for _ in 0..<Int(rng.next() % 3) {
            let divisors = (1...left).filter { left % $0 == 0 }
            let d = divisors[Int(rng.next() % UInt64(divisors.count))]
            shape.append(d)
            left /= d
        }
        return shape + [left]
    }

    /// 3.7 (1-3): on random shapes, layouts (blocked, split with padding, custom) and element sizes, the
    /// schedule executed on the tile memories gives the flat reference; the chunks conserve bytes, do not
    /// overlap, and no two consecutive ones could have merged.
    @Test func randomReshapesAreCorrectConservingAndMaximal() throws {
        var rng = RandomStream(seed: 11, purpose: .userInput)
        for topology in [NoCTopology.mesh, .ring] {
            let chip = try Self.chip(topology: topology)
            for _ in 0..<60 {
                let count = [1, 6, 12, 24, 60, 64][Int(rng.next() % 6)]
                let es = [1, 2, 3, 4][Int(rng.next() % 4)]
                let inShape = Self.randomShape(count: count, rng: &rng), outShape = Self.randomShape(count: count, rng: &rng)
                let request = try ReshapeRequest(inShape: inShape, outShape: outShape, elementSize: es,
                                                 inLayout: Self.randomLayout(inShape, tiles: 8, rng: &rng),
                                                 outLayout: Self.randomLayout(outShape, tiles: 8, rng: &rng),
                                                 maxChunkBytes: [4, 16, 4096][Int(rng.next() % 3)] * es)
                let plan = try ReshapePlan(request, chip: chip)
                try Self.expectCorrect(plan, chip: chip)
                let chunks = plan.solution.chunks
                #expect(chunks.reduce(0) { $0 + $1.bytes } == count * es)
                #expect(plan.cost.bytesNoop + plan.cost.bytesLocal + plan.cost.bytesNeighbour + plan.cost.bytesRouted == count * es)
                for (a, b) in zip(chunks, chunks.dropFirst()) {
                    #expect(b.firstElement == a.firstElement + a.bytes / es)
                    let contiguous = a.sourceTile == b.sourceTile && a.destinationTile == b.destinationTile
                        && a.sourceAddress + a.bytes == b.sourceAddress && a.destinationAddress + a.bytes == b.destinationAddress
                    #expect(!contiguous || a.bytes + es > request.maxChunkBytes)
                }
                for key in [\ReshapeChunk.sourceTile, \.destinationTile] {
                    let address = key == \ReshapeChunk.sourceTile ? \ReshapeChunk.sourceAddress : \.destinationAddress
                    let sorted = chunks.sorted { ($0[keyPath: key], $0[keyPath: address]) < ($1[keyPath: key], $1[keyPath: address]) }
                    for (a, b) in zip(sorted, sorted.dropFirst()) where a[keyPath: key] == b[keyPath: key] {
                        #expect(a[keyPath: address] + a.bytes <= b[keyPath: address])
                    }
                }
            }
        }
    }

    /// 3.7 (4): two tiles swap their halves in place, a hazard cycle: one chunk is staged, the data is
    /// right, and the buffer reported is the peak of staged bytes.
    @Test func aForcedSwapIsStagedThroughABuffer() throws {
        let chip = try Self.chip()
        for (tiles, expectedKind) in [([0, 2], ReshapeChunk.Kind.routed), ([0, 1], .neighbour)] {
            let request = try ReshapeRequest(inShape: [2, 64], outShape: [128], elementSize: 4,
                                             inLayout: .blockedLinear(elementsPerTile: 64, tiles: tiles),
                                             outLayout: .blockedLinear(elementsPerTile: 64, tiles: tiles.reversed()))
            let plan = try ReshapePlan(request, chip: chip)
            #expect(plan.solution.chunks.map(\.kind) == [expectedKind, expectedKind])
            #expect(plan.solution.hazards.count == 2)
            #expect(plan.solution.staged == [0])
            #expect(plan.events.contains(.hazardCycleBroken(chunk: 0)))
            #expect(plan.bufferBytes == [tiles[0]: 256])
            #expect(plan.peakStagedBytes == [tiles[0]: 256])
            #expect(plan.buffers == [ReshapePlan.Buffer(tile: tiles[0], address: 256, bytes: 256)])
            #expect(plan.descriptors.count == 3)
            try Self.expectCorrect(plan, chip: chip)
        }
        // Within one tile: the halves of a tile swapped (a local cycle).
        let local = try ReshapeRequest(inShape: [128], outShape: [2, 64], elementSize: 2,
                                       inLayout: .blockedLinear(elementsPerTile: 128, tiles: [3]),
                                       outLayout: .custom(name: "halves swapped") { index, _ in (3, ((1 - index[0]) * 64 + index[1]) * 2) })
        let plan = try ReshapePlan(local, chip: chip)
        #expect(plan.solution.staged.count == 1 && plan.peakStagedBytes == [3: 128] && plan.bufferBytes == [3: 128])
        try Self.expectCorrect(plan, chip: chip)
    }

    /// 3.7 (5): the makespan is at least the most bytes a tile receives over its ports at link width, and the
    /// greedy schedule is within 1.5x of the exact one on small cases.
    @Test func greedyIsWithinHalfAgainOfExact() throws {
        var rng = RandomStream(seed: 5, purpose: .userInput)
        var compared = 0
        for ports in [1, 2] {
            let chip = try Self.chip(ports: ports)
            let noc = NoC(chip)
            for _ in 0..<40 {
                let count = 8 + Int(rng.next() % 10)
                let request = try ReshapeRequest(inShape: [count], outShape: [count], elementSize: 16,
                                                 inLayout: Self.randomLayout([count], tiles: 8, rng: &rng),
                                                 outLayout: Self.randomLayout([count], tiles: 8, rng: &rng), maxChunkBytes: 64)
                guard let greedy = try? ReshapePlan(request, chip: chip), greedy.descriptors.count <= 9 else { continue }
                let exact = try ReshapePlan(request, chip: chip, mode: .exact)
                #expect(exact.optimal)
                try Self.expectCorrect(exact, chip: chip)
                let received = Dictionary(grouping: greedy.solution.chunks.filter { $0.kind != .noop && $0.sourceTile != $0.destinationTile },
                                          by: \.destinationTile).mapValues { $0.reduce(0) { $0 + $1.bytes } }
                let bound = ceilDiv(received.values.max() ?? 0, ports * noc.config.noc.linkWidth)
                #expect(exact.cost.cycles >= bound)
                #expect(exact.cost.cycles <= greedy.cost.cycles)
                #expect(Double(greedy.cost.cycles) <= 1.5 * Double(exact.cost.cycles))
                compared += 1
            }
        }
        #expect(compared >= 30)
    }

    /// 3.7 (6): neighbour chunks are not in the solver's input but are moved, first, by direct transfers.
    @Test func neighbourChunksBypassTheSolverButMove() throws {
        let chip = try Self.chip()
        // Tile 0's half goes to tile 1 (a neighbour), tile 1's to tile 6 (2 hops away).
        let request = try ReshapeRequest(inShape: [2, 32], outShape: [64], elementSize: 4,
                                         inLayout: .blockedLinear(elementsPerTile: 32, tiles: [0, 1]),
                                         outLayout: .blockedLinear(elementsPerTile: 32, tiles: [1, 6], base: 1024))
        let plan = try ReshapePlan(request, chip: chip)
        #expect(plan.solution.chunks.map(\.kind) == [.neighbour, .routed])
        #expect(plan.solution.neighbourChunks == [0] && plan.solution.solverInput == [1])
        #expect(plan.descriptors.contains { $0.sourceTile == 0 && $0.destinationTile == 1 })
        #expect(plan.cost.bytesNeighbour == 128 && plan.cost.bytesRouted == 128)
        try Self.expectCorrect(plan, chip: chip)
    }

    /// 3.7 (7): a flatten and a head split cost less than the DRAM round trip, in cycles and energy; the
    /// figures are those of the hand calculation.
    @Test func flattenAndHeadSplitBeatTheDRAMRoundTrip() throws {
        let chip = try Self.chip()
        // conv output [32, 2, 2] on tile 0 flattened into a linear layer's input on tile 6 (3 hops).
        let flatten = try ReshapePlan(ReshapeRequest(inShape: [32, 2, 2], outShape: [128], elementSize: 4,
                                                     inLayout: .blockedLinear(elementsPerTile: 128, tiles: [0]),
                                                     outLayout: .blockedLinear(elementsPerTile: 128, tiles: [6])), chip: chip)
        // One 512-byte chunk: 8 setup + 3 x 2 hops + 512 / 32 = 30 cycles.
        #expect(flatten.cost.chunks == 1 && flatten.cost.cycles == 30)
        // 512 x (1 + 1) pJ in tile memory, 512 x 3 x 0.5 pJ of hops, 20 pJ for the descriptor.
        #expect(abs(flatten.cost.energy - (1024 + 768 + 20) * 1e-12) < 1e-15)
        // The round trip: 100 + 1024 / 16 cycles; 1024 pJ + 1024 x 40 pJ.
        #expect(flatten.cost.baseline.cycles == 164)
        #expect(abs(flatten.cost.baseline.energy - (1024 + 40960) * 1e-12) < 1e-15)
        // Head split: [16, 64] rows on tiles 0-3 to [16, 4, 16], the head dimension on tiles 4-7.
        let heads = try ReshapePlan(ReshapeRequest(inShape: [16, 64], outShape: [16, 4, 16], elementSize: 4,
                                                   inLayout: .splitDimension(dimension: 0, tiles: [0, 1, 2, 3]),
                                                   outLayout: .splitDimension(dimension: 1, tiles: [4, 5, 6, 7])), chip: chip)
        #expect(heads.cost.chunks == 64)
        for plan in [flatten, heads] {
            #expect(plan.cost.savedCycles > 0 && plan.cost.savedEnergy > 0)
            try Self.expectCorrect(plan, chip: chip)
        }
    }

    /// 3.6: identical layouts are a view change (nothing moves, nothing costs); a -1 dimension, size-1
    /// dimensions and a rank change resolve; padding breaks chunks; a 3-byte element moves byte-granular;
    /// one tile copies locally; a tensor too big for the tile memory falls back to DRAM; a transposed
    /// layout is descriptor-bound and says so.
    @Test func edgeCases() throws {
        let chip = try Self.chip()
        let view = try ReshapePlan(ReshapeRequest(inShape: [4, 1, 8], outShape: [-1, 1], elementSize: 4,
                                                  inLayout: .blockedLinear(elementsPerTile: 16, tiles: [2, 3]),
                                                  outLayout: .blockedLinear(elementsPerTile: 16, tiles: [2, 3])), chip: chip)
        #expect(view.solution.request.outShape == [32, 1])
        #expect(view.descriptors.isEmpty && view.cost.cycles == 0 && view.cost.energy == 0 && view.cost.chunks == 0)
        #expect(view.cost.bytesNoop == 128)
        #expect(throws: ACIMError.self) {
            try ReshapeRequest(inShape: [4, 8], outShape: [5, -1], elementSize: 4, inLayout: view.solution.request.inLayout,
                               outLayout: view.solution.request.outLayout)
        }
        #expect(throws: ACIMError.self) {
            try ReshapeRequest(inShape: [4, 0], outShape: [1], elementSize: 4, inLayout: view.solution.request.inLayout,
                               outLayout: view.solution.request.outLayout)
        }
        // Rows of 3 elements padded to 16 bytes: every row its own chunk.
        let padded = try ReshapePlan(ReshapeRequest(inShape: [6, 3], outShape: [18], elementSize: 4,
                                                    inLayout: .splitDimension(dimension: 0, tiles: [0], rowAlignment: 16),
                                                    outLayout: .blockedLinear(elementsPerTile: 18, tiles: [5])), chip: chip)
        #expect(padded.cost.chunks == 6 && padded.solution.chunks.allSatisfy { $0.bytes == 12 })
        try Self.expectCorrect(padded, chip: chip)
        let odd = try ReshapePlan(ReshapeRequest(inShape: [7], outShape: [7], elementSize: 3,
                                                 inLayout: .blockedLinear(elementsPerTile: 7, tiles: [0], base: 1),
                                                 outLayout: .blockedLinear(elementsPerTile: 4, tiles: [0, 4])), chip: chip)
        #expect(odd.solution.chunks.map(\.bytes) == [12, 9])
        try Self.expectCorrect(odd, chip: chip)
        let single = try Self.chip(tiles: 1, columns: 1)
        let local = try ReshapePlan(ReshapeRequest(inShape: [8, 8], outShape: [64], elementSize: 1,
                                                   inLayout: .blockedLinear(elementsPerTile: 64, tiles: [0]),
                                                   outLayout: .blockedLinear(elementsPerTile: 64, tiles: [0], base: 100)), chip: single)
        #expect(local.solution.chunks.map(\.kind) == [.local] && local.cost.hopBytes == 0)
        try Self.expectCorrect(local, chip: single)
        let small = try Self.chip(memory: 1024)
        let big = try ReshapePlan(ReshapeRequest(inShape: [200], outShape: [200], elementSize: 4,
                                                 inLayout: .blockedLinear(elementsPerTile: 200, tiles: [0]),
                                                 outLayout: .blockedLinear(elementsPerTile: 200, tiles: [0], base: 800)), chip: small)
        #expect(big.fallbackToDRAM && big.descriptors.isEmpty)
        #expect(big.events.contains(.fallbackToDRAM(tile: 0, needed: 1600, capacity: 1024)))
        #expect(big.cost.cycles == big.cost.baseline.cycles && big.cost.energy == big.cost.baseline.energy)
        // A transpose as a reshape's layout: every element its own chunk; setup dominates.
        let transposed = try ReshapePlan(ReshapeRequest(inShape: [8, 8], outShape: [64], elementSize: 4,
                                                        inLayout: .custom(name: "column-major") { i, _ in (0, (i[1] * 8 + i[0]) * 4) },
                                                        outLayout: .blockedLinear(elementsPerTile: 64, tiles: [5])), chip: chip)
        #expect(transposed.cost.chunks == 64 && transposed.cost.setupShare > 0.5)
        try Self.expectCorrect(transposed, chip: chip)
    }

    @Test func layoutsOffTheChipAreRefused() throws {
        let chip = try Self.chip()
        #expect(throws: ACIMError.self) {
            try ReshapePlan(ReshapeRequest(inShape: [8], outShape: [8], elementSize: 4,
                                           inLayout: .blockedLinear(elementsPerTile: 8, tiles: [9]),
                                           outLayout: .blockedLinear(elementsPerTile: 8, tiles: [0])), chip: chip)
        }
        #expect(throws: ACIMError.self) {
            try ReshapePlan(ReshapeRequest(inShape: [8], outShape: [8], elementSize: 4,
                                           inLayout: .blockedLinear(elementsPerTile: 4, tiles: [0]),
                                           outLayout: .blockedLinear(elementsPerTile: 8, tiles: [0])), chip: chip)
        }
        #expect(throws: ACIMError.self) {
            try ReshapePlan(ReshapeRequest(inShape: [8], outShape: [8], elementSize: 4,
                                           inLayout: .custom(name: "all at 0") { _, _ in (0, 0) },
                                           outLayout: .blockedLinear(elementsPerTile: 8, tiles: [1])), chip: chip)
        }
    }
}
