import ACIMArray
import ACIMChip
import ACIMCore
import ACIMNetwork
import Dispatch

/// A network's inferences on one clock, layers pipelined across the chip (as ISAAC and PUMA pipeline).
///
/// Every input vector of a weighted layer is four tasks: its input codes read from the tile memory (the
/// banks at `memory_banks x bank_width` bytes per cycle), its MVM on all the layer's arrays at once (the
/// cycles the MVM cost model gave the layer's busiest array, per vector), its digital work (`digital_lanes`
/// operations per cycle per tile: the digital nodes that follow the layer) and its outputs written back.
/// Each kind runs in vector order. A layer's first vector of an output row starts as soon as the input
/// rows its window needs are in its tile memory: for a convolution, rows up to `y x stride - padding +
/// kernel - 1` of its input (through pooling, the rows those need); for a linear layer, the whole input. A
/// row made on another tile moves there as a DMA transfer on the network; a flatten or reshape between
/// layers moves through the reshape solver's descriptors; an activation that spilled to DRAM waits for its
/// round trip. Inferences of a stream follow each other through every stage.
public struct PipelineSchedule: Sendable {
    /// One bar of the timeline: a resource busy with a task of a layer.
    public struct Bar: Sendable {
        public let resource: ChipTasks.Resource
        public let layer: String
        public let start: Int
        public let end: Int
    }

    /// Cycles of one inference alone, input to output.
    public let latencyCycles: Int
    /// Cycles between the ends of successive inferences of a stream, in steady state.
    public let intervalCycles: Double
    /// Inferences in the stream the interval is measured on.
    public let streamInferences: Int
    /// The resource busiest per inference, and its busy cycles per inference.
    public let bottleneck: (resource: ChipTasks.Resource, layer: String, cycles: Int)
    /// Per resource, the fraction of the stream's cycles it was busy, busiest first.
    public let utilization: [(resource: ChipTasks.Resource, fraction: Double)]
    /// Energy per inference of the transfers between tiles, the reshapes and DRAM round trips, by layer.
    public let ledger: CostLedger
    /// Activation bytes that did not fit their tile memories and went to DRAM.
    public let spilledBytes: Int
    /// The reshape plan of every flatten or reshape node between weighted layers.
    public let reshapes: [(node: String, plan: ReshapePlan)]
    /// One inference alone, resource by resource.
    public let timeline: [Bar]
    /// The clock, in hertz.
    public let clock: Double

    /// Seconds of one inference alone.
    public var latency: Double { Double(latencyCycles) / clock }
    /// Inferences per second of a stream.
    public var throughput: Double { intervalCycles > 0 ? clock / intervalCycles : 0 }

    /// How a schedule is computed: from event to event, or cycle by cycle (small cases; the same rule).
    public enum Walk: Sendable { case eventDriven, cycleStepped }

    /// The device controller's rounds of checks and repairs during a stream of inferences.
    ///
    /// A round falls due every `period` inferences: for an array, when its layer starts the first of them
    /// (after the array's last MVM of the inference before). Preemptive, the round takes each array at
    /// that MVM boundary ahead of the inference's MVMs and holds it for all its steps at once; idle-only,
    /// each step waits until the array is free with no MVM ready for it (it goes after every inference
    /// task), so an MVM that arrives during a step waits for that step only. A step is one check read
    /// or one program pulse: an MVM never waits in the middle of one.
    public struct Maintenance: Sendable {
        /// Per array, the cycles of the steps of one round.
        public var steps: [ArrayID: [Int]]
        public var preemptive: Bool
        /// Inferences from one round to the next (nil: from the triggers, or a single round).
        public var period: Int?
        /// The controller's triggers: its timer in seconds and the reads of an array that start a round.
        public var checkInterval: Double?
        public var maxReads: Int?

        /// Per array, the cycles of one round.
        public var cycles: [ArrayID: Int] { steps.mapValues { $0.reduce(0, +) } }

