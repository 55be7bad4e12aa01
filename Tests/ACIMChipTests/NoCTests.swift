import ACIMCore
import Testing
@testable import ACIMChip

/// The on-chip network's routes and costs, the task scheduler (event-driven, cycle-stepped, exact) and the
/// tile memories that execute DMA descriptors.
@Suite struct NoCTests {
    static func noc(_ topology: NoCTopology, tiles: Int = 16, rows: Int = 4, columns: Int = 4) -> NoC {
        var chip = ChipConfig()
        chip.tiles = tiles
        chip.meshRows = rows
        chip.meshCols = columns
        chip.noc.topology = topology
        return NoC(chip: chip, tile: TileConfig(), energy: ChipEnergy())
    }

    @Test func meshRoutesAlongTheRowThenTheColumn() {
        let noc = Self.noc(.mesh)
        // Tile 1 (row 0, column 1) to tile 14 (row 3, column 2).
        #expect(noc.route(from: 1, to: 14).map(\.description) == ["1->2", "2->6", "6->10", "10->14"])
        #expect(noc.route(from: 14, to: 1).map(\.description) == ["14->13", "13->9", "9->5", "5->1"])
        #expect(noc.hops(from: 0, to: 15) == 6)
        #expect(noc.route(from: 5, to: 5).isEmpty)
        #expect(noc.hops(from: 5, to: 9) == 1 && noc.hops(from: 5, to: 10) == 2 && noc.hops(from: 5, to: 5) == 0)
    }

    @Test func ringRoutesTheShorterWay() {
        let noc = Self.noc(.ring, tiles: 8)
        #expect(noc.route(from: 0, to: 5).map(\.description) == ["0->7", "7->6", "6->5"])
        #expect(noc.route(from: 6, to: 1).map(\.description) == ["6->7", "7->0", "0->1"])
        // A tie goes clockwise.
        #expect(noc.route(from: 2, to: 6).map(\.description) == ["2->3", "3->4", "4->5", "5->6"])
        #expect(noc.hops(from: 0, to: 7) == 1)
    }

    @Test func transferCyclesAndEnergyFollowTheProfile() {
        let noc = Self.noc(.mesh)
        // 100 bytes over 2 hops: 8 setup + 2 x 2 hop + ceil(100 / 32) = 16.
        #expect(noc.transferCycles(bytes: 100, from: 0, to: 5) == 16)
        // Within a tile at 8 banks x 16 bytes: 8 + ceil(300 / 128) = 11.
        #expect(noc.transferCycles(bytes: 300, from: 3, to: 3) == 11)
        let energy = noc.transferEnergy(bytes: 100, hops: 2)
        #expect(abs(energy.tileMemory - 200e-12) < 1e-18)
        #expect(abs(energy.noc - (100e-12 + 20e-12)) < 1e-18)
        #expect(noc.dramCycles(bytes: 160) == 100 + 10)
    }

    @Test func aLinkCarriesOneTransferAtATime() throws {
        var graph = TaskGraph()
        let link = graph.addResource(), portA = graph.addResource(units: 2), portB = graph.addResource()
        graph.add(cycles: 10, resources: [portA, link])
        graph.add(cycles: 10, resources: [portA, link])
        graph.add(cycles: 4, resources: [portA, portB])
        let schedule = try graph.eventDriven()
        #expect(schedule.starts == [0, 10, 0])
        #expect(schedule.makespan == 20)
        #expect(try graph.cycleStepped() == schedule)
    }

    @Test func predecessorsAndPriorityOrderTheStarts() throws {
        var graph = TaskGraph()
        let r = graph.addResource()
        let a = graph.add(cycles: 3, resources: [r])
        graph.add(cycles: 2, resources: [], after: [a])
        graph.add(cycles: 5, resources: [r])
        let schedule = try graph.eventDriven()
        #expect(schedule.starts == [0, 3, 3])
        #expect(try graph.cycleStepped() == schedule)
    }

    @Test func aWaitCycleIsAnError() {
        var graph = TaskGraph()
        graph.add(cycles: 1, resources: [])
        graph.add(cycles: 1, resources: [], after: [0])
        graph.wait(0, for: [1])
        #expect(throws: ACIMError.self) { try graph.eventDriven() }
        #expect(throws: ACIMError.self) { try graph.cycleStepped() }
    }

