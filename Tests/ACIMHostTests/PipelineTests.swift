import ACIMArray
import ACIMChip
import ACIMCore
import ACIMNetwork
import Testing
@testable import ACIMHost

/// The pipelined schedule of a network on the chip: a case worked by hand, spills to DRAM, and the
/// event-driven schedule against the cycle-stepped one on random small chips.
@Suite struct PipelineTests {
    static func work(operations: Int, read: Int, written: Int) -> DigitalWork {
        var work = DigitalWork()
        work.operations = operations
        work.bytesRead = read
        work.bytesWritten = written
        return work
    }

    /// Costs of one inference with the given MVM cycles and digital work per layer.
    static func costs(_ mapped: MappedNetwork, _ layers: [(mvm: Int, work: DigitalWork)]) -> InferenceCosts {
        let stages = zip(mapped.placement.layers, layers).map { layer, cost in
            InferenceCosts.Stage(name: layer.name, arrays: layer.arrays.count, tiles: layer.tiles.count, mvmCycles: cost.mvm,
                                 digitalCycles: 0, memoryCycles: 0, work: cost.work)
        }
        return InferenceCosts(inferences: 1, stages: stages, ledger: CostLedger(), clock: 1e9, macs: 0)
    }

    /// Two linear layers on neighbouring tiles. Alone: fc1 reads 256 bytes at 128 per cycle (2), runs its
    /// MVM (5), its digital work (1) and writes 384 bytes (3); its 12 output bytes cross one hop (8 setup +
    /// 2 + 1 = 11); fc2 reads (1), multiplies (7), works (1) and writes (1): 32 cycles. In a stream the
    /// transfer, which holds tile 0's one send port for 11 cycles, paces the inferences.
    @Test func twoLayersOnTwoTilesByHand() throws {
        let chip = try nocChip(tiles: 2, columns: 2)
        let parameters = ["fc1.weight": Tensor(shape: [3, 4], data: gaussians(12, seed: 1)),
                          "fc2.weight": Tensor(shape: [2, 3], data: gaussians(6, seed: 2))]
        let network = try Network(inputShape: [4], nodes: [
            Node("fc1", .linear(outFeatures: 3, bias: false), inputs: ["input"]),
            Node("relu", .relu, inputs: ["fc1"]),
            Node("fc2", .linear(outFeatures: 2, bias: false), inputs: ["relu"]),
        ], parameters: parameters, classes: ["a", "b"])
        let calibration = Dataset(images: Tensor(shape: [4, 4], data: gaussians(16, seed: 3).map(abs)), labels: [0, 0, 0, 0])
        let mapped = try MappedNetwork(network, calibration: calibration, chip: chip)
        #expect(mapped.placement.layers.map(\.tiles) == [[0], [1]])
        let costs = Self.costs(mapped, [(5, Self.work(operations: 64, read: 256, written: 384)),
                                        (7, Self.work(operations: 64, read: 128, written: 128))])
        for walk in [PipelineSchedule.Walk.eventDriven, .cycleStepped] {
            let pipeline = try PipelineSchedule(mapped, chip: chip, costs: costs, stream: 2, walk: walk)
            #expect(pipeline.latencyCycles == 32)
            #expect(pipeline.intervalCycles == 11)
            #expect(pipeline.bottleneck.resource == .sendPort(tile: 0) && pipeline.bottleneck.cycles == 11)
            #expect(pipeline.spilledBytes == 0)
            let link = pipeline.timeline.filter { $0.resource == .link(NoC.Link(from: 0, to: 1)) }
            #expect(link.map(\.start) == [11] && link.map(\.end) == [22])
            // 12 bytes read and written (24 pJ), one hop (6 pJ) and one descriptor (20 pJ).
            #expect(abs(pipeline.ledger.energy - 50e-12) < 1e-18)
            // A 20-cycle round on fc1's array, due when the second inference reaches fc1 (after the first's
            // MVM ends at 7). Preempting, it holds the array from 7 to 27, ahead of the second inference's
            // MVM (ready at 4); that MVM runs 27 to 32 and the second inference ends at 57 instead of 43: a
            // 14-cycle stall. Waiting for the idle array, it goes after that MVM (7 to 12), from 12 to 32,
            // and delays nothing.
            let array = mapped.placement.layers[0].arrays[0]
            let preempting = try PipelineSchedule(mapped, chip: chip, costs: costs, stream: 2, walk: walk,
                                                  maintenance: .init(cycles: [array: 20], preemptive: true))
            #expect(preempting.maintenanceStallCycles == 14 && preempting.maintenanceEndCycle == 27)
            #expect(preempting.maintenanceRounds == 1)
            let idle = try PipelineSchedule(mapped, chip: chip, costs: costs, stream: 2, walk: walk,
                                            maintenance: .init(cycles: [array: 20], preemptive: false))
            #expect(idle.maintenanceStallCycles == 0 && idle.maintenanceEndCycle == 32)
            // Two 5-cycle steps on fc2's array in a stream of 3 (alone it ends at 54; fc2's MVMs run 23-30,
            // 34-41 and 45-52, paced by the transfers). Idle-only, the first step takes the free array at
            // 30, the second inference's MVM, ready at 34, waits for it until 35 (35-42); the second step
            // takes the array at 42, before the third's MVM is ready (45), which then waits until 47 and
            // ends the stream at 56: a 2-cycle stall, though no step ever preempts. Preempting, the round
            // holds the array 30 to 40, the second MVM runs 40-47, the third 47-54: also 56.
            let second = mapped.placement.layers[1].arrays[0]
            let base = try PipelineSchedule(mapped, chip: chip, costs: costs, stream: 3, walk: walk)
            #expect(base.latencyCycles == 32 && base.intervalCycles == 11)
            let steps = try PipelineSchedule(mapped, chip: chip, costs: costs, stream: 3, walk: walk,
                                             maintenance: .init(steps: [second: [5, 5]], preemptive: false))
            #expect(steps.maintenanceStallCycles == 2 && steps.maintenanceEndCycle == 47)
            let whole = try PipelineSchedule(mapped, chip: chip, costs: costs, stream: 3, walk: walk,
                                             maintenance: .init(steps: [second: [5, 5]], preemptive: true))
            #expect(whole.maintenanceStallCycles == 2 && whole.maintenanceEndCycle == 40)
            // A round every inference: due at the second and the third, 20 cycles each on fc1's array,
            // preempting. The first holds the array 7-27 (second MVM 27-32); the second round is due after
            // that MVM and holds it 32-52, so the third inference's MVM runs 52-57 and its transfer, after
            // its write (58-61), 61-72; fc2 runs it 73-80 and the stream ends at 82 instead of 54.
            let every = try PipelineSchedule(mapped, chip: chip, costs: costs, stream: 3, walk: walk,
                                             maintenance: .init(cycles: [array: 20], preemptive: true, period: 1))
            #expect(every.maintenanceRounds == 2 && every.maintenanceEndCycle == 52)
            #expect(every.maintenanceStallCycles == 28)
            #expect(every.maintainedIntervalCycles == 11 + 28.0 / 2)
            #expect(pipeline.maintenanceStallCycles == nil)
        }
    }