        public init(steps: [ArrayID: [Int]], preemptive: Bool, period: Int? = nil) {
            self.steps = steps.mapValues { $0.filter { $0 > 0 } }.filter { !$0.value.isEmpty }
            self.preemptive = preemptive
            self.period = period.map { max(1, $0) }
        }

        /// One step per array.
        public init(cycles: [ArrayID: Int], preemptive: Bool, period: Int? = nil) {
            self.init(steps: cycles.mapValues { [$0] }, preemptive: preemptive, period: period)
        }

        /// The round the controller of `config` ran, array by array (`counters`), at `clock`: per array its
        /// check cycles as one step per test MVM and its program time as one step per pulse; idle-only or
        /// preemptive, and triggered by its timer (`check_interval`) or read count (`max_reads`), as
        /// configured.
        public init(round counters: [ArrayID: ControllerCounters], config: DeviceControllerConfig, clock: Double) {
            func split(_ total: Int, _ parts: Int) -> [Int] {
                let n = max(1, min(parts, total))
                return (0..<n).map { total / n + ($0 < total % n ? 1 : 0) }
            }
            let steps = counters.mapValues { c in
                split(c.checkCycles, c.testMVMs) + split(Int((c.programLatency * clock).rounded(.up)), c.programPulses)
            }
            self.init(steps: steps, preemptive: !config.idleOnly)
            checkInterval = config.checkInterval.value
            maxReads = config.maxReads
        }

        /// The period, or the one the first trigger sets in a steady stream of one inference every
        /// `intervalCycles` at `clock`, each reading the busiest array `readsPerInference` times: the timer,
        /// or the read count passing `maxReads`, whichever comes first.
        public func period(intervalCycles: Double, clock: Double, readsPerInference: Int) -> Int? {
            if let period { return period }
            let timer = checkInterval.map { Int(min(($0 * clock / max(1, intervalCycles)).rounded(.up), 1e15)) }
            let reads = maxReads.map { $0 / max(1, readsPerInference) + 1 }
            return [timer, reads].compactMap { $0 }.min().map { max(1, $0) }
        }
    }

    /// With maintenance: the cycles the rounds delay the end of the measured stream (the stall), the cycle
    /// the last round's last step ends, the rounds in the measured stream, and the interval between
    /// inferences of a long stream with a round every `period` inferences (`intervalCycles` plus the stall
    /// per round spread over its period).
    public let maintenanceStallCycles: Int?
    public let maintenanceEndCycle: Int?
    public let maintenanceRounds: Int?
    /// Inferences from one round to the next (nil: a single round).
    public let maintenancePeriod: Int?
    public let maintainedIntervalCycles: Double?

    /// Inferences per second of a long stream with its maintenance rounds.
    public var maintainedThroughput: Double? { maintainedIntervalCycles.map { $0 > 0 ? clock / $0 : 0 } }

