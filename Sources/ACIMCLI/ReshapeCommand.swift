import ACIMChip
import ACIMCore
import ACIMHost
import ArgumentParser
import Foundation

/// `acim reshape`: one reshape compiled into chunk moves between tile memories, scheduled on the network,
/// and compared with a round trip through DRAM.
struct ReshapeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reshape",
        abstract: "Compile a reshape into chunk moves between tile memories: chunks, schedule, buffers, cost against DRAM.",
        discussion: """
            The tensor of shape --in is laid out on the tiles by --in-layout and becomes the tensor of shape \
            --out laid out by --out-layout (row-major: element l of the output is element l of the input). \
            The solver cuts the tensor into chunks contiguous in both layouts, classifies them (no-op, local \
            copy, neighbour transfer, routed), orders chunks that overwrite bytes others still have to read, \
            stages one chunk of each such cycle through a buffer, and schedules the moves on the network's \
            DMA ports and links. Layouts: blocked[:N]@TILES[+BASE] puts N elements on each tile in linear \
            order (N by default: an even share); split:D@TILES[+BASE][:align=BYTES] splits dimension D \
            evenly over the tiles, rows padded to BYTES. TILES is a list such as 0,1,4 or a range 0-3; BASE \
            is the first byte in each tile memory.
            """)

    @OptionGroup var profile: ProfileOption
    @Option(name: .customLong("in"), parsing: .unconditional, help: "Input shape, e.g. 32,2,2.") var inShape: String
    @Option(name: .customLong("out"), parsing: .unconditional, help: "Output shape, e.g. 128 (one dimension may be -1).") var outShape: String
    @Option(help: "Input layout, e.g. blocked@0.") var inLayout: String
    @Option(help: "Output layout, e.g. blocked@6.") var outLayout: String
    @Option(help: "Bytes per element.") var elementBytes = 4
    @Option(help: "Largest chunk one descriptor moves, in bytes.") var maxChunk = 4096
    @Option(help: "greedy | exact (exact: small cases, up to a few dozen descriptors).") var mode = "greedy"
    @Flag(help: "Print the report as JSON.") var json = false

    func run() throws {
        guard let mode = ReshapePlan.Mode(rawValue: mode) else {
            throw CLIError("--mode: expected greedy or exact, got \(self.mode)")
        }
        try check(elementBytes, in: 1...64, "--element-bytes")
        try check(maxChunk, in: elementBytes...(1 << 30), "--max-chunk")
        let inShape = try Self.shape(self.inShape, "--in"), outShape = try Self.shape(self.outShape, "--out")
        let hardware = try profile.load()
        do {
            let chip = try hardware.makeChip()
            let elements = inShape.reduce(1, *)
            guard elements <= 1 << 20 else { throw CLIError("--in: at most \(1 << 20) elements, got \(elements)") }
            let resolvedOut = try ReshapeRequest(inShape: inShape, outShape: outShape, elementSize: elementBytes,
                                                 inLayout: .blockedLinear(elementsPerTile: elements, tiles: [0]),
                                                 outLayout: .blockedLinear(elementsPerTile: elements, tiles: [0])).outShape
            let request = try ReshapeRequest(
                inShape: inShape, outShape: outShape, elementSize: elementBytes,
                inLayout: try Self.layout(inLayout, "--in-layout", shape: inShape, tiles: chip.config.tiles),
                outLayout: try Self.layout(outLayout, "--out-layout", shape: resolvedOut, tiles: chip.config.tiles),
                maxChunkBytes: maxChunk)
            if mode == .exact {
                let moves = try ReshapePlan(request, chip: chip).descriptors.count
                guard moves <= 48 else {
                    throw CLIError("--mode exact: \(moves) descriptors; the exact search takes up to 48 (use greedy)")
                }
            }
            let plan = try ReshapePlan(request, chip: chip, mode: mode)
            let report = ReshapeReport(plan, chip: chip, profile: hardware.name)
            if json { say(try sortedJSON(report)) } else { report.print() }
        } catch let error as ACIMError { throw CLIError(error.description) }
    }

    static func shape(_ text: String, _ option: String) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && ($0! > 0 || $0! == -1) }), parts.count <= 8 else {
            throw CLIError("\(option) \(text): expected up to 8 comma-separated dimensions > 0 (or one -1), e.g. 32,2,2")
        }
        return parts.map { $0! }
    }

    /// Parses `blocked[:N]@TILES[+BASE]` or `split:D@TILES[+BASE][:align=B]`.
    static func layout(_ text: String, _ option: String, shape: [Int], tiles chipTiles: Int) throws -> TensorLayout {
        func bad(_ why: String) -> CLIError {
            CLIError("\(option) \(text): \(why); expected blocked[:N]@TILES[+BASE] or split:D@TILES[+BASE][:align=BYTES]")
        }
        let halves = text.split(separator: "@", omittingEmptySubsequences: false)
        guard halves.count == 2 else { throw bad("no @TILES") }
        var rest = String(halves[1]), alignment = 1, base = 0
        if let range = rest.range(of: ":align=") {
            guard let a = Int(rest[range.upperBound...]), a >= 1, a <= 4096 else { throw bad("align must be 1...4096 bytes") }
            alignment = a
            rest = String(rest[..<range.lowerBound])
        }
        if let plus = rest.firstIndex(of: "+") {
            guard let b = Int(rest[rest.index(after: plus)...]), b >= 0 else { throw bad("the base must be a byte address >= 0") }
            base = b
            rest = String(rest[..<plus])
        }
        var tiles: [Int] = []
        for item in rest.split(separator: ",", omittingEmptySubsequences: false) {
            let ends = item.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard (1...2).contains(ends.count), ends.allSatisfy({ $0 != nil }), ends.first!! <= ends.last!! else {
                throw bad("tiles must be numbers or ranges like 0-3")
            }
            tiles += Array(ends.first!!...ends.last!!)
        }
        guard tiles.allSatisfy({ (0..<chipTiles).contains($0) }), Set(tiles).count == tiles.count else {
            throw bad("tiles must be distinct and in 0..<\(chipTiles)")
        }
        let head = halves[0].split(separator: ":", omittingEmptySubsequences: false)
        switch (head.first, head.count) {
        case ("blocked", 1), ("blocked", 2):
            guard alignment == 1 else { throw bad("align applies to split layouts") }
            let count = shape.reduce(1, *)
            let per = head.count == 2 ? Int(head[1]) : ceilDiv(count, tiles.count)
            guard let per, per > 0 else { throw bad("N must be a number of elements > 0") }
            return .blockedLinear(elementsPerTile: per, tiles: tiles, base: base)
        case ("split", 2):
            guard let d = Int(head[1]) else { throw bad("D must be a dimension number") }
            return .splitDimension(dimension: d, tiles: tiles, base: base, rowAlignment: alignment)
        default:
            throw bad("unknown layout")
        }
    }
}

