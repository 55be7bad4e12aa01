import ACIMArray
import ACIMCore
import Dispatch

/// One chip of many crossbars: tiles on a mesh, each with `tile.arrays` array slots, one clock and one
/// operating temperature.
///
/// The chip owns simulated time. `advance(to:)` moves every array in use to the new time at once (each
/// rebuilds what its MVMs read, in parallel over arrays); an MVM or a read never moves time by itself. An
/// array slot holds no cells until weights are placed on it, so a chip costs memory only for what it runs.
/// A chip is saved and restored exactly (`Codable`, `StateCoding`), for checkpoints of long runs.
public struct Chip: Sendable, Codable, Equatable {
    /// The configuration every array of the chip is built from.
    public let crossbar: CrossbarConfig
    public let tile: TileConfig
    public let config: ChipConfig
    /// Clock, process node and nominal temperature.
    public let technology: TechnologyConfig
    /// The device controller's configuration.
    public let controller: DeviceControllerConfig
    /// Energy per event of the tiles, the network and DRAM (the arrays' own table is in `crossbar`).
    public let energy: ChipEnergy
    public let areaTable: AreaConfig
    /// The simulated time, in seconds, and the operating temperature, in kelvin, of every array in use.
    public private(set) var time: Double = 0
    public private(set) var temperature: Double
    /// What the chip's MVMs cost, by array and event type: each `mvm` adds its array's ledger.
    public private(set) var costs = CostLedger()
    /// Array slots in tile-major order; nil while a slot is unused.
    private var slots: [Crossbar?]

    /// A chip with every slot empty, at time 0 and the technology's nominal temperature; throws the first
    /// configuration problem.
    public init(technology: TechnologyConfig, crossbar: CrossbarConfig, tile: TileConfig, chip: ChipConfig,
                controller: DeviceControllerConfig, energy: ChipEnergy, area: AreaConfig) throws {
        _ = try technology.validated()
        _ = try crossbar.validated()
        _ = try tile.validated()
        _ = try chip.validated()
        _ = try controller.validated()
        _ = try energy.validated()
        _ = try area.validated()
        self.technology = technology
        self.crossbar = crossbar
        self.tile = tile
        self.config = chip
        self.controller = controller
        self.energy = energy
        self.areaTable = area
        temperature = technology.temperature.value
        slots = [Crossbar?](repeating: nil, count: chip.tiles * tile.arrays)
    }

    /// The chip clock, in hertz, every cycle count refers to.
    public var clock: Double { technology.clock.value }

    /// One tile: its place on the mesh, its array slots, its memory and its digital unit.
    public struct Tile: Sendable, Equatable {
        public let index: Int
        public let meshRow: Int
        public let meshColumn: Int
        public let arrays: [ArrayID]
        /// Tile memory in bytes, its banks, and the lanes of the digital unit.
        public let memoryBytes: Int
        public let memoryBanks: Int
        public let digitalLanes: Int
    }

    /// The tiles, in order.
    public var tiles: [Tile] {
        (0..<config.tiles).map { t in
            let (row, column) = meshPosition(ofTile: t)
            return Tile(index: t, meshRow: row, meshColumn: column,
                        arrays: (0..<tile.arrays).map { ArrayID(tile: t, slot: $0) },
                        memoryBytes: Int(tile.memory.value), memoryBanks: tile.memoryBanks,
                        digitalLanes: tile.digitalLanes)
        }
    }

    /// The chip's area from the area table, in square metres: every array's cells, ADCs and word-line DACs,
    /// every tile's memory, digital unit and router, and the device controller.
    public var area: Double { areaByComponent.reduce(0) { $0 + $1.area } }

    /// The chip's area by component, in square metres, in that order.
    public var areaByComponent: [(component: String, area: Double)] {
        let layout = CrossbarLayout(config: crossbar)
        let arrays = Double(config.tiles * tile.arrays), tiles = Double(config.tiles)
        return [
            ("cells", arrays * Double(crossbar.deviceCells) * areaTable.cell.value),
            ("ADCs", arrays * Double(layout.adcCount) * areaTable.adc.value),
            ("DACs", arrays * Double(crossbar.array.rows) * areaTable.dac.value),
            ("tile memory", tiles * tile.memory.value / 1024 * areaTable.sramPerKiB.value),
            ("digital units", tiles * areaTable.digitalUnit.value),
            ("routers", tiles * areaTable.router.value),
            ("controller", areaTable.controller.value),
        ]
    }