    /// Schedules one inference alone and a stream of `stream` inferences of `mapped` on `chip`, with each
    /// layer's MVM cycles and digital work per inference taken from `costs`.
    /// With `maintenance`, the stream is scheduled once more with the round's checks in it.
    /// With `phaseEvents`, every MVM is scheduled event by event (drives, settles, conversions on the
    /// shared ADCs, shift-adds: `MVMPhases`) instead of as one task per vector; the schedule is the same
    /// (phases are strictly sequential within an array) and costs far more tasks, so it is for checking
    /// that. It needs every layer's MVM cycles per vector to be its phases' cycles (no gating).
    public init(_ mapped: MappedNetwork, chip: Chip, costs: InferenceCosts, stream: Int = 4, walk: Walk = .eventDriven,
                maintenance: Maintenance? = nil, phaseEvents: Bool = false) throws {
        let plan = try PipelinePlan(mapped, chip: chip, costs: costs)
        if phaseEvents, let stage = plan.stages.first(where: { $0.phases.cycles != $0.mvmCycles }) {
            throw ACIMError.inconsistentParameters(
                "layer \(stage.name): \(stage.mvmCycles) MVM cycles per vector are not its phases' \(stage.phases.cycles)")
        }
        @Sendable func schedule(_ graph: TaskGraph) throws -> TaskGraph.Schedule {
            walk == .eventDriven ? try graph.eventDriven() : try graph.cycleStepped()
        }
        // One inference alone is the stream's first inference without the rest (its tasks come first and
        // wait for none after them): built once, and scheduled with its timeline on a second thread while
        // the rest of the stream is built and scheduled.
        let inferences = max(2, stream)
        streamInferences = inferences
        var builder = PipelineBuilder(plan: plan, noc: NoC(chip), phaseEvents: phaseEvents)
        builder.addNextInference()
        let one = (graph: builder.tasks.graph, resources: builder.tasks.resources, stages: builder.stageOfTask)
        let labels = plan.stages.map(\.name) + [PipelineBuilder.checkLabel]
        // Each thread writes its own field.
        var work: (builder: PipelineBuilder,
                   alone: Result<(schedule: TaskGraph.Schedule, timeline: [Bar], bottleneck: (ChipTasks.Resource, String, Int)), Error>?,
                   stream: Result<TaskGraph.Schedule, Error>?) = (builder, nil, nil)
        withUnsafeMutablePointer(to: &work) { pointer in
            let shared = Unchecked(value: pointer)
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                if i == 0 {
                    shared.value.pointee.alone = Result {
                        let alone = try schedule(one.graph)
                        let (timeline, bottleneck) = Self.busiest(one.graph, alone, resources: one.resources, stageOfTask: one.stages, labels: labels)
                        return (alone, timeline, bottleneck)
                    }
                } else {
                    for _ in 1..<inferences { shared.value.pointee.builder.addNextInference() }
                    shared.value.pointee.stream = Result { try schedule(shared.value.pointee.builder.tasks.graph) }
                }
            }
        }
        let streamBuilder = work.builder
        let (alone, streamSchedule, streamTasks) = (try work.alone!.get(), try work.stream!.get(), streamBuilder.tasks)
        (latencyCycles, timeline, bottleneck) = (alone.schedule.makespan, alone.timeline, alone.bottleneck)
        let ends = streamBuilder.inferenceEnds(streamSchedule)
        intervalCycles = Double(ends.last! - ends.first!) / Double(streamInferences - 1)
        let span = Double(max(1, streamSchedule.makespan))
        let units = Dictionary(uniqueKeysWithValues: zip(streamTasks.resources, streamTasks.graph.capacities))
        utilization = streamTasks.busyCycles(streamSchedule).map { ($0.key, Double($0.value) / span / Double(units[$0.key]!)) }
            .sorted { ($0.1, $1.0) > ($1.1, $0.0) }
        ledger = plan.ledger
        spilledBytes = plan.allocation.spilledBytes
        reshapes = plan.reshapes
        clock = chip.clock
        if var maintenance {
            maintenance.period = maintenance.period(intervalCycles: intervalCycles, clock: chip.clock,
                                                    readsPerInference: plan.stages.map { $0.rows * $0.width }.max() ?? 1)
            var builder = PipelineBuilder(plan: plan, noc: NoC(chip), phaseEvents: phaseEvents)
            builder.addStream(streamInferences, maintenance: maintenance)
            let schedule = try schedule(builder.tasks.graph)
            let stall = builder.inferenceEnds(schedule).last! - ends.last!
            maintenanceStallCycles = stall
            maintenanceEndCycle = builder.checkTasks.map { schedule.ends[$0] }.max() ?? 0
            maintenanceRounds = builder.rounds
            maintenancePeriod = maintenance.period
            maintainedIntervalCycles = intervalCycles
                + (builder.rounds > 0 ? Double(stall) / Double(builder.rounds * (maintenance.period ?? streamInferences)) : 0)
        } else {
            (maintenanceStallCycles, maintenanceEndCycle, maintenanceRounds, maintainedIntervalCycles) = (nil, nil, nil, nil)
            maintenancePeriod = nil
        }
    }
}