/// What `acim reshape` reports, as text or JSON.
struct ReshapeReport: Encodable {
    let profile: String
    let inShape: [Int]
    let outShape: [Int]
    let elementBytes: Int
    let inLayout: String
    let outLayout: String
    let mode: String
    let optimal: Bool
    let fallbackToDRAM: Bool
    let chunks: [ReshapeChunk]
    let hazards: Int
    let staged: [Int]
    let descriptors: [DMADescriptor]
    let buffers: [ReshapePlan.Buffer]
    let peakStagedBytes: [String: Int]
    let cost: ReshapeCost
    let events: [String]
    let clock: Double

    init(_ plan: ReshapePlan, chip: Chip, profile: String) {
        let request = plan.solution.request
        self.profile = profile
        inShape = request.inShape
        outShape = request.outShape
        elementBytes = request.elementSize
        inLayout = "\(request.inLayout)"
        outLayout = "\(request.outLayout)"
        mode = plan.mode.rawValue
        optimal = plan.optimal
        fallbackToDRAM = plan.fallbackToDRAM
        chunks = plan.solution.chunks
        hazards = plan.solution.hazards.count
        staged = plan.solution.staged
        descriptors = plan.descriptors
        buffers = plan.buffers
        peakStagedBytes = Dictionary(uniqueKeysWithValues: plan.peakStagedBytes.map { ("\($0.key)", $0.value) })
        cost = plan.cost
        events = plan.events.map(\.description)
        clock = chip.clock
    }

