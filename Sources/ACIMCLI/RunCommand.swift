import ACIMArray
import ACIMChip
import ACIMCore
import ACIMHost
import ACIMNetwork
import ArgumentParser
import Foundation

/// `acim run`: a network deployed on the chip and run through its arrays, compared with the digital reference.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Deploy a network on the chip and run inputs through its arrays: accuracy, latency, energy.",
        discussion: """
            The network's conv and linear layers are quantized to the profile's codes, placed on the chip's \
            arrays (acim map shows where), and programmed by the device controller by write-verify from its \
            digital references. The chip then moves to --time (the cells drift) and every input runs \
            bit-accurately through the arrays (bit-serial DACs, ADCs, sparsity gating, read noise); the \
            digital units do the rest. Each input also runs on the digital reference, the same codes with \
            every product exact, so accuracy loss and agreement are the chip's own. With --subtask the full \
            network is compared with the subtask in gate-and-gain mode (the base network stays programmed) \
            and in remap mode (the pruned network on fewer arrays).
            """)

    @OptionGroup var profile: ProfileOption
    @OptionGroup var network: NetworkOptions
    @OptionGroup var input: InputOptions
    @Option(parsing: .unconditional, help: "Simulated time from programming to the inferences, e.g. 1d (a bare number is seconds).")
    var time = "0s"
    @Option(help: "fast | reference") var engine = "fast"
    @Option(parsing: .unconditional, help: "Inputs per chip batch.") var batch = 32
    @Option(parsing: .unconditional, help: "Seed of programming and read noise.") var seed: UInt64 = 1
    /// The chip's outputs and predictions (with --subtask, the subtask's in its one mode).
    @OptionGroup var written: PredictionOptions
    @Option(help: "Draw one inference's pipelined schedule (arrays, digital units, tile memories, links) to this SVG file.")
    var timeline: String?
    @Flag(help: "Print the report as JSON.") var json = false

    func run() throws {
        let report = try self.report()
        if json { say(try sortedJSON(report)) } else { report.print() }
    }

    /// Runs the network on the chip and returns the report (writing `--output` when given).
    func report() throws -> RunReport {
        let elapsed = try parseQuantity(time, "--time", as: ACIMCore.Duration.self)
        guard elapsed >= 0 else { throw CLIError("--time: expected a duration >= 0, got \(time)") }
        try check(batch, in: 1...4096, "--batch")
        let (engine, arrayEngine) = try mvmEngines(self.engine)
        for (option, path) in [("--output", written.output), ("--predictions", written.predictions)]
        where path != nil && network.subtask != nil && network.subtaskMode == "both" {
            throw CLIError("\(option): with --subtask, choose one --subtask-mode (gate or remap) whose outputs to write")
        }
        try written.checkWritable()
        if let timeline, let problem = FileAccess.problem(writing: timeline) { throw CLIError("--timeline \(timeline): \(problem)") }
        let hardware = try profile.load()
        do {
            let setup = try NetworkSetup(options: network, inputs: input, chip: try hardware.makeChip())
            var results: [ConfigurationResult] = []
            let progress = ProgressLine()
            for (index, configuration) in setup.configurations.enumerated() {
                var chip = try hardware.makeChip()
                var controller = try DeviceController(config: chip.controller, seed: seed)
                let deployment = try configuration.mapped.deploy(on: &chip, controller: &controller, seed: seed)
                try configuration.mapped.calibrateADCs(on: &chip, calibration: setup.calibration)
                try chip.advance(to: chip.time + elapsed)
                let label = setup.configurations.count > 1 ? "\(configuration.name): " : ""
                let evaluation = try configuration.mapped.evaluate(
                    setup.images, labels: setup.labels, labelOf: configuration.mapped.outputLabels, on: &chip, engine: engine,
                    arrayEngine: arrayEngine, seed: seed, batch: batch) { done in
                        progress.show("\(label)\(done)/\(setup.images.shape[0]) inferences")
                    }
                // What one check round of every array would keep each array busy, measured on copies so the
                // run's chip is not changed; the pipelined stream is then scheduled with a round due every
                // period the controller's triggers set, each round's checks and pulses as steps.
                var probeChip = chip, probe = controller, audit: DetectionAudit?
                let round = try probe.maintain(&probeChip, force: true, host: nil, audit: &audit)
                let maintenance = PipelineSchedule.Maintenance(round: round.arrays, config: chip.controller, clock: chip.clock)
                let pipeline = try PipelineSchedule(configuration.mapped, chip: chip, costs: evaluation.costs,
                                                    maintenance: maintenance)
                results.append(ConfigurationResult(configuration: configuration, evaluation: evaluation,
                                                   deployment: deployment, full: index == 0, pipeline: pipeline,
                                                   maintenance: maintenance))
            }
            progress.clear()
            let last = results.last!.configuration.mapped
            try written.write(results.last!.evaluation.logits, rows: setup.rows, labels: setup.labels,
                              classes: last.network.classes, served: last.outputLabels)
            if let timeline {
                try FileAccess.writeAtomically(Data(TimelinePlot(results.last!.pipeline).svg().utf8), to: timeline)
            }
            return RunReport(setup: setup, results: results, chip: try hardware.makeChip(), profile: hardware.name,
                             model: network.model, time: elapsed, engine: self.engine, batch: batch)
        } catch let error as ACIMError { throw CLIError(error.description) }
    }
}