extension PipelineSchedule {
    /// The bars of `schedule` (each task of `graph` on each of its resources, labelled with its stage's label,
    /// the last label for the controller), the busiest resource, the label that keeps it busiest, and its
    /// busy cycles.
    private static func busiest(_ graph: TaskGraph, _ schedule: TaskGraph.Schedule, resources: [ChipTasks.Resource],
                                stageOfTask: [Int], labels: [String]) -> ([Bar], (ChipTasks.Resource, String, Int)) {
        var busy = [Int](repeating: 0, count: resources.count * labels.count)
        var timeline: [Bar] = []
        for t in 0..<graph.count {
            let label = stageOfTask[t]
            for r in graph.resources(of: t) {
                timeline.append(Bar(resource: resources[r], layer: labels[label], start: schedule.starts[t], end: schedule.ends[t]))
                busy[r * labels.count + label] += schedule.ends[t] - schedule.starts[t]
            }
        }
        let totals = resources.indices.map { r in (r, busy[(r * labels.count)..<((r + 1) * labels.count)].reduce(0, +)) }
        guard let (r, cycles) = totals.max(by: { ($0.1, resources[$1.0]) < ($1.1, resources[$0.0]) }), cycles > 0 else {
            return (timeline, (.dram, "", 0))
        }
        let layer = labels.indices.max { (busy[r * labels.count + $0], labels[$1]) < (busy[r * labels.count + $1], labels[$0]) }!
        return (timeline, (resources[r], labels[layer], cycles))
    }
}

/// What the pipeline schedule needs of a mapped network, worked out once: per weighted layer its vectors,
/// rows and per-vector task cycles, the rows of earlier layers each of its rows waits for, the activation
/// regions in tile memory, the reshapes, and the energy of moving activations.
struct PipelinePlan: Sendable {
    struct Stage: Sendable {
        let name: String
        let tiles: [Int]
        let arrays: [ArrayID]
        let rows: Int
        let width: Int
        let readCycles: Int
        let mvmCycles: Int
        /// One vector's MVM on the layer's busiest array, phase by phase (the events of `mvmCycles` when
        /// the cost model counted every phase of every vector alike, as with no gating).
        let phases: MVMPhases
        let digitalCycles: Int
        let writeCycles: Int
        /// Per output row, what it waits for: (stage, row) pairs, and whole tensors through a reshape or DRAM.
        let needs: [[Need]]
    }

    /// A row of an earlier stage a stage's row waits for, and how it gets there.
    struct Need: Sendable, Hashable {
        enum Path: Sendable, Hashable {
            case sameTile
            /// A DMA transfer of `bytes` per row from the producer's first tile to the consumer's.
            case transfer(bytes: Int)
            /// The reshape plan of node `index` in `reshapes`, after the producer's last row.
            case reshape(Int)
            /// A DRAM round trip of `bytes` after the producer's last row.
            case dram(bytes: Int)
        }
        let stage: Int
        let row: Int
        let path: Path
    }

    let stages: [Stage]
    let reshapes: [(node: String, plan: ReshapePlan)]
    let allocation: ActivationAllocation
    let ledger: CostLedger