    /// Every array slot of the chip, tile by tile.
    public var arrayIDs: [ArrayID] {
        (0..<config.tiles).flatMap { t in (0..<tile.arrays).map { ArrayID(tile: t, slot: $0) } }
    }

    /// The arrays that hold weights, tile by tile.
    public var arraysInUse: [ArrayID] { arrayIDs.filter { slots[index($0)] != nil } }

    /// The mesh position (row, column) of tile `tile`, row-major.
    public func meshPosition(ofTile tile: Int) -> (row: Int, column: Int) {
        (tile / config.meshCols, tile % config.meshCols)
    }

    /// The array at `id`; throws when the slot does not exist or holds no weights.
    public func array(_ id: ArrayID) throws -> Crossbar {
        guard let array = slots[try index(checked: id)] else {
            throw ACIMError.inconsistentParameters("\(id) holds no weights")
        }
        return array
    }

    /// Bytes of array state per cell (cells and what an MVM reads), for memory estimates.
    public var bytesPerCell: Double { Chip.bytesPerCell(crossbar) }

    /// Bytes of array state per cell of arrays of `crossbar`: the cells, their weight sites, the
    /// materialized levels an MVM reads, the mapping's target levels, and the FastEngine's 8-bit copies of
    /// the levels (with disabled zero-level cells, also of the cells read), plain and packed.
    public static func bytesPerCell(_ crossbar: CrossbarConfig) -> Double {
        let layout = CrossbarLayout(config: crossbar)
        let cellsPerSite = layout.wordLinesPerRow * layout.columnsPerWeight
        let integerCopies = crossbar.periphery.sparsity.disableZeroWeightCells ? 4 : 2
        return CellArray.bytesPerCell(cellsPerSite: cellsPerSite) + Double(MemoryLayout<Float>.size + 1 + integerCopies)
    }

    /// Bytes the arrays in use hold now.
    public var arrayBytes: Double {
        Double(slots.count { $0 != nil } * crossbar.deviceCells) * bytesPerCell
    }

    // MARK: Placing weights

    /// Maps `weights` onto array `id` and programs every cell at the chip's time, drawing its programming
    /// noise from the streams of that array keyed by `seed`.
    public mutating func program(_ id: ArrayID, weights: Matrix<Int32>, seed: UInt64) throws {
        var array = try newArray(id)
        try array.program(weights: weights, at: time, seed: seed)
        slots[index(id)] = array
    }

    /// Maps `weights` onto array `id` with its weight cells unwritten, for the device controller to
    /// program from its references.
    public mutating func map(_ id: ArrayID, weights: Matrix<Int32>, seed: UInt64) throws {
        var array = try newArray(id)
        try array.map(weights: weights, at: time, seed: seed)
        slots[index(id)] = array
    }

    /// Removes the weights of array `id`, freeing its cells.
    public mutating func clear(_ id: ArrayID) throws {
        slots[try index(checked: id)] = nil
    }

    private func newArray(_ id: ArrayID) throws -> Crossbar {
        let slot = try index(checked: id)
        if slots[slot] == nil {
            let cells = Double(crossbar.deviceCells)
            try MemoryBudget.require(arrayBytes + cells * bytesPerCell,
                                    for: "\(slots.count { $0 != nil } + 1) arrays of \(crossbar.array.rows)x\(crossbar.array.cols) cells")
        }
        // A slot given new weights keeps its cells, with their wear (writes, stuck cells).
        return try slots[slot] ?? Crossbar(config: crossbar, id: id, temperature: temperature)
    }

    // MARK: Time

    /// Moves the chip to simulated time `time` (seconds, not before the current time) and, when given, to
    /// `temperature` kelvin: every array in use rebuilds what its MVMs read, in parallel, each array on its
    /// own, so the result does not depend on the thread count. Arrays whose time, temperature and reads
    /// did not change are not touched.
    public mutating func advance(to time: Double, temperature: Double? = nil) throws {
        guard time.isFinite, time >= self.time else {
            throw ACIMError.invalidParameter(name: "time", value: "\(time)",
                                             expected: "a time at or after the chip's \(self.time) s")
        }
        if let temperature {
            guard temperature > 0, temperature.isFinite else {
                throw ACIMError.invalidParameter(name: "temperature", value: "\(temperature)",
                                                 expected: "a temperature > 0 K")
            }
            self.temperature = temperature
        }
        self.time = time
        let used = slots.indices.filter { slots[$0] != nil }
        let (now, kelvin) = (time, self.temperature)
        slots.withUnsafeMutableBufferPointer { slots in
            let base = Unchecked(value: slots.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: used.count) { k in
                base.value[used[k]]!.setTime(now, temperature: kelvin)
            }
        }
    }