/// One configuration's run: what deploying it cost and what its inferences gave.
struct ConfigurationResult {
    let configuration: ChipConfiguration
    let evaluation: ChipEvaluation
    let deployment: MaintenanceReport
    let full: Bool
    let pipeline: PipelineSchedule
    /// The check round scheduled in the pipelined stream.
    let maintenance: PipelineSchedule.Maintenance
}

/// What `acim run` reports, as text or JSON.
struct RunReport: Encodable {
    struct Component: Encodable {
        let component: String
        let label: String
        let energy: Double
    }
    struct AreaLine: Encodable {
        let component: String
        /// Square metres.
        let area: Double
    }
    struct Layer: Encodable {
        let layer: String
        let arrays: Int
        let tiles: Int
        let cycles: Double
        let mvmCycles: Double
        let digitalCycles: Double
        let memoryCycles: Double
        let energy: Double
    }
    struct Deployment: Encodable {
        let weights: Int
        let pulses: Int
        let energy: Double
        let seconds: Double
        let hostBytes: Int
    }
    /// The pipelined schedule: one inference alone, a stream, where the time goes.
    struct Pipeline: Encodable {
        struct Busy: Encodable {
            let resource: String
            let fraction: Double
        }
        struct Reshape: Encodable {
            let node: String
            let chunks: Int
            let kinds: [String]
            let cycles: Int
            let energy: Double
            let dramCycles: Int
            let dramEnergy: Double
            let fallbackToDRAM: Bool
        }
        let latencyCycles: Int
        let latency: Double
        /// Cycles between inferences of a stream, and inferences per second.
        let intervalCycles: Double
        let inferencesPerSecond: Double
        let bottleneck: String
        let bottleneckLayer: String
        let bottleneckCycles: Int
        /// Every resource's busy share of the stream's cycles, busiest first.
        let utilization: [Busy]
        let spilledBytes: Int
        /// A check round of every array during the stream: its cycles on the busiest array, whether it
        /// preempts, the cycles it delays the stream, and the cycle it ends.
        let checkCycles: Int
        let checksPreempt: Bool
        let checkStallCycles: Int
        let checkEndCycle: Int
        /// Inferences from one round to the next, and the stream's interval and throughput with them.
        let checkPeriod: Int
        let maintainedIntervalCycles: Double
        let maintainedInferencesPerSecond: Double
        /// Energy per inference of moving activations between tiles, reshapes and DRAM round trips.
        let transferEnergy: Double
        let reshapes: [Reshape]