    init(_ mapped: MappedNetwork, chip: Chip, costs: InferenceCosts) throws {
        let network = mapped.network, placement = mapped.placement, noc = NoC(chip)
        let stageIndex = Dictionary(uniqueKeysWithValues: placement.layers.enumerated().map { ($1.name, $0) })
        let nodes = Dictionary(uniqueKeysWithValues: network.nodes.map { ($0.name, $0) })
        func rows(_ name: String) -> Int { network.shapes[name]!.count == 3 ? network.shapes[name]![1] : 1 }
        func elements(_ name: String) -> Int { network.shapes[name]!.reduce(1, *) }

        // Activation regions: every stage's output on its first tile, and the input of a stage fed from
        // another tile or through a reshape on its own; the network input on the first stage's tile.
        var requests: [(label: String, tile: Int, bytes: Int)] = []
        if let first = placement.layers.first { requests.append(("input", first.tiles[0], 4 * elements(Network.inputName))) }
        for layer in placement.layers { requests.append((layer.name, layer.tiles[0], 4 * elements(layer.name))) }
        for layer in placement.layers {
            let input = nodes[layer.name]!.inputs[0]
            let fromElsewhere = Self.producers(of: input, nodes: nodes, stageIndex: stageIndex).contains {
                placement.layers[$0.stage].tiles[0] != layer.tiles[0] || $0.reshaped
            }
            if fromElsewhere { requests.append(("\(layer.name).input", layer.tiles[0], 4 * elements(input))) }
        }
        let allocation = ActivationAllocation(requests, capacity: Int(chip.tile.memory.value))
        let region = Dictionary(allocation.regions.map { ($0.label, $0) }, uniquingKeysWith: { a, _ in a })

        var ledger = CostLedger()
        var reshapes: [(node: String, plan: ReshapePlan)] = []
        var reshapeIndex: [String: Int] = [:]
        var stages: [Stage] = []
        let layout = CrossbarLayout(config: chip.crossbar)
        for (s, layer) in placement.layers.enumerated() {
            let node = nodes[layer.name]!, outRows = rows(layer.name)
            let vectors = max(1, elements(layer.name) / network.shapes[layer.name]![0])
            let stage = costs.stages[s]
            let bandwidth = chip.tile.memoryBanks * chip.tile.bankWidth * layer.tiles.count
            func perVector(_ total: Int, _ rate: Int) -> Int { ceilDiv(ceilDiv(total, costs.inferences * vectors), rate) }
            var needs: [[Need]] = []
            for y in 0..<outRows {
                let inputRow: Int
                if case let .conv2d(conv) = node.operation {
                    let lastTap = y * conv.stride[0] - conv.padding[0] + conv.dilation[0] * (conv.kernel[0] - 1)
                    inputRow = min(rows(node.inputs[0]) - 1, max(0, lastTap))
                } else {
                    inputRow = rows(node.inputs[0]) - 1
                }
                var rowNeeds: [Need] = []
                for need in Self.needs(node.inputs[0], row: inputRow, nodes: nodes, network: network, stageIndex: stageIndex) {
                    let producer = placement.layers[need.stage]
                    let path: Need.Path
                    var row = need.row
                    let spilled = region[producer.name]!.spilled + (region["\(layer.name).input"]?.spilled ?? 0)
                    if spilled > 0 {
                        // What spilled goes out to DRAM and comes back before the consumer reads the tensor.
                        path = .dram(bytes: 2 * spilled)
                        row = rows(producer.name) - 1
                    } else if let reshapeNode = need.reshape {
                        let key = "\(reshapeNode) \(need.stage) \(layer.name)"
                        if let k = reshapeIndex[key] {
                            path = .reshape(k)
                        } else {
                            let source = nodes[reshapeNode]!.inputs[0]
                            let request = try ReshapeRequest(
                                inShape: network.shapes[source]!, outShape: network.shapes[reshapeNode]!, elementSize: 4,
                                inLayout: .blockedLinear(elementsPerTile: elements(source), tiles: [producer.tiles[0]],
                                                         base: region[producer.name]!.address),
                                outLayout: .blockedLinear(elementsPerTile: elements(source), tiles: [layer.tiles[0]],
                                                          base: region["\(layer.name).input"]!.address))
                            let plan = try ReshapePlan(request, chip: chip)
                            // An add before the reshape has each operand delivered: name the second one's producer.
                            let name = "\(reshapeNode)->\(layer.name)"
                            reshapes.append((reshapes.contains { $0.node == name } ? "\(name) (\(producer.name))" : name, plan))
                            reshapeIndex[key] = reshapes.count - 1
                            for (joules, component) in [(plan.cost.tileMemoryEnergy, CostComponent.tileMemory),
                                                        (plan.cost.nocEnergy, .noc), (plan.cost.dramEnergy, .dram)] where joules > 0 {
                                ledger.add(joules, to: component, at: .layer(layer.name))
                            }
                            path = .reshape(reshapes.count - 1)
                        }
                    } else if producer.tiles[0] != layer.tiles[0] {
                        path = .transfer(bytes: ceilDiv(4 * elements(node.inputs[0]), rows(producer.name)))
                    } else {
                        path = .sameTile
                    }
                    rowNeeds.append(Need(stage: need.stage, row: row, path: path))
                }
                needs.append(rowNeeds)
            }
            // The energy of moving activations in: each distinct transfer and DRAM round trip once.
            for need in Set(needs.flatMap { $0 }) {
                let producer = placement.layers[need.stage]
                switch need.path {
                case let .transfer(bytes):
                    let e = noc.transferEnergy(bytes: bytes, hops: noc.hops(from: producer.tiles[0], to: layer.tiles[0]))
                    ledger.add(e.tileMemory, to: .tileMemory, at: .layer(layer.name))
                    ledger.add(e.noc, to: .noc, at: .layer(layer.name))
                case let .dram(bytes) where need.row == rows(producer.name) - 1:
                    ledger.add(Double(bytes) * chip.energy.dram.value, to: .dram, at: .layer(layer.name))
                default: break
                }
            }
            let phases = layer.matrix.blocks.map {
                MVMPhases(layout: layout, drive: PhaseDrive(config: chip.crossbar), timing: chip.crossbar.scaledTiming,
                          columns: $0.columns.count * layout.columnsPerWeight + layout.offsetColumns)
            }.max { $0.cycles < $1.cycles } ?? MVMPhases(timing: chip.crossbar.scaledTiming, adcCount: 1, passes: [])
            stages.append(Stage(
                name: layer.name, tiles: layer.tiles, arrays: layer.arrays, rows: outRows, width: vectors / outRows,
                readCycles: perVector(stage.work.bytesRead, bandwidth),
                mvmCycles: ceilDiv(stage.mvmCycles, costs.inferences * vectors), phases: phases,
                digitalCycles: perVector(stage.work.operations, chip.tile.digitalLanes * layer.tiles.count),
                writeCycles: perVector(stage.work.bytesWritten, bandwidth),
                needs: needs))
        }
        self.stages = stages
        self.reshapes = reshapes
        self.allocation = allocation
        self.ledger = ledger
    }