    func print() {
        let bytes = inShape.reduce(1, *) * elementBytes
        say("reshape \(inShape) -> \(outShape), \(elementBytes)-byte elements, \(bytes) bytes: \(inLayout) -> \(outLayout) on \(profile)")
        let count = { (kind: ReshapeChunk.Kind) in chunks.count { $0.kind == kind } }
        say("chunks       \(chunks.count): \(count(.noop)) no-op, \(count(.local)) local, \(count(.neighbour)) neighbour, "
              + "\(count(.routed)) routed; \(hazards) hazard edges, \(staged.count) staged")
        let shown = 16
        for (k, c) in chunks.prefix(shown).enumerated() {
            say("  #\(k)".padding(toLength: 7, withPad: " ", startingAt: 0) + c.kind.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                  + "tile \(c.sourceTile) +\(c.sourceAddress)".padding(toLength: 16, withPad: " ", startingAt: 0)
                  + "-> tile \(c.destinationTile) +\(c.destinationAddress)".padding(toLength: 19, withPad: " ", startingAt: 0)
                  + "\(c.bytes) B".leftPadded(8))
        }
        if chunks.count > shown { say("  ... \(chunks.count - shown) more (--json lists all)") }
        if fallbackToDRAM {
            say("schedule     none: the tensors do not fit the tile memory; the reshape goes through DRAM")
        } else {
            say("schedule     \(mode)\(mode == "exact" ? (optimal ? " (proved shortest)" : " (search stopped; best found)") : ""): "
                  + "\(cost.cycles) cycles, \(descriptors.count) descriptor\(descriptors.count == 1 ? "" : "s"), busiest link \(percent(cost.maxLinkUtilization)) busy; "
                  + "setup is \(percent(cost.setupShare)) of descriptor time")
            if cost.setupShare > 0.5 { say("             descriptor setup dominates: many small chunks (consider another layout)") }
            let tiles = Set(descriptors.map(\.sourceTile)).sorted()
            for tile in tiles {
                let list = descriptors.filter { $0.sourceTile == tile }.sorted { ($0.start, $0.id) < ($1.start, $1.id) }
                say("  tile \(tile) issues \(list.count)")
                for d in list.prefix(6) {
                    let waits = d.waitOn.isEmpty ? "" : ", waits on \(d.waitOn.map(String.init).joined(separator: ","))"
                    say("    #\(d.id) +\(d.sourceAddress) -> tile \(d.destinationTile) +\(d.destinationAddress), \(d.bytes) B, "
                          + "cycles \(d.start)-\(d.end)\(waits), signals \(d.signal)")
                }
                if list.count > 6 { say("    ... \(list.count - 6) more") }
            }
            say("buffers      " + (buffers.isEmpty ? "none" : buffers.map { "tile \($0.tile): \($0.bytes) B at +\($0.address)" }.joined(separator: "; ")))
        }
        say("cost         \(cost.cycles) cycles, \(Quantity<Energy>(cost.energy).formatted()) (tile memory "
              + "\(Quantity<Energy>(cost.tileMemoryEnergy).formatted()), NoC \(Quantity<Energy>(cost.nocEnergy).formatted())"
              + (cost.dramEnergy > 0 ? ", DRAM \(Quantity<Energy>(cost.dramEnergy).formatted())" : "") + ")")
        say("DRAM trip    \(cost.baseline.cycles) cycles, \(Quantity<Energy>(cost.baseline.energy).formatted())")
        let cyclesSaved = cost.baseline.cycles > 0 ? Double(cost.savedCycles) / Double(cost.baseline.cycles) : 0
        let energySaved = cost.baseline.energy > 0 ? cost.savedEnergy / cost.baseline.energy : 0
        say("saved        \(cost.savedCycles) cycles (\(percent(cyclesSaved))), \(Quantity<Energy>(cost.savedEnergy).formatted()) (\(percent(energySaved)))")
        for event in events { say("  \(event)") }
    }
}