        init(_ pipeline: PipelineSchedule, maintenance: PipelineSchedule.Maintenance) {
            latencyCycles = pipeline.latencyCycles
            latency = pipeline.latency
            intervalCycles = pipeline.intervalCycles
            inferencesPerSecond = pipeline.throughput
            bottleneck = "\(pipeline.bottleneck.resource)"
            bottleneckLayer = pipeline.bottleneck.layer
            bottleneckCycles = pipeline.bottleneck.cycles
            utilization = pipeline.utilization.map { Busy(resource: "\($0.resource)", fraction: $0.fraction) }
            spilledBytes = pipeline.spilledBytes
            checkCycles = maintenance.cycles.values.max() ?? 0
            checksPreempt = maintenance.preemptive
            checkStallCycles = pipeline.maintenanceStallCycles ?? 0
            checkEndCycle = pipeline.maintenanceEndCycle ?? 0
            checkPeriod = pipeline.maintenancePeriod ?? 0
            maintainedIntervalCycles = pipeline.maintainedIntervalCycles ?? pipeline.intervalCycles
            maintainedInferencesPerSecond = pipeline.maintainedThroughput ?? pipeline.throughput
            transferEnergy = pipeline.ledger.energy
            reshapes = pipeline.reshapes.map { reshape in
                let cost = reshape.plan.cost
                return Reshape(node: reshape.node, chunks: cost.chunks,
                               kinds: reshape.plan.solution.chunks.map(\.kind.rawValue), cycles: cost.cycles, energy: cost.energy,
                               dramCycles: cost.baseline.cycles, dramEnergy: cost.baseline.energy,
                               fallbackToDRAM: reshape.plan.fallbackToDRAM)
            }
        }
    }
    struct Configuration: Encodable {
        let name: String
        let classes: [String]
        let inferences: Int
        let accuracy: Double?
        let referenceAccuracy: Double?
        let agreement: Double
        let logitRelativeRMSError: Double
        let logitMaxError: Double
        let macs: Int
        let arraysUsed: Int
        let arraysFreed: Int
        let tilesUsed: Int
        let latencyCycles: Double
        let latency: Double
        let inferencesPerSecond: Double
        let energy: Double
        let tops: Double
        let topsPerWatt: Double
        let pipeline: Pipeline
        let deployment: Deployment
        /// Register bytes a switch from the full network writes (gate mode).
        let switchBytes: Int?
        let components: [Component]
        let layers: [Layer]
    }

    let profile: String
    let model: String
    let time: Double
    let engine: String
    let batch: Int
    let clock: Double
    let tiles: Int
    let arraysPerTile: Int
    let arrayRows: Int
    let arrayColumns: Int
    let area: Double
    let areaByComponent: [AreaLine]
    let configurations: [Configuration]