    /// The weighted stages whose outputs feed node `name`, and whether through a flatten or reshape.
    private static func producers(of name: String, nodes: [String: Node], stageIndex: [String: Int]) -> [(stage: Int, reshaped: Bool)] {
        guard let node = nodes[name] else { return [] }
        if let s = stageIndex[name] { return [(s, false)] }
        let reshaping = node.operation == .flatten || { if case .reshape = node.operation { true } else { false } }()
        return node.inputs.flatMap { producers(of: $0, nodes: nodes, stageIndex: stageIndex) }
            .map { ($0.stage, $0.reshaped || reshaping) }
    }

    /// The rows of weighted stages that row `row` of node `name`'s output needs, with the reshape node
    /// on the way, if any.
    private static func needs(_ name: String, row: Int, nodes: [String: Node], network: Network,
                              stageIndex: [String: Int]) -> [(stage: Int, row: Int, reshape: String?)] {
        guard let node = nodes[name] else { return [] }
        if let s = stageIndex[name] { return [(s, row, nil)] }
        let input = node.inputs[0]
        let inputRows = network.shapes[input]!.count == 3 ? network.shapes[input]![1] : 1
        switch node.operation {
        case let .maxPool(k, stride), let .avgPool(k, stride):
            return needs(input, row: min(inputRows - 1, row * stride + k - 1), nodes: nodes, network: network, stageIndex: stageIndex)
        case .flatten, .reshape:
            return needs(input, row: inputRows - 1, nodes: nodes, network: network, stageIndex: stageIndex)
                .map { ($0.stage, $0.row, $0.reshape ?? name) }
        case .globalAvgPool:
            return needs(input, row: inputRows - 1, nodes: nodes, network: network, stageIndex: stageIndex)
        default:
            return node.inputs.flatMap { needs($0, row: row, nodes: nodes, network: network, stageIndex: stageIndex) }
        }
    }
}