    // MARK: Reads

    /// Runs `inputs` through array `id` on `engine` at the chip's time, counts the reads (read disturb
    /// takes effect at the next `advance`) and adds the MVM's ledger to `costs`. This is the one place an
    /// MVM counts its reads and its costs.
    public mutating func mvm(_ id: ArrayID, inputs: Matrix<Int32>, context: ReadContext,
                             engine: any MVMEngine) throws -> MVMResult {
        let slot = try index(checked: id)
        guard slots[slot] != nil else { throw ACIMError.inconsistentParameters("\(id) holds no weights") }
        let result = try engine.run(slots[slot]!, inputs: inputs, context: context)
        slots[slot]!.recordReads(inputs.rows)
        costs += result.cost.ledger
        return result
    }

    /// Runs one batch of inputs on each of several distinct arrays at the chip's time, as the arrays of one
    /// layer run side by side: concurrently over arrays on the engines' threads (`BLAS.threadCount`) when
    /// `concurrent` (give an `engine` that runs single-threaded then, so parallelism never nests; while
    /// another thread's loop holds the worker team, the arrays run one after another). Each array's reads
    /// are counted and its ledger added to `costs` in request order, as `mvm` does; the results come back
    /// in that order.
    public mutating func mvm(_ requests: [(array: ArrayID, inputs: Matrix<Int32>)], context: ReadContext,
                             engine: any MVMEngine, concurrent: Bool) throws -> [MVMResult] {
        let slotIndices = try requests.map { request -> Int in
            let slot = try index(checked: request.array)
            guard slots[slot] != nil else { throw ACIMError.inconsistentParameters("\(request.array) holds no weights") }
            return slot
        }
        guard Set(slotIndices).count == slotIndices.count else {
            throw ACIMError.inconsistentParameters("one batch of MVMs names an array twice")
        }
        var results = [Result<MVMResult, Error>?](repeating: nil, count: requests.count)
        let arrays = slotIndices.map { slots[$0]! }
        if concurrent && requests.count > 1 {
            results.withUnsafeMutableBufferPointer { results in
                let out = Unchecked(value: results.baseAddress!)
                Parallel.forEach(requests.count, threads: BLAS.threadCount) { k in
                    out.value[k] = Result { try engine.run(arrays[k], inputs: requests[k].inputs, context: context) }
                }
            }
        } else {
            for k in requests.indices {
                results[k] = Result { try engine.run(arrays[k], inputs: requests[k].inputs, context: context) }
            }
        }
        let done = try results.map { try $0!.get() }
        for (k, result) in done.enumerated() {
            slots[slotIndices[k]]!.recordReads(requests[k].inputs.rows)
            costs += result.cost.ledger
        }
        return done
    }

    /// Runs `body` on array `id` in place (no copy of its cells), for the device controller's checks and
    /// repairs and for fault injection, at the chip's time. A `body` that moves the array's time or
    /// temperature is undone and reported: only `advance` moves time.
    public mutating func withArray<T>(_ id: ArrayID, _ body: (inout Crossbar) throws -> T) throws -> T {
        let slot = try index(checked: id)
        guard var array = slots[slot].take() else {
            throw ACIMError.inconsistentParameters("\(id) holds no weights")
        }
        defer { slots[slot] = array }
        let result = try body(&array)
        guard array.time == time, array.temperature == temperature else {
            array.setTime(time, temperature: temperature)
            throw ACIMError.inconsistentParameters("\(id) was moved off the chip's clock; only Chip.advance moves time")
        }
        return result
    }

    // MARK: Slots

    private func index(_ id: ArrayID) -> Int { id.tile * tile.arrays + id.slot }

    private func index(checked id: ArrayID) throws -> Int {
        guard (0..<config.tiles).contains(id.tile), (0..<tile.arrays).contains(id.slot) else {
            throw ACIMError.invalidParameter(name: "array", value: "\(id)",
                                             expected: "a tile in 0..<\(config.tiles) and a slot in 0..<\(tile.arrays)")
        }
        return index(id)
    }
}