    /// A controller's round as steps (one per test MVM, one per program pulse) and its period from the
    /// triggers: 60 s at 1 GHz is 6e10 cycles, 5454545455 inferences of 11 cycles; a million reads at 3 a
    /// time pass the limit at the 333334th inference, which comes first.
    @Test func maintenanceFromTheControllersRound() {
        var counters = ControllerCounters()
        (counters.checkCycles, counters.testMVMs, counters.programLatency, counters.programPulses) = (10, 3, 2e-6, 4)
        var config = DeviceControllerConfig()
        config.checkInterval = Quantity(60)
        config.maxReads = 1_000_000
        config.idleOnly = false
        let array = ArrayID(tile: 0, slot: 0)
        let maintenance = PipelineSchedule.Maintenance(round: [array: counters], config: config, clock: 1e9)
        #expect(maintenance.steps[array] == [4, 3, 3, 500, 500, 500, 500] && maintenance.preemptive)
        #expect(maintenance.cycles[array] == 2010)
        #expect(maintenance.period(intervalCycles: 11, clock: 1e9, readsPerInference: 1) == 1_000_001)
        #expect(maintenance.period(intervalCycles: 11, clock: 1e9, readsPerInference: 3) == 333_334)
        config.maxReads = Int.max
        #expect(PipelineSchedule.Maintenance(round: [array: counters], config: config, clock: 1e9)
            .period(intervalCycles: 11, clock: 1e9, readsPerInference: 3) == 5_454_545_455)
    }

    /// A tile memory too small for the activations: they spill, the consumers wait for the DRAM round trip,
    /// and it costs DRAM energy.
    @Test func activationsThatDoNotFitGoThroughDRAM() throws {
        let network = try residualNetwork(seed: 2)
        let calibration = Dataset(images: images(8, for: network, seed: 3), labels: [Int](repeating: 0, count: 8))
        let roomy = try nocChip(tiles: 8, columns: 4)
        let tight = try nocChip(tiles: 8, columns: 4, memory: 1024)
        let layers = [(mvm: 81 * 2, work: Self.work(operations: 486, read: 1458, written: 1944)),
                      (mvm: 25 * 3, work: Self.work(operations: 300, read: 1350, written: 1200)),
                      (mvm: 25 * 3, work: Self.work(operations: 300, read: 2700, written: 1200)),
                      (mvm: 4, work: Self.work(operations: 53, read: 48, written: 20))]
        let fits = try PipelineSchedule(try MappedNetwork(network, calibration: calibration, chip: roomy), chip: roomy,
                                        costs: Self.costs(try MappedNetwork(network, calibration: calibration, chip: roomy), layers))
        let mapped = try MappedNetwork(network, calibration: calibration, chip: tight)
        let spills = try PipelineSchedule(mapped, chip: tight, costs: Self.costs(mapped, layers))
        #expect(fits.spilledBytes == 0 && fits.ledger.energy(.dram) == 0)
        #expect(spills.spilledBytes > 0 && spills.ledger.energy(.dram) > 0)
        // One round trip per spilled tensor and consumer, not one per row.
        let trips = spills.timeline.filter { $0.resource == .dram }.count
        #expect(trips >= 1 && trips <= 4)
        #expect(spills.latencyCycles > fits.latencyCycles + 100)
        // The flatten between the pooled map and fc is compiled by the reshape solver, for each operand of the
        // residual add before it.
        #expect(fits.reshapes.map(\.node) == ["flatten->fc", "flatten->fc (conv2)"])
    }

    /// The residual network, its calibration images and its layers' input vectors per inference.
    static func residual() throws -> (network: Network, calibration: Dataset, vectors: [Int]) {
        let network = try residualNetwork(seed: 2)
        let calibration = Dataset(images: images(8, for: network, seed: 3), labels: [Int](repeating: 0, count: 8))
        return (network, calibration, [81, 25, 25, 1])
    }

    /// A random small chip for the residual network: 3 to 8 tiles, mesh or ring, 1 or 2 ports, narrow or
    /// wide links, roomy or tight memory, with its crossbar changed by `change`.
    static func randomChip(_ rng: inout RandomStream, crossbar change: (inout CrossbarConfig, inout RandomStream) -> Void = { _, _ in }) throws -> Chip {
        let tiles = 3 + Int(rng.next() % 6)
        let chip = try nocChip(tiles: tiles, columns: 1 + Int(rng.next() % UInt64(tiles)),
                               arraysPerTile: max(ceilDiv(8, tiles), 1 + Int(rng.next() % 4)),
                               ports: 1 + Int(rng.next() % 2), linkWidth: [4, 16, 64][Int(rng.next() % 3)],
                               memory: [1024, 4096, 65536][Int(rng.next() % 3)], topology: rng.next() % 2 == 0 ? .mesh : .ring)
        var crossbar = chip.crossbar
        change(&crossbar, &rng)
        return try Chip(technology: chip.technology, crossbar: crossbar, tile: chip.tile, chip: chip.config,
                        controller: chip.controller, energy: chip.energy, area: chip.areaTable)
    }

    /// On random small chips (mesh or ring, 1 or 2 ports, narrow or wide links, roomy or tight memory) and
    /// random per-layer cycles, stepping every cycle gives the schedule the event-driven walk gives.
    @Test func cycleSteppedAgreesWithEventDriven() throws {
        let (network, calibration, vectors) = try Self.residual()
        var rng = RandomStream(seed: 21, purpose: .userInput)
        for _ in 0..<12 {
            let chip = try Self.randomChip(&rng)
            let mapped = try MappedNetwork(network, calibration: calibration, chip: chip)
            let layers = vectors.map { v in
                (mvm: v * (1 + Int(rng.next() % 4)),
                 work: Self.work(operations: v * Int(rng.next() % 200), read: v * Int(rng.next() % 400), written: v * Int(rng.next() % 300)))
            }
            let costs = Self.costs(mapped, layers)
            let events = try PipelineSchedule(mapped, chip: chip, costs: costs, stream: 3)
            let steps = try PipelineSchedule(mapped, chip: chip, costs: costs, stream: 3, walk: .cycleStepped)
            #expect(events.latencyCycles == steps.latencyCycles)
            #expect(events.intervalCycles == steps.intervalCycles)
            #expect(events.timeline.map(\.start) == steps.timeline.map(\.start))
            #expect(events.latencyCycles > 0 && events.intervalCycles <= Double(events.latencyCycles))
        }
    }

    /// Every MVM as its events (drive, settle, each conversion on the shared ADCs, shift-add, on every
    /// array of the layer) gives, on random small chips and in both walks, the schedule of one task per
    /// vector: the same latency, interval and starts of every task that is not an MVM event.
    @Test func phaseEventsGiveTheAggregatedSchedule() throws {
        let (network, calibration, vectors) = try Self.residual()
        var rng = RandomStream(seed: 33, purpose: .userInput)
        for trial in 0..<6 {
            let chip = try Self.randomChip(&rng) { crossbar, rng in
                crossbar.periphery.inputBits = [2, 3, 4][Int(rng.next() % 3)]
                crossbar.periphery.adc.columnsPerADC = [2, 8, 32][Int(rng.next() % 3)]
                crossbar.periphery.timing.settleCycles = Int(rng.next() % 3)
                crossbar.periphery.timing.adcCycles = 1 + Int(rng.next() % 3)
            }
            let mapped = try MappedNetwork(network, calibration: calibration, chip: chip)
            let probe = try PipelinePlan(mapped, chip: chip, costs: Self.costs(mapped, vectors.map { _ in (1, DigitalWork()) }))
            let costs = Self.costs(mapped, zip(vectors, probe.stages).map { v, stage in
                (mvm: v * stage.phases.cycles,
                 work: Self.work(operations: v * Int(rng.next() % 200), read: v * Int(rng.next() % 400), written: v * Int(rng.next() % 300)))
            })
            for walk in [PipelineSchedule.Walk.eventDriven, .cycleStepped] where walk == .eventDriven || trial < 2 {
                let tasks = try PipelineSchedule(mapped, chip: chip, costs: costs, stream: 2, walk: walk)
                let events = try PipelineSchedule(mapped, chip: chip, costs: costs, stream: 2, walk: walk, phaseEvents: true)
                #expect(events.latencyCycles == tasks.latencyCycles)
                #expect(events.intervalCycles == tasks.intervalCycles)
                func others(_ p: PipelineSchedule) -> [String] {
                    p.timeline.filter {
                        switch $0.resource { case .array, .adcs: false; default: true }
                    }.map { "\($0.resource) \($0.layer) \($0.start) \($0.end)" }
                }
                #expect(others(events) == others(tasks))
                #expect(events.timeline.count > 4 * tasks.timeline.count / 3)
            }
        }
        // Cycles per vector that are not the phases' (gating skipped some) cannot be spread over events.
        let chip = try nocChip(tiles: 4, columns: 2, arraysPerTile: 2)
        let mapped = try MappedNetwork(network, calibration: calibration, chip: chip)
        #expect(throws: ACIMError.self) {
            try PipelineSchedule(mapped, chip: chip, costs: Self.costs(mapped, vectors.map { ($0, DigitalWork()) }), phaseEvents: true)
        }
    }

    /// Spread placement starts every layer on a tile of its own along the snake; rows then cross the network
    /// and the flatten becomes a transfer; a chip with too few tiles is refused.
    @Test func spreadPlacementPipelinesAcrossTiles() throws {
        let network = try residualNetwork(seed: 2)
        let calibration = Dataset(images: images(8, for: network, seed: 3), labels: [Int](repeating: 0, count: 8))
        let chip = try nocChip(tiles: 8, columns: 4, arraysPerTile: 4)
        let packed = try MappedNetwork(network, calibration: calibration, chip: chip)
        let spread = try MappedNetwork(network, calibration: calibration, chip: chip, placement: .spread)
        #expect(packed.placement.layers.map(\.tiles) == [[0], [0], [0, 1], [1]])
        // conv3 needs 4 arrays: tile 2 whole; fc starts tile 3.
        #expect(spread.placement.layers.map(\.tiles) == [[0], [1], [2], [3]])
        let layers = [(mvm: 81 * 2, work: Self.work(operations: 486, read: 1458, written: 1944)),
                      (mvm: 25 * 3, work: Self.work(operations: 300, read: 1350, written: 1200)),
                      (mvm: 25 * 3, work: Self.work(operations: 300, read: 2700, written: 1200)),
                      (mvm: 4, work: Self.work(operations: 53, read: 48, written: 20))]
        let schedule = try PipelineSchedule(spread, chip: chip, costs: Self.costs(spread, layers))
        let links = Set(schedule.timeline.compactMap { bar -> NoC.Link? in
            if case .link(let link) = bar.resource { return link } else { return nil }
        })
        // conv1 -> conv2 -> conv3 -> fc along tiles 0, 1, 2, 3; the residual add hands fc conv2's output too,
        // from tile 1 over two hops through the flatten.
        #expect(links == [NoC.Link(from: 0, to: 1), NoC.Link(from: 1, to: 2), NoC.Link(from: 2, to: 3)])
        #expect(schedule.reshapes.map(\.node) == ["flatten->fc", "flatten->fc (conv2)"])
        #expect(schedule.reshapes.map { $0.plan.solution.chunks.map(\.kind) } == [[.neighbour], [.routed]])
        #expect(schedule.ledger.energy(.noc) > 0)
        #expect(throws: ACIMError.self) {
            try MappedNetwork(network, calibration: calibration, chip: try nocChip(tiles: 3, columns: 3, arraysPerTile: 4),
                              placement: .spread)
        }
    }
}