    init(setup: NetworkSetup, results: [ConfigurationResult], chip: Chip, profile: String, model: String, time: Double,
         engine: String, batch: Int) {
        self.profile = profile
        self.model = model
        self.time = time
        self.engine = engine
        self.batch = batch
        clock = chip.clock
        tiles = chip.config.tiles
        arraysPerTile = chip.tile.arrays
        arrayRows = chip.crossbar.array.rows
        arrayColumns = chip.crossbar.array.cols
        area = chip.area
        areaByComponent = chip.areaByComponent.map { AreaLine(component: $0.component, area: $0.area) }
        configurations = results.map { result in
            let mapped = result.configuration.mapped, costs = result.evaluation.costs
            let n = Double(costs.inferences)
            // The classes served: every output switched on.
            let classNames = zip(mapped.network.classes, mapped.outputLabels).filter { $1 != nil }.map(\.0)
            let counters = result.deployment.total
            let freed = mapped.powerGatedArrays.count
            let moved = result.pipeline.ledger
            let energy = costs.energy + moved.energy
            return Configuration(
                name: result.configuration.name, classes: classNames, inferences: result.evaluation.inferences,
                accuracy: result.evaluation.accuracy, referenceAccuracy: result.evaluation.referenceAccuracy,
                agreement: result.evaluation.agreement, logitRelativeRMSError: result.evaluation.logitRelativeRMSError,
                logitMaxError: result.evaluation.logitMaxError,
                macs: mapped.macs,
                arraysUsed: mapped.placement.arraysUsed - freed, arraysFreed: freed, tilesUsed: mapped.placement.tilesUsed,
                latencyCycles: costs.latencyCycles, latency: costs.latency,
                inferencesPerSecond: costs.latency > 0 ? 1 / costs.latency : 0, energy: energy,
                tops: costs.tops, topsPerWatt: energy > 0 ? 2 * Double(costs.macs) / energy / 1e12 : 0,
                pipeline: Pipeline(result.pipeline, maintenance: result.maintenance),
                deployment: Deployment(weights: mapped.placement.weights, pulses: counters.programPulses,
                                       energy: counters.programEnergy, seconds: counters.programLatency,
                                       hostBytes: counters.hostBytesTransferred),
                switchBytes: result.configuration.gating.map { _ in mapped.registerBytes },
                components: CostComponent.allCases.filter(Set(costs.ledger.components + moved.components).contains).map {
                    Component(component: $0.rawValue, label: $0.label, energy: costs.ledger.energy($0) / n + moved.energy($0))
                },
                layers: costs.stages.map { stage in
                    Layer(layer: stage.name, arrays: stage.arrays, tiles: stage.tiles, cycles: Double(stage.cycles) / n,
                          mvmCycles: Double(stage.mvmCycles) / n, digitalCycles: Double(stage.digitalCycles) / n,
                          memoryCycles: Double(stage.memoryCycles) / n,
                          energy: costs.ledger.energy(at: .layer(stage.name)) / n + moved.energy(at: .layer(stage.name)))
                })
        }
    }