/// Adds the tasks of inferences to a `ChipTasks`, inference by inference.
struct PipelineBuilder {
    let plan: PipelinePlan
    var tasks: ChipTasks
    /// The stage of every task (`plan.stages.count` for the controller's), for the timeline.
    private(set) var stageOfTask: [Int] = []
    /// Per stage and kind (read, MVM, digital, write), the last task added, so each kind runs in order.
    private var last: [[Int?]]
    /// Per stage and row, the write task of the row's last vector, of the inference being added.
    private var rowDone: [[Int]] = []

    /// Whether MVMs are added event by event (`MVMPhases.addEvents`) rather than one task per vector.
    let phaseEvents: Bool
    /// Per stage, the events that end the last MVM added, with `phaseEvents`.
    private var lastEvents: [[Int]]

    /// The tasks that end stage `s`'s last MVM added.
    private func lastMVM(_ s: Int) -> [Int] { phaseEvents ? lastEvents[s] : last[s][1].map { [$0] } ?? [] }

    init(plan: PipelinePlan, noc: NoC, phaseEvents: Bool = false) {
        self.plan = plan
        self.phaseEvents = phaseEvents
        tasks = ChipTasks(noc: noc)
        last = plan.stages.map { _ in [nil, nil, nil, nil] }
        lastEvents = plan.stages.map { _ in [] }
    }

    private mutating func add(_ stage: Int, kind: Int, cycles: Int, holding: [Int], after: some Collection<Int>) -> Int {
        let t = tasks.add(cycles: cycles, holdingIndices: holding)
        for p in after { tasks.lastWaits(for: p) }
        if let previous = last[stage][kind] { tasks.lastWaits(for: previous) }
        last[stage][kind] = t
        stageOfTask.append(stage)
        return t
    }

    /// One vector's MVM on stage `s`'s arrays after its input read: one task for the cost model's cycles
    /// (holding all the layer's arrays: the vector goes to them at once), or with `phaseEvents` every event
    /// of `MVMPhases` on each array, each array's first drive after every array's previous MVM. Returns the
    /// tasks the digital work waits for.
    private mutating func addMVM(_ s: Int, arrays: [Int], after read: Int) -> [Int] {
        guard phaseEvents else {
            return [add(s, kind: 1, cycles: plan.stages[s].mvmCycles, holding: arrays, after: CollectionOfOne(read))]
        }
        let stage = plan.stages[s], before = tasks.graph.count
        var ends: [Int] = []
        for id in stage.arrays {
            ends += stage.phases.addEvents(to: &tasks, array: id, after: [read] + lastMVM(s))
        }
        stageOfTask += Array(repeating: s, count: tasks.graph.count - before)
        lastEvents[s] = ends
        return ends
    }

