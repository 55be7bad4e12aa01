import ACIMArray
import ACIMCore
import Dispatch

/// One chip of many crossbars: tiles on a mesh, each with `tile.arrays` array slots, one clock and one
/// operating temperature.
///
/// The chip owns simulated time. `advance(to:)` moves every array in use to the new time at once (each
/// rebuilds what its MVMs read, in parallel over arrays); an MVM or a read never moves time by itself. An
/// array slot holds no cells until weights are placed on it, so a chip costs memory only for what it runs.
public struct Chip: Sendable {
    /// The configuration every array of the chip is built from.
    public let crossbar: CrossbarConfig
    public let tile: TileConfig
    public let config: ChipConfig
    /// The chip clock, in hertz, every cycle count refers to.
    public let clock: Double
    /// The simulated time, in seconds, and the operating temperature, in kelvin, of every array in use.
    public private(set) var time: Double = 0
    public private(set) var temperature: Double
    /// What the chip's MVMs cost, by array and event type: each `mvm` adds its array's ledger.
    public private(set) var costs = CostLedger()
    /// Array slots in tile-major order; nil while a slot is unused.
    private var slots: [Crossbar?]

    /// A chip with every slot empty, at time 0 and `temperature` kelvin; throws the first configuration
    /// problem.
    public init(crossbar: CrossbarConfig, tile: TileConfig, chip: ChipConfig, clock: Double,
                temperature: Double) throws {
        _ = try crossbar.validated()
        _ = try tile.validated()
        _ = try chip.validated()
        guard clock > 0, clock.isFinite else {
            throw ACIMError.invalidParameter(name: "technology.clock", value: "\(clock)", expected: "a frequency > 0")
        }
        guard temperature > 0, temperature.isFinite else {
            throw ACIMError.invalidParameter(name: "technology.temperature", value: "\(temperature)",
                                             expected: "a temperature > 0 K")
        }
        self.crossbar = crossbar
        self.tile = tile
        self.config = chip
        self.clock = clock
        self.temperature = temperature
        slots = [Crossbar?](repeating: nil, count: chip.tiles * tile.arrays)
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
    public var bytesPerCell: Double {
        let layout = CrossbarLayout(config: crossbar)
        let cellsPerSite = layout.wordLinesPerRow * layout.columnsPerWeight
        // The cells, their sites, the materialized levels an MVM reads and the mapping's target levels.
        return CellArray.bytesPerCell(cellsPerSite: cellsPerSite) + Double(MemoryLayout<Float>.size + 1)
    }

    /// Bytes the arrays in use hold now.
    public var arrayBytes: Double {
        Double(slots.count { $0 != nil } * crossbar.array.rows * crossbar.array.cols) * bytesPerCell
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
            let cells = Double(crossbar.array.rows * crossbar.array.cols)
            try MemoryBudget.require(arrayBytes + cells * bytesPerCell,
                                    for: "\(slots.count { $0 != nil } + 1) arrays of \(crossbar.array.rows)x\(crossbar.array.cols) cells")
        }
        return try Crossbar(config: crossbar, id: id, temperature: temperature)
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
            let base = Unchecked(slots.baseAddress!)
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

/// A value shared with `concurrentPerform`'s workers, each of which touches its own part of it.
private struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