    func print() {
        let first = configurations[0]
        say("\(model) on \(profile): \(tiles) tiles x \(arraysPerTile) arrays of \(arrayRows)x\(arrayColumns) cells, "
              + "\(Quantity<Frequency>(clock).formatted()), \(Quantity<Area>(area * 1e6).formatted().replacingOccurrences(of: "m2", with: "mm2"))")
        say("inputs       \(first.inferences) on the \(engine) engine in batches of \(batch), "
              + "\(Quantity<ACIMCore.Duration>(time).formatted()) after programming")
        for c in configurations {
            say("")
            say("\(c.name) (\(c.classes.count) classes)")
            say("  placement    \(c.arraysUsed) arrays on \(c.tilesUsed) tile\(c.tilesUsed == 1 ? "" : "s")"
                  + (c.arraysFreed > 0 ? ", \(c.arraysFreed) power-gated" : "") + "; \(c.macs) MACs per inference")
            say("  deployment   \(c.deployment.weights) weights by write-verify: \(c.deployment.pulses) pulses, "
                  + "\(Quantity<Energy>(c.deployment.energy).formatted()), \(Quantity<ACIMCore.Duration>(c.deployment.seconds).formatted()); "
                  + "\(c.deployment.hostBytes) bytes from the host"
                  + (c.switchBytes.map { "; a switch writes \($0) register bytes" } ?? ""))
            let accuracy = c.accuracy.map { "\(percent($0)) (digital reference \(percent(c.referenceAccuracy!))); " } ?? ""
            say("  accuracy     \(accuracy)agreement with the reference \(percent(c.agreement)); logit error "
                  + "\(fmt(c.logitRelativeRMSError * 100, 2)) % RMS, max \(fmt(c.logitMaxError, 4))")
            say("  latency      \(fmt(c.latencyCycles, 0)) cycles = \(Quantity<ACIMCore.Duration>(c.latency).formatted()) per inference "
                  + "(layer by layer); \(fmt(c.inferencesPerSecond, 0)) inferences/s")
            let p = c.pipeline
            say("  pipelined    \(p.latencyCycles) cycles = \(Quantity<ACIMCore.Duration>(p.latency).formatted()) per inference; "
                  + "in a stream one every \(fmt(p.intervalCycles, 0)) cycles = \(fmt(p.inferencesPerSecond, 0)) inferences/s; "
                  + "bottleneck \(p.bottleneck) (\(p.bottleneckLayer), \(p.bottleneckCycles) cycles per inference)")
            for r in p.reshapes {
                say("  reshape      \(r.node): \(r.chunks) chunk\(r.chunks == 1 ? "" : "s") (\(Set(r.kinds).sorted().joined(separator: ", "))), "
                      + "\(r.cycles) cycles, \(Quantity<Energy>(r.energy).formatted()); through DRAM \(r.dramCycles) cycles, "
                      + "\(Quantity<Energy>(r.dramEnergy).formatted())" + (r.fallbackToDRAM ? " (did not fit: went through DRAM)" : ""))
            }
            if p.checkCycles > 0 {
                say("  checks       a round on every array (up to \(p.checkCycles) cycles each) every \(p.checkPeriod) inferences, "
                      + (p.checksPreempt ? "preempting: each stalls the stream \(p.checkStallCycles) cycles"
                         : "when idle: each stalls the stream \(p.checkStallCycles) cycles, its last step ending at cycle \(p.checkEndCycle)")
                      + "; with them one inference every \(fmt(p.maintainedIntervalCycles, 0)) cycles "
                      + "(\(fmt(p.maintainedIntervalCycles - p.intervalCycles, 4)) more) = "
                      + "\(fmt(p.maintainedInferencesPerSecond, 0)) inferences/s")
            }
            if p.spilledBytes > 0 { say("  tile memory  \(p.spilledBytes) activation bytes did not fit and go through DRAM") }
            say("  energy       \(Quantity<Energy>(c.energy).formatted()) per inference; \(fmt(c.tops, 3)) TOPS, "
                  + "\(fmt(c.topsPerWatt, 2)) TOPS/W (a MAC is 2 operations)")
            guard configurations.count == 1 else { continue }
            say("")
            say("energy per inference by component")
            for line in c.components {
                say("  " + line.label.padding(toLength: 20, withPad: " ", startingAt: 0)
                      + Quantity<Energy>(line.energy).formatted().leftPadded(10) + "  " + percent(line.energy / c.energy).leftPadded(6))
            }
            say("")
            say("busiest resources in a stream of inferences (share of its cycles)")
            for busy in c.pipeline.utilization.prefix(8) {
                say("  " + busy.resource.padding(toLength: 28, withPad: " ", startingAt: 0) + percent(busy.fraction).leftPadded(7))
            }
            say("")
            say("chip area by component")
            sayArea(areaByComponent.map { ($0.component, $0.area) }, total: area)
            say("")
            say("per inference by layer          arrays  tiles     cycles (MVM + digital + memory)      energy")
            for layer in c.layers {
                say("  " + layer.layer.padding(toLength: 28, withPad: " ", startingAt: 0) + "\(layer.arrays)".leftPadded(6)
                      + "\(layer.tiles)".leftPadded(7) + fmt(layer.cycles, 0).leftPadded(11)
                      + " (\(fmt(layer.mvmCycles, 0)) + \(fmt(layer.digitalCycles, 0)) + \(fmt(layer.memoryCycles, 0)))".padding(toLength: 27, withPad: " ", startingAt: 0)
                      + Quantity<Energy>(layer.energy).formatted().leftPadded(12))
            }
        }
    }
}

extension String {
    /// The string right-aligned in `width` characters.
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

/// One inference's pipelined schedule as a timeline plot: a row per array, digital unit, tile memory, DMA
/// port and link, bars coloured by layer.
extension TimelinePlot {
    init(_ pipeline: PipelineSchedule) {
    let rows = Set(pipeline.timeline.map(\.resource)).sorted().map(\.description)
    let bars = pipeline.timeline.map {
        TimelinePlot.Bar(row: "\($0.resource)", start: Double($0.start), end: Double($0.end), group: $0.layer)
    }
    self.init(title: "one inference, pipelined: \(pipeline.latencyCycles) cycles", xLabel: "cycle", rows: rows, bars: bars)
    }
}