    /// Random graphs: both walks of the list rule give the same schedule; the exact search is never longer
    /// and respects every resource and predecessor.
    @Test func bothWalksAgreeAndExactIsNeverLonger() throws {
        var rng = RandomStream(seed: 7, purpose: .userInput)
        for _ in 0..<150 {
            var graph = TaskGraph()
            let resources = 1 + Int(rng.next() % 4)
            for _ in 0..<resources { _ = graph.addResource(units: 1 + Int(rng.next() % 2)) }
            let count = 2 + Int(rng.next() % 8)
            for t in 0..<count {
                let held = (0..<resources).filter { _ in rng.next() % 2 == 0 }
                let after = (0..<t).filter { _ in rng.next() % 4 == 0 }
                graph.add(cycles: 1 + Int(rng.next() % 9), resources: held, after: after)
            }
            let events = try graph.eventDriven()
            #expect(try graph.cycleStepped() == events)
            let (exact, optimal) = try graph.exact()
            #expect(optimal)
            #expect(exact.makespan <= events.makespan)
            Self.expectFeasible(exact, graph)
            Self.expectFeasible(events, graph)
        }
    }

    static func expectFeasible(_ schedule: TaskGraph.Schedule, _ graph: TaskGraph) {
        let tasks = graph.tasks
        for (t, task) in tasks.enumerated() {
            #expect(schedule.ends[t] == schedule.starts[t] + task.cycles)
            for p in task.predecessors { #expect(schedule.ends[p] <= schedule.starts[t]) }
        }
        for r in graph.capacities.indices {
            for c in 0..<schedule.makespan {
                let inUse = tasks.indices.count { t in
                    tasks[t].resources.contains(r) && schedule.starts[t] <= c && c < schedule.ends[t]
                }
                #expect(inUse <= graph.capacities[r])
            }
        }
    }

    /// The list rule starts the short task first and delays the chain; the shortest schedule runs the
    /// chain's head first: 7 against 6 cycles.
    @Test func exactBeatsTheListRuleWhereItShould() throws {
        var graph = TaskGraph()
        let r = graph.addResource(), s = graph.addResource()
        graph.add(cycles: 1, resources: [r])
        let head = graph.add(cycles: 3, resources: [r])
        graph.add(cycles: 3, resources: [s], after: [head])
        #expect(try graph.eventDriven().makespan == 7)
        let (exact, optimal) = try graph.exact()
        #expect(optimal && exact.makespan == 6)
    }

    @Test func descriptorsRunAfterTheirWaits() throws {
        var memory = TileMemories(tiles: 2, capacity: 1024)
        try memory.write([1, 2, 3, 4], tile: 0, address: 0)
        let move = DMADescriptor(id: 0, sourceTile: 0, sourceAddress: 0, destinationTile: 1, destinationAddress: 8, bytes: 4,
                                 waitOn: [], start: 0, end: 5)
        let back = DMADescriptor(id: 1, sourceTile: 1, sourceAddress: 8, destinationTile: 0, destinationAddress: 100, bytes: 4,
                                 waitOn: [0], start: 5, end: 9)
        try memory.execute([back, move])
        #expect(try memory.read(tile: 0, address: 100, count: 4) == [1, 2, 3, 4])
        #expect(memory.bytesWritten == [8, 4])
        let early = DMADescriptor(id: 1, sourceTile: 1, sourceAddress: 8, destinationTile: 0, destinationAddress: 100, bytes: 4,
                                  waitOn: [0], start: 4, end: 9)
        #expect(throws: ACIMError.self) { try memory.execute([move, early]) }
        #expect(throws: ACIMError.self) { try memory.write([1], tile: 0, address: 1024) }
    }

    @Test func activationsBeyondTheMemorySpillToDRAM() {
        let allocation = ActivationAllocation([("a", 0, 600), ("b", 0, 600), ("c", 1, 100)], capacity: 1000)
        #expect(allocation.regions.map(\.onChip) == [600, 400, 100])
        #expect(allocation.regions.map(\.address) == [0, 600, 0])
        #expect(allocation.spilledBytes == 200)
    }
}