    mutating func addInference(_ inference: Int) {
        rowDone = plan.stages.map { [Int](repeating: -1, count: $0.rows) }
        var arrived: [PipelinePlan.Need: [Int]] = [:]
        for (s, stage) in plan.stages.enumerated() {
            let memory = stage.tiles.map { tasks.index(.tileMemory(tile: $0)) }
            let digital = stage.tiles.map { tasks.index(.digitalUnit(tile: $0)) }
            let arrays = stage.arrays.map { tasks.index(.array($0)) }
            for y in 0..<stage.rows {
                var waits: [Int] = []
                for need in stage.needs[y] {
                    if let t = arrived[need] { waits += t; continue }
                    let done = rowDone[need.stage][need.row]
                    let producer = plan.stages[need.stage]
                    var ready: [Int]
                    switch need.path {
                    case .sameTile:
                        ready = [done]
                    case let .transfer(bytes):
                        ready = [tasks.transfer(bytes: bytes, from: producer.tiles[0], to: stage.tiles[0], after: [done])]
                        stageOfTask.append(s)
                    case let .reshape(k):
                        let before = tasks.graph.count
                        ready = ReshapeMoves(plan.reshapes[k].plan.solution, noc: tasks.noc).addTasks(to: &tasks, after: [done])
                        stageOfTask += Array(repeating: s, count: tasks.graph.count - before)
                        if ready.isEmpty { ready = [done] }
                    case let .dram(bytes):
                        ready = [tasks.add(cycles: tasks.noc.dramCycles(bytes: bytes), holding: [.dram], after: [done])]
                        stageOfTask.append(s)
                    }
                    arrived[need] = ready
                    waits += ready
                }
                for x in 0..<stage.width {
                    let read = add(s, kind: 0, cycles: stage.readCycles, holding: memory, after: waits[x == 0 ? waits.indices : 0..<0])
                    let mvm = addMVM(s, arrays: arrays, after: read)
                    let work = add(s, kind: 2, cycles: stage.digitalCycles, holding: digital, after: mvm)
                    let write = add(s, kind: 3, cycles: stage.writeCycles, holding: memory, after: CollectionOfOne(work))
                    if x == stage.width - 1 { rowDone[s][y] = write }
                }
            }
        }
    }

    /// The end of each inference of the stream.
    func inferenceEnds(_ schedule: TaskGraph.Schedule) -> [Int] { inferenceTasks.map { schedule.ends[$0].max()! } }

    /// The label of maintenance tasks in the timeline.
    static let checkLabel = "controller"

    /// Adds `inferences` inferences, with `maintenance`'s rounds due at inference 1 and every `period`
    /// after (one round when it has no period). Preemptive rounds go in before the inference they are due
    /// at; idle-only steps after the whole stream, so they have the lowest priority.
    mutating func addStream(_ inferences: Int, maintenance: PipelineSchedule.Maintenance? = nil) {
        var idleRounds: [[[Int]]] = []
        for n in 0..<inferences {
            if let maintenance, n >= 1, (n - 1) % (maintenance.period ?? inferences) == 0 {
                rounds += 1
                let due = plan.stages.indices.map(lastMVM)
                if maintenance.preemptive { addRound(maintenance, dueAfter: due) } else { idleRounds.append(due) }
            }
            addNextInference()
        }
        for due in idleRounds { addRound(maintenance!, dueAfter: due) }
    }

    /// Adds the stream's next inference.
    mutating func addNextInference() {
        let first = tasks.graph.count
        addInference(inferenceTasks.count)
        inferenceTasks.append(first..<tasks.graph.count)
    }

    /// Per inference, its tasks.
    private(set) var inferenceTasks: [Range<Int>] = []
    /// The maintenance tasks, and the rounds added.
    private(set) var checkTasks: [Int] = []
    private(set) var rounds = 0
    /// Per array, the last maintenance task added.
    private var lastCheck: [ArrayID: Int] = [:]

    /// Adds one round on every array of the plan that `maintenance` names, each array's part after
    /// `dueAfter` (per stage, the tasks that end its last MVM before the round is due) and after the
    /// array's previous round: preemptive, one task of the whole round; idle-only, a chain of its steps.
    private mutating func addRound(_ maintenance: PipelineSchedule.Maintenance, dueAfter: [[Int]]) {
        for (s, stage) in plan.stages.enumerated() {
            for id in stage.arrays {
                guard let steps = maintenance.steps[id] else { continue }
                var after = dueAfter[s] + (lastCheck[id].map { [$0] } ?? [])
                for cycles in maintenance.preemptive ? [steps.reduce(0, +)] : steps {
                    let t = tasks.add(cycles: cycles, holding: [.array(id)], after: after)
                    stageOfTask.append(plan.stages.count)
                    checkTasks.append(t)
                    lastCheck[id] = t
                    after = [t]
                }
            }
        }
    }
}
