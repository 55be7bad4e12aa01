import ACIMCore
import CKernels
import Dispatch
import Foundation

/// The batched engine: per pass, the input digits of every phase of a chunk of
/// vectors that runs are stacked as the rows of one matrix `D`, so one `sgemm` `D x G` computes every
/// column sum of the chunk; skipped phases and passes are left out of `D`, and a pass of the chunk where
/// none runs makes no GEMM. Read noise is added exactly in distribution at the column outputs:
/// `y = D G + sqrt((D o D) S^2) o z`, where one read variance for every cell makes `(D o D) S^2` the
/// variance times the sum of squared digits of each row. The ADC then converts each row of the product in
/// one vectorized pass, and the shift-and-add recombines it. Where the ADC of a vector's phases loses
/// nothing, those phases are one row of combined digits against the array's combined weight codes instead
/// (`LosslessReadout`), with the same results.
///
/// The GEMM reads the levels where the readout holds them; what the engine derives from an array's mapping
/// and readout (`PreparedReadout`: tables the size of a row or a column) is kept with the array and reused
/// by every call until its mapping, readout or ADC range change.
///
/// Chunks have a fixed size, so the GEMM shapes, and with them the results, do not depend on the thread
/// count. The (pass, chunk) items of a call run on `threads` threads; where they run sgemm, OpenBLAS itself
/// runs single-threaded meanwhile (`BLAS.singleThreaded`), so its idle workers do not compete for the cores
/// and a caller that runs arrays in parallel, with one thread per engine, nests no parallelism.
public struct FastEngine: MVMEngine {
    /// Input vectors per chunk.
    public static let chunkVectors = 32

    /// Threads the work items of one call run on; nil for as many as OpenBLAS is configured to use when
    /// the call starts (`BLAS.threadCount`).
    public let threads: Int?
    /// Whether the column sums run on the exact integer GEMM where an array's levels allow it
    /// (`IntegerGEMM`); false for sgemm everywhere. Both give the same results.
    public let integerGEMM: Bool
    /// Whether the phases of a vector whose read-out loses nothing are combined into one GEMM row
    /// (`LosslessReadout`, on the integer path only); false for one row per phase everywhere. Both give the
    /// same results.
    public let combinesLosslessPhases: Bool
    /// Where the shape of every GEMM the engine runs is recorded; nil for nowhere.
    public let gemmLog: GEMMLog?

    /// An engine on as many threads as OpenBLAS is configured to use.
    public init(integerGEMM: Bool = true, combinesLosslessPhases: Bool = true, gemmLog: GEMMLog? = nil) {
        threads = nil
        self.integerGEMM = integerGEMM
        self.combinesLosslessPhases = combinesLosslessPhases
        self.gemmLog = gemmLog
    }

    /// An engine on `threads` threads (at least one); with one, every item runs on the calling thread.
    public init(threads: Int, integerGEMM: Bool = true, combinesLosslessPhases: Bool = true, gemmLog: GEMMLog? = nil) {
        self.threads = max(1, threads)
        self.integerGEMM = integerGEMM
        self.combinesLosslessPhases = combinesLosslessPhases
        self.gemmLog = gemmLog
    }

    /// The rows a GEMM of `rows` rows (`columns` wide, `depth` deep) runs with, zero rows added, when a GEMM
    /// of the call has at most `maxRows`. OpenBLAS 0.3.21 (SkylakeX) runs GEMMs of up to 10^6 multiply-adds
    /// on a small-matrix kernel and larger ones on its packed kernel; each sums a product row the same way
    /// whatever the rows beside it, and the two agree with each other when `columns` is a multiple of 16
    /// and `depth` at most 256. Otherwise a GEMM that could be large is padded onto the packed kernel, so a
    /// row's sums never depend on which rows run with it. Small GEMMs run a multiple of 4 rows, which the
    /// small kernel multiplies faster.
    static func gemmRows(_ rows: Int, columns: Int, depth: Int, maxRows: Int) -> Int {
        let smallKernelLimit = 1_000_000
        func small(_ m: Int) -> Bool { m * columns * depth <= smallKernelLimit }
        guard small(rows) else { return rows }
        if (columns % 16 == 0 && depth <= 256) || small(maxRows) {
            let rounded = (rows + 3) / 4 * 4
            return small(rounded) ? rounded : rows
        }
        return smallKernelLimit / (columns * depth) + 1
    }

    public func run(_ crossbar: Crossbar, inputs: Matrix<Int32>, context: ReadContext) throws -> MVMResult {
        let (mapping, readout) = try crossbar.programmedState()
        let config = crossbar.config
        let schedule = try InputSchedule(inputs: inputs, mapping: mapping, config: config)
        let batch = Batch(crossbar: crossbar, mapping: mapping, readout: readout, context: context,
                          maxVectors: FastEngine.chunkVectors, integerGEMM: integerGEMM,
                          combinesLosslessPhases: combinesLosslessPhases, gemmLog: gemmLog)
        let vectors = inputs.rows
        let chunks = stride(from: 0, to: vectors, by: FastEngine.chunkVectors).map {
            $0..<min($0 + FastEngine.chunkVectors, vectors)
        }
        // Every (pass, chunk) is one work item, taken pass by pass: with as many chunks as threads, a thread
        // whose items keep pace with the others' runs every pass of its chunk. An item accumulates into a buffer
        // it makes and zeroes itself, on the thread that runs it; whichever of a chunk's items finishes last adds
        // the chunk's passes in order (the canonical order both engines follow), writing every output, and frees
        // their buffers.
        let passes = schedule.passes.count
        let outputCount = mapping.outputs
        var outputs = Matrix<Double>(rows: vectors, columns: outputCount,
                                     storage: [Double](unsafeUninitializedCapacity: vectors * outputCount) {
                                         $1 = vectors * outputCount
                                     })
        let correction = batch.prepared.correction
        let items = chunks.count * passes
        let chunksLeft = Countdowns(pieces: chunks.count, parts: passes)
        var activities = [(MVMActivity, MVMActivity)](repeating: (MVMActivity(), MVMActivity()), count: items)
        // Per (chunk, pass), the item's pass sums, `chunk vectors x outputs`.
        let passSums = UnsafeMutablePointer<UnsafePointer<Double>>.allocate(capacity: items)
        defer { passSums.deallocate() }
        let threads = self.threads ?? BLAS.threadCount
        func runItems() {
            outputs.storage.withUnsafeMutableBufferPointer { outputs in
            activities.withUnsafeMutableBufferPointer { activities in
                let (passSums, outputs) = (Unchecked(value: passSums), Unchecked(value: outputs.baseAddress!))
                let activityOut = Unchecked(value: activities.baseAddress!)
                let work = { (item: Int) in
                    let (passIndex, k) = item.quotientAndRemainder(dividingBy: chunks.count)
                    let pass = schedule.passes[passIndex]
                    var activity = MVMActivity()
                    var ungated = MVMActivity()
                    let plan = batch.plan(pass, vectors: chunks[k])
                    let columnSums = batch.columnSums(plan)
                    let sums = UnsafeMutablePointer<Double>.allocate(capacity: chunks[k].count * outputCount)
                    sums.initialize(repeating: 0, count: chunks[k].count * outputCount)
                    batch.convert(plan, sums: columnSums, sign: pass.sign, passIndex: passIndex,
                                  into: sums, activity: &activity, ungated: &ungated)
                    activityOut.value[item] = (activity, ungated)
                    passSums.value[k * passes + passIndex] = UnsafePointer(sums)
                    if chunksLeft.finish(partOf: k) {
                        let chunkSums = UnsafeBufferPointer(start: passSums.value + k * passes, count: passes)
                        correction.apply(vectors: chunks[k].count, passes: chunkSums,
                                         into: outputs.value + chunks[k].lowerBound * outputCount)
                        for sums in chunkSums { sums.deallocate() }
                    }
                }
                Parallel.forEach(items, threads: threads, work)
            }
            }
        }
        // Switching OpenBLAS to one thread and back costs about a microsecond of the calling thread alone
        // (measured on the bench case), so a call that runs no sgemm leaves it as it is.
        if batch.runsSgemm { BLAS.singleThreaded(runItems) } else { runItems() }

        var activity = MVMActivity()
        var ungated = MVMActivity()
        activity.vectors = vectors
        ungated.vectors = vectors
        for (chunkActivity, chunkUngated) in activities {
            activity += chunkActivity
            ungated += chunkUngated
        }
        let cost = MVMCost(activity: activity, ungated: ungated, table: config.scaledEnergy, array: crossbar.id)
        return MVMResult(outputs: outputs, cost: cost)
    }

    /// Every column sum of `inputs` as a fraction of its full-scale sum, for ADC range calibration.
    func fullScaleFractions(_ crossbar: Crossbar, inputs: Matrix<Int32>) throws -> [Float] {
        let (mapping, readout) = try crossbar.programmedState()
        let schedule = try InputSchedule(inputs: inputs, mapping: mapping, config: crossbar.config)
        let batch = Batch(crossbar: crossbar, mapping: mapping, readout: readout, context: ReadContext(seed: 0, firstVector: 0),
                          maxVectors: inputs.rows, integerGEMM: integerGEMM, combinesLosslessPhases: false, gemmLog: nil)
        let readable = batch.prepared.readable
        var fractions: [Float] = []
        for pass in schedule.passes {
            let plan = batch.plan(pass, vectors: 0..<inputs.rows)
            let sums = batch.columnSums(plan).levels
            for row in 0..<plan.stacked where plan.runs(row) {
                let sumRow = Int(plan.sumRows[row])
                let full = Float(max(1, batch.prepared.gate.rescalesRange ? Int(plan.connected[row]) : mapping.rows)
                                 * batch.layout.maxDigit * batch.layout.maxLevel)
                for c in 0..<batch.columns where readable[c] {
                    let sum = sums[sumRow * batch.columns + batch.position(c)]
                    fractions.append((batch.layout.signedSums ? abs(sum) : max(0, sum)) / full)
                }
            }
        }
        return fractions
    }
}

/// What the FastEngine derives from an array's mapping and readout, kept with the array for every call
/// until they change (`Crossbar.prepared`): tables the size of a row or a column, never a copy of the cells.
final class PreparedReadout: Sendable {
    let gate: SparsityGate
    let shiftAdd: ShiftAdd
    let adc: ADC
    let timing: CrossbarTiming
    let drive: PhaseDrive
    /// Per mapped column, whether an ADC reads it (not statically disabled, not gated, not the G- column of
    /// an analog pair).
    let readable: [Bool]
    let readableCount: Int
    /// Bit lines one conversion reads: 2 for analog pairs, else 1.
    let linesPerConversion: Int
    /// The mapped columns no ADC reads: they decode to 0.
    let unreadColumns: [Int]
    let enabledRows: Int
    /// Sum of target levels along each used word line.
    let levelSums: [UInt32]
    /// The largest of `levelSums`.
    let levelSumBound: UInt32
    /// `0xff` for array rows that are not statically disabled, else `0`.
    let enabledRowMask: [UInt8]
    /// The ADC scale of a row: by its connected cells (`0...mapped rows`) when the range follows them, else
    /// the one scale of every row.
    let scales: [ADC.Scale]
    /// What turns the pass sums into the outputs: compensation and the offset-input correction.
    let correction: OutputCorrection
    /// The right operands of the GEMMs as packed 8-bit integers, when the levels the GEMM reads are integers
    /// the integer path multiplies exactly (`IntegerGEMM.isExact`); nil for sgemm.
    let packed: PackedOperands?
    /// The combined weight codes and the lossless scales, where the array allows combining phases.
    let lossless: LosslessReadout?

    init(crossbar: Crossbar, mapping: WeightMapping, readout: ArrayReadout) {
        let config = crossbar.config
        gate = SparsityGate(config: config, mapping: mapping)
        shiftAdd = ShiftAdd(config: config)
        adc = ADC(config: config)
        timing = config.scaledTiming
        drive = PhaseDrive(config: config)
        let layout = crossbar.layout
        let readable = (0..<mapping.mappedColumns).map {
            mapping.converts(column: $0) && !layout.isPairedMinus($0, groups: mapping.outputs)
        }
        self.readable = readable
        readableCount = readable.count { $0 }
        linesPerConversion = layout.analogPairs ? 2 : 1
        enabledRows = mapping.enabledRows
        enabledRowMask = mapping.staticRowDisabled.map { $0 ? 0 : 0xff }
        levelSums = (0..<mapping.levels.rows).map { w in mapping.levels.row(w).reduce(0) { $0 + UInt32($1) } }
        levelSumBound = levelSums.max() ?? 0
        correction = OutputCorrection(mapping: mapping, inputOffset: InputSchedule.inputOffset(config: config),
                                      factors: readout.compensationFactors())
        let rescales = gate.rescalesRange
        let unreadColumns = readable.indices.filter { !readable[$0] }
        self.unreadColumns = unreadColumns
        let packed = PackedOperands(layout: crossbar.layout, gate: gate, mapping: mapping, readout: readout,
                                    unreadColumns: unreadColumns)
        self.packed = packed
        // Only the read-out in slot-major order, behind the integer GEMM, decodes in single precision: an array
        // on sgemm (conductance-valued levels, recalculated at every change of time) skips the check.
        // Where its levels are integers, none negative, and the digits unsigned, a column sum at a scale is in
        // 0...(the rows the scale counts) x (the largest digit) x (the largest level): a rescaled range
        // counts the connected rows, whose digits are the only non-zero ones; any other counts every word line.
        let largestLevel = layout.mode == .and && !layout.signedDigits && !layout.analogPairs ? packed?.largestLevel : nil
        scales = (0...(rescales ? mapping.rows : 0)).map { [adc] connected in
            ADC.Scale(adc, fullScale: crossbar.fullScale(connectedCells: connected, rescales: rescales,
                                                         mappedRows: mapping.rows),
                      checkingFloatDecode: packed != nil,
                      largestSum: largestLevel.map { (rescales ? connected : readout.levels.rows) * layout.maxDigit * $0 })
        }
        lossless = packed == nil ? nil : LosslessReadout(layout: layout, config: config, gate: gate, mapping: mapping,
                                                         readout: readout, scales: scales, adc: adc)
    }
}

/// The levels a GEMM reads (zero-level cells masked out when they are disabled) and, with disabled
/// zero-level cells, the 0/1 matrix of cells that are read, packed for the integer GEMM with their columns
/// in slot-major order (`ColumnOrder.slotMajor`): made once per programmed state, when every GEMM of the
/// array is exact on integers.
struct PackedOperands: Sendable {
    let levels: IntegerGEMM.PackedMatrix
    let weightCells: IntegerGEMM.PackedMatrix?
    /// The largest level, when no level is negative; nil otherwise.
    let largestLevel: Int?
    /// Where the mapped columns no ADC reads sit in a row of slot-major column sums.
    let unreadPositions: [Int]

    init?(layout: CrossbarLayout, gate: SparsityGate, mapping: WeightMapping, readout: ArrayReadout,
          unreadColumns: [Int]) {
        guard IntegerGEMM.status.isOn else { return nil }
        let stored = readout.levels
        let columns = stored.columns
        let position = (0..<columns).map {
            ColumnOrder.slotMajor.position(of: $0, groups: mapping.outputs, width: layout.columnsPerWeight)
        }
        var values = [Int8](repeating: 0, count: stored.storage.count)
        var cells = [Int8](repeating: 0, count: gate.disablesZeroCells ? stored.storage.count : 0)
        var largest: Float = 0
        var smallest: Float = 0
        for w in 0..<stored.rows {
            for c in 0..<columns {
                let level = stored[w, c]
                // Integers within 8 bits only: effective levels after noise or drift take sgemm.
                guard abs(level) <= 127, Float(Int8(level)) == level else { return nil }
                if gate.disablesZeroCells {
                    if mapping.levels[w, c] == 0 { continue }
                    cells[w * columns + position[c]] = 1
                }
                values[w * columns + position[c]] = Int8(level)
                largest = max(largest, abs(level))
                smallest = min(smallest, level)
            }
        }
        let digit = layout.mode == .xnor ? 1 : layout.maxDigit
        let depth = stored.rows
        // Signed digits enter the integer GEMM biased by 128 (`GEMMOperand.multiply`).
        guard IntegerGEMM.isExact(maxA: layout.signedDigits ? 255 : digit, maxB: Int(largest), depth: depth) else { return nil }
        if gate.disablesZeroCells {
            // The cells read, and (with read noise) the squared digits, are GEMMs with the 0/1 cells.
            guard IntegerGEMM.isExact(maxA: digit * digit, maxB: 1, depth: depth),
                  let cells = IntegerGEMM.PackedMatrix(rows: depth, columns: columns, values: cells)
            else { return nil }
            weightCells = cells
        } else {
            weightCells = nil
        }
        guard let levels = IntegerGEMM.PackedMatrix(rows: depth, columns: columns, values: values) else { return nil }
        self.levels = levels
        largestLevel = smallest < 0 ? nil : Int(largest)
        unreadPositions = unreadColumns.map { position[$0] }
    }
}

/// Where a crossbar keeps its `PreparedReadout`: made by the first call that needs it, under a lock, so
/// concurrent calls on copies of one array make it once. Copies of a crossbar share the slot until one of
/// them changes its mapping, readout or ADC range, which gives that copy a new, empty slot; a slot
/// therefore only ever holds what the current state of every array sharing it prepares.
final class PreparedReadoutSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var prepared: PreparedReadout?

    func value(_ prepare: () -> PreparedReadout) -> PreparedReadout {
        lock.lock()
        defer { lock.unlock() }
        if let prepared { return prepared }
        let made = prepare()
        prepared = made
        return made
    }
}

/// A cache, not state: any two slots are equal, so arrays compare by their state alone.
extension PreparedReadoutSlot: Equatable {
    static func == (_: PreparedReadoutSlot, _: PreparedReadoutSlot) -> Bool { true }
}

extension Crossbar {
    /// The FastEngine's tables for the array's current mapping and readout, made once and kept.
    func prepared(mapping: WeightMapping, readout: ArrayReadout) -> PreparedReadout {
        preparedReadout.value { PreparedReadout(crossbar: self, mapping: mapping, readout: readout) }
    }
}

/// The digits, connections and charge of every (vector, phase) of a chunk for one pass. Per-row tables
/// are indexed by the stacked row `(b - vectors.lowerBound) * phases + phase`; the GEMM operands hold the
/// rows that run only, in that order.
private struct PassPlan {
    let vectors: Range<Int>
    let stacked: Int
    /// The rows that run.
    var multiplied = 0
    /// `multiplied x wordLines` digits of connected rows (their magnitudes for sign-magnitude inputs).
    var digits: [UInt8]
    /// Sign-magnitude inputs: `multiplied x wordLines`, `1` where a digit is negative.
    var negative: [UInt8]?
    /// Pulse-width inputs: the pulse widths of each stacked row.
    var pulses: [PhaseDrive.Pulses]?
    /// `multiplied x wordLines`: `1` where a row connects a word line; only when zero-level cells are disabled.
    var connectionMask: [UInt8]?
    /// The per-row and per-vector tables below, in one allocation: a plan made for every item of every call
    /// would otherwise make seven arrays, each looking up its storage type's metadata.
    let tables: PassTables
    /// Per stacked row, its row in the GEMM operands and results; `PassPlan.notRun` for a row that does not
    /// run, `PassPlan.inCombinedRow` for one whose phase is in its vector's combined row.
    var sumRows: UnsafeMutableBufferPointer<Int32> { tables.sumRows }
    /// `combinedRows x wordLines` combined digits of the lossless phases of vectors (`LosslessReadout`).
    var combined: [UInt8] = []
    var combinedRows = 0
    /// Per vector of the chunk, its row of `combined`, or -1; empty while no vector has one.
    var combinedRow: [Int32] = []
    /// Connected rows per (vector, phase).
    var connected: UnsafeMutableBufferPointer<Int32> { tables.connected }
    /// The sum of the squared digits per (vector, phase): the read variance of every column in units of
    /// one cell's; only with read noise and every connected cell read.
    var squaredDigits: [Float]?
    /// Unit bit-line charge per vector of the chunk, summed over its phases.
    var charge: UnsafeMutableBufferPointer<Int> { tables.charge }
    /// Per vector of the chunk.
    var gated: UnsafeMutableBufferPointer<Bool> { tables.gated }
    var skipped: UnsafeMutableBufferPointer<Bool> { tables.skipped }
    var zeroRows: UnsafeMutableBufferPointer<Int> { tables.zeroRows }

    static let notRun: Int32 = -1
    static let inCombinedRow: Int32 = -2

    /// Whether a (vector, phase) runs.
    func runs(_ row: Int) -> Bool { sumRows[row] != PassPlan.notRun }
}

/// The tables of a `PassPlan` of `vectors` vectors and `stacked` rows in one allocation, initialized: every
/// row not run, nothing connected, no charge, no zero row, no vector gated or skipped; and `phases` counts of
/// non-zero digits for the digit extraction's scratch.
private final class PassTables {
    private let raw: UnsafeMutableRawPointer
    let charge: UnsafeMutableBufferPointer<Int>
    let zeroRows: UnsafeMutableBufferPointer<Int>
    let sumRows: UnsafeMutableBufferPointer<Int32>
    let connected: UnsafeMutableBufferPointer<Int32>
    let nonZeros: UnsafeMutableBufferPointer<Int32>
    let gated: UnsafeMutableBufferPointer<Bool>
    let skipped: UnsafeMutableBufferPointer<Bool>

    init(vectors: Int, stacked: Int, phases: Int) {
        let words = 2 * vectors * MemoryLayout<Int>.stride
        let counts = (2 * stacked + phases) * MemoryLayout<Int32>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, words + counts + 2 * vectors),
                                                   alignment: MemoryLayout<Int>.alignment)
        self.raw = raw
        func table<T>(_ offset: Int, _ count: Int, _ value: T) -> UnsafeMutableBufferPointer<T> {
            let table = UnsafeMutableBufferPointer(start: (raw + offset).bindMemory(to: T.self, capacity: count),
                                                   count: count)
            table.initialize(repeating: value)
            return table
        }
        charge = table(0, vectors, 0)
        zeroRows = table(vectors * MemoryLayout<Int>.stride, vectors, 0)
        sumRows = table(words, stacked, PassPlan.notRun)
        connected = table(words + stacked * MemoryLayout<Int32>.stride, stacked, 0)
        nonZeros = table(words + 2 * stacked * MemoryLayout<Int32>.stride, phases, 0)
        gated = table(words + counts, vectors, false)
        skipped = table(words + counts + vectors, vectors, false)
    }

    deinit { raw.deallocate() }
}

/// The GEMM results of one pass of a chunk: `multiplied x columns` in physical column order (then the
/// GEMM's zero padding rows, if any).
private struct ColumnSums {
    var levels: GEMMProduct
    /// The GEMM of the combined rows (`PassPlan.combined`), `combinedRows x lossless.weights.columns`; nil
    /// where there are none.
    var combined: GEMMProduct?
    /// Zero-level cells disabled: the sum of the squared digits over the cells each column reads (with read
    /// noise), and the number of those cells.
    var squaredDigits: GEMMProduct?
    var cells: GEMMProduct?
}

/// One batch on one programmed crossbar: the prepared tables and what every chunk and pass of the call reads.
private final class Batch {
    let crossbar: Crossbar
    let mapping: WeightMapping
    let prepared: PreparedReadout
    let layout: CrossbarLayout
    let context: ReadContext
    let digitBits: Int
    let phases: Int
    let rows: Int
    let wordLines: Int
    let columns: Int
    /// The levels the GEMM reads, in physical column order: packed integers, the readout's own, or, with
    /// zero-level cells disabled, a copy of this call with those cells masked out.
    let levels: GEMMOperand
    /// Zero-level cells disabled: `1` for every cell whose target level is not zero, else `0`. For sgemm
    /// made per call, like the masked levels: kept, they would add eight bytes to every cell of the chip.
    let weightCells: GEMMOperand?
    /// The order of the column sums the GEMMs give: slot-major for packed operands, else physical.
    let order: ColumnOrder
    /// Per position in a row of column sums, `1` where an ADC reads the column and `0` where none does;
    /// nil when every mapped column is read.
    let readMask: [Float]?
    /// Per-read variance of one cell, in squared level units.
    let readVariance: Float
    /// The most rows a GEMM of the call can have: the vectors of a chunk times the phases.
    let maxRows: Int
    /// Where this call combines the phases of lossless rows.
    let lossless: LosslessReadout?
    let gemmLog: GEMMLog?

    init(crossbar: Crossbar, mapping: WeightMapping, readout: ArrayReadout, context: ReadContext, maxVectors: Int,
         integerGEMM: Bool, combinesLosslessPhases: Bool, gemmLog: GEMMLog?) {
        self.crossbar = crossbar
        self.mapping = mapping
        let prepared = crossbar.prepared(mapping: mapping, readout: readout)
        self.prepared = prepared
        layout = crossbar.layout
        self.context = context
        digitBits = layout.digitBits
        phases = layout.phasesPerPass
        rows = mapping.rows
        wordLines = readout.levels.rows
        columns = mapping.mappedColumns
        readVariance = readout.readVariance
        maxRows = maxVectors * phases
        self.gemmLog = gemmLog
        let packed = integerGEMM ? prepared.packed : nil
        lossless = integerGEMM && combinesLosslessPhases ? prepared.lossless : nil
        order = packed != nil ? .slotMajor : .physical
        let unread = packed?.unreadPositions ?? prepared.unreadColumns
        var readMask = [Float](repeating: 1, count: unread.isEmpty ? 0 : columns)
        for position in unread { readMask[position] = 0 }
        self.readMask = unread.isEmpty ? nil : readMask
        if let packed {
            levels = .packed(packed.levels)
            weightCells = packed.weightCells.map { .packed($0) }
        } else if prepared.gate.disablesZeroCells {
            // Disabled zero-level cells add neither charge nor noise, whatever their programmed conductance.
            let weightCells = mapping.levels.map { Float($0 == 0 ? 0 : 1) }
            self.weightCells = .float(weightCells)
            levels = .float(Matrix(rows: wordLines, columns: columns,
                                   storage: zip(readout.levels.storage, weightCells.storage).map { $1 == 0 ? 0 : $0 }))
        } else {
            weightCells = nil
            levels = .float(readout.levels)
        }
    }

    /// Whether the call's GEMMs run on sgemm. (A GEMM on packed operands falls back to sgemm only where oneDNN
    /// fails, and then switches OpenBLAS to one thread itself.)
    var runsSgemm: Bool {
        if case .float = levels { return true }
        if case .float? = weightCells { return true }
        return false
    }

    /// Where mapped column `column` sits in a row of column sums.
    func position(_ column: Int) -> Int {
        order.position(of: column, groups: mapping.outputs, width: layout.columnsPerWeight)
    }

    /// Digits, connections and charge of every (vector, phase) of one pass for the vectors `vectors`.
    func plan(_ pass: InputSchedule.Pass, vectors: Range<Int>) -> PassPlan {
        let stacked = vectors.count * phases
        let gate = prepared.gate
        let enabledRows = prepared.enabledRows
        // A pass of zeros that the gate skips (the negative pass of non-negative inputs) skips every vector:
        // nothing is read from it.
        let skipsAll = pass.isZero && gate.applies(zeroRows: enabledRows, enabledRows: enabledRows)
        let cells = skipsAll ? 0 : stacked * wordLines
        var plan = PassPlan(
            vectors: vectors, stacked: stacked,
            // Every row that runs is written below, by the digit extraction or zeroed first; the rest is cut.
            digits: [UInt8](unsafeUninitializedCapacity: cells) { $1 = cells },
            negative: layout.signedDigits ? [UInt8](repeating: 0, count: cells) : nil,
            pulses: layout.pulseWidth ? [PhaseDrive.Pulses](repeating: .none, count: stacked) : nil,
            connectionMask: weightCells != nil ? [UInt8](repeating: 0, count: cells) : nil,
            tables: PassTables(vectors: vectors.count, stacked: stacked, phases: phases),
            squaredDigits: readVariance > 0 && weightCells == nil ? [Float](repeating: 0, count: stacked) : nil)
        // The tables, written through while the plan's arrays are.
        let tables = plan.tables
        if skipsAll {
            plan.zeroRows.update(repeating: enabledRows)
            plan.gated.update(repeating: true)
            plan.skipped.update(repeating: true)
            return plan
        }
        let xnor = layout.mode == .xnor
        let maxDigit = Int32(layout.maxDigit)
        // AND mode: a zero input has zero digits, so gating changes only which rows count as connected and
        // which phases are skipped; every phase's digits are extracted in one branch-free pass over the vector,
        // with the charge, and a phase that does not run has its row taken by the next that does.
        let andMode = !xnor && plan.connectionMask == nil
        let nonZeros = plan.tables.nonZeros
        var negativeDigits = plan.negative ?? []
        // The pass values of one vector at a time, made as it is read where the digits are not taken from the
        // inputs directly (rows in another order, XNOR mode, zero-level cells disabled).
        let vector = UnsafeMutablePointer<Int32>.allocate(capacity: rows)
        defer { vector.deallocate() }
        let direct = andMode && pass.rowOrder == nil
        pass.inputs.storage.withUnsafeBufferPointer { inputs in
        prepared.enabledRowMask.withUnsafeBufferPointer { enabled in
        prepared.levelSums.withUnsafeBufferPointer { levelSums in
        plan.digits.withUnsafeMutableBufferPointer { digits in
        negativeDigits.withUnsafeMutableBufferPointer { negative in
        // Per ADC scale, whether it is lossless; empty where phases are not combined.
        (lossless?.lossless ?? []).withUnsafeBufferPointer { losslessScales in
            for (v, b) in vectors.enumerated() {
                // A vector of zeros (the negative pass of non-negative inputs) has every enabled row zero: where
                // the gate skips such a pass, nothing else is read from it. (Digits taken from the inputs
                // directly find it from their zero count, below.)
                if !direct && !pass.vector(b, into: vector)
                    && gate.applies(zeroRows: enabledRows, enabledRows: enabledRows) {
                    (tables.zeroRows[v], tables.gated[v], tables.skipped[v]) = (enabledRows, true, true)
                    continue
                }
                // AND mode: the digits come out with the zero count and the non-zero digits of every phase, in
                // one pass (the digits of a pass that turns out skipped are overwritten by the next vector's).
                var zeroCount: Int64 = 0
                let start = plan.multiplied * wordLines
                var charge: Int64 = 0
                if andMode {
                    // (An empty buffer may still have an address: only signed digits have sign rows.)
                    let negativeStart = layout.signedDigits ? negative.baseAddress! + start : nil
                    // The pass values are the inputs' (sign, clamp, bias), or those made above.
                    let (values, sign, clamps, bias) = direct
                        ? (UnsafePointer(inputs.baseAddress! + b * pass.inputs.columns), pass.factor, pass.clamps, pass.bias)
                        : (UnsafePointer(vector), 1, false, 0)
                    charge = acim_digit_planes(values, sign, clamps ? 1 : 0, bias, enabled.baseAddress!, Int64(rows),
                                               Int32(phases), Int32(digitBits), maxDigit, levelSums.baseAddress!,
                                               prepared.levelSumBound, digits.baseAddress! + start, negativeStart,
                                               Int64(wordLines), nonZeros.baseAddress!, &zeroCount)
                } else {
                    zeroCount = acim_count_zeros(vector, enabled.baseAddress!, Int64(rows))
                }
                let zeros = Int(zeroCount)
                let gated = gate.applies(zeroRows: zeros, enabledRows: enabledRows)
                tables.zeroRows[v] = zeros
                tables.gated[v] = gated
                tables.skipped[v] = gated && zeros == enabledRows
                if tables.skipped[v] { continue }
                if andMode {
                    tables.charge[v] = Int(charge)
                    // Non-zero digits are counted, and matter, only in a gated pass.
                    func connected(_ phase: Int) -> Int32 {
                        !gated ? Int32(enabledRows) : gate.granularity == .row ? Int32(enabledRows - zeros) : nonZeros[phase]
                    }
                    // The phases up to the last of the lossless ones that run before any lossy one are combined
                    // into one row (phases that do not run have no digits to add).
                    var combinedPhases = 0
                    if !losslessScales.isEmpty {
                        for phase in 0..<phases where !gated || nonZeros[phase] != 0 {
                            guard losslessScales[gate.rescalesRange ? Int(connected(phase)) : 0] else { break }
                            combinedPhases = phase + 1
                        }
                        if combinedPhases > 0 {
                            if plan.combinedRow.isEmpty {
                                plan.combinedRow = [Int32](repeating: -1, count: vectors.count)
                                plan.combined = [UInt8](repeating: 0, count: vectors.count * wordLines)
                            }
                            plan.combined.withUnsafeMutableBufferPointer {
                                acim_combine_planes(digits.baseAddress! + start, Int64(wordLines), Int32(combinedPhases),
                                                    Int32(digitBits), Int64(wordLines),
                                                    $0.baseAddress! + plan.combinedRows * wordLines)
                            }
                            plan.combinedRow[v] = Int32(plan.combinedRows)
                            plan.combinedRows += 1
                        }
                    }
                    for phase in 0..<phases {
                        if gated && nonZeros[phase] == 0 { continue }
                        let row = v * phases + phase
                        tables.connected[row] = connected(phase)
                        if phase < combinedPhases {
                            let digitRow = digits.baseAddress! + start + phase * wordLines
                            tables.sumRows[row] = PassPlan.inCombinedRow
                            plan.pulses?[row] = pulseWidths(digitRow, count: wordLines)
                            continue
                        }
                        let sumRow = plan.multiplied
                        let digitRow = digits.baseAddress! + sumRow * wordLines
                        let (from, to) = (start + phase * wordLines, sumRow * wordLines)
                        if to != from {
                            digitRow.update(from: digits.baseAddress! + from, count: wordLines)
                            if let signs = negative.baseAddress, layout.signedDigits {
                                (signs + to).update(from: signs + from, count: wordLines)
                            }
                        }
                        tables.sumRows[row] = Int32(sumRow)
                        plan.multiplied += 1
                        plan.squaredDigits?[row] = sumOfSquares(digitRow, count: wordLines)
                        plan.pulses?[row] = pulseWidths(digitRow, count: wordLines)
                    }
                    continue
                }
                // XNOR mode, or zero-level cells disabled: row by row.
                for phase in 0..<phases {
                    let row = v * phases + phase
                    // The next GEMM row: a phase that does not run leaves it to the next.
                    let sumRow = plan.multiplied
                    let digitRow = digits.baseAddress! + sumRow * wordLines
                    // (An empty buffer may still have an address: only signed digits have a sign row.)
                    let negativeRow = layout.signedDigits ? negative.baseAddress! + sumRow * wordLines : nil
                    let shift = Int32(phase * digitBits)
                    digitRow.update(repeating: 0, count: wordLines)
                    negativeRow?.update(repeating: 0, count: wordLines)
                    var connected: Int32 = 0
                    var anyDigit = false
                    var lines: [Int] = []
                    for i in 0..<rows where enabled[i] != 0 {
                        let value = vector[i]
                        let digit = xnor ? (value != 0 ? 1 : 0) : (abs(value) &>> shift) & maxDigit
                        guard gate.connects(value: value, digit: digit, gated: gated) else { continue }
                        connected += 1
                        let line = xnor ? (value < 0 ? 2 * i + 1 : 2 * i) : i
                        lines.append(line)
                        guard digit != 0 else { continue }
                        anyDigit = true
                        digitRow[line] = UInt8(digit)
                        if value < 0 && !xnor { negativeRow?[line] = 1 }
                        tables.charge[v] += Int(digit) * Int(levelSums[line])
                    }
                    if gated && !anyDigit { continue }
                    for line in lines { plan.connectionMask?[sumRow * wordLines + line] = 1 }
                    tables.sumRows[row] = Int32(sumRow)
                    plan.multiplied += 1
                    tables.connected[row] = connected
                    plan.squaredDigits?[row] = sumOfSquares(digitRow, count: wordLines)
                    plan.pulses?[row] = pulseWidths(digitRow, count: wordLines)
                }
            }
        }
        }
        }
        }
        }
        }
        if plan.negative != nil { plan.negative = negativeDigits }
        let unused = (stacked - plan.multiplied) * wordLines
        plan.digits.removeLast(unused)
        plan.negative?.removeLast(unused)
        plan.connectionMask?.removeLast(unused)
        return plan
    }

    /// The GEMMs of the rows of one pass that run: column sums and, with zero-level cells disabled, the
    /// squared digits and the cells each column reads.
    func columnSums(_ plan: PassPlan) -> ColumnSums {
        let rows = plan.multiplied
        var sums = ColumnSums(levels: levels.multiply(plan.digits, negative: plan.negative, rows: rows, maxRows: maxRows,
                                                      log: gemmLog))
        if let lossless, plan.combinedRows > 0 {
            sums.combined = GEMMOperand.packed(lossless.weights).multiply(plan.combined, rows: plan.combinedRows,
                                                                          maxRows: maxRows, log: gemmLog)
        }
        if layout.analogPairs { subtractPairs(sums.levels, rows: rows) }
        if let weightCells, let mask = plan.connectionMask {
            if readVariance > 0 {
                sums.squaredDigits = weightCells.multiply(plan.digits, squared: true, rows: rows, maxRows: maxRows,
                                                          log: gemmLog)
            }
            sums.cells = weightCells.multiply(mask, rows: rows, maxRows: maxRows, log: gemmLog)
        }
        return sums
    }

    /// Analog differential read-out: each G+ column's sum less its G- column's, in the G+ column's place,
    /// for every product row (exact on the integer sums of noise-free levels).
    func subtractPairs(_ sums: GEMMProduct, rows: Int) {
        let pairs = mapping.outputs * layout.columnsPerWeight / 2
        let plus = (0..<pairs).map { position(2 * $0) }
        let minus = (0..<pairs).map { position(2 * $0 + 1) }
        for r in 0..<rows {
            let base = r * columns
            for k in 0..<pairs { sums[base + plus[k]] -= sums[base + minus[k]] }
        }
    }

    /// ADC conversion and shift-and-add of one pass of a chunk into `accumulated` (the chunk's vectors x
    /// outputs, weight-group order), counting the activity, gated and ungated.
    func convert(_ plan: PassPlan, sums: ColumnSums, sign: Double, passIndex: Int,
                 into accumulated: UnsafeMutablePointer<Double>,
                 activity: inout MVMActivity, ungated: inout MVMActivity) {
        let (gate, adc, timing, shiftAdd) = (prepared.gate, prepared.adc, prepared.timing, prepared.shiftAdd)
        let (drive, readableCount) = (prepared.drive, prepared.readableCount)
        let lossless = self.lossless
        let xnor = layout.mode == .xnor
        let outputs = mapping.outputs
        let decoded = UnsafeMutablePointer<Double>.allocate(capacity: columns)
        let compensated = UnsafeMutablePointer<Bool>.allocate(capacity: columns)
        // The rows of a vector read out with one scale each, converted and added together in phase order
        // before anything else adds to the vector's outputs.
        let pending = UnsafeMutablePointer<ShiftAdd.ReadoutRow>.allocate(capacity: phases)
        var pendingCount = 0
        // With read noise, every column converting at one full scale: each phase's sums with their noise.
        let noisy = UnsafeMutablePointer<Float>.allocate(capacity: readVariance > 0 ? phases * columns : 0)
        // Without pulse widths, every vector's ungated pass is the same but for its charge.
        let ungatedPass = plan.pulses == nil
            ? MVMActivity.ungatedPass(mapping: mapping, layout: layout, drive: drive, timing: timing, charge: 0, pulses: .none)
            : nil
        // Without pulse widths, every phase that reads every readable column takes the same cycles (worked out
        // once: a division per phase would cost more than the rest of its bookkeeping).
        let readingPhaseCycles = plan.pulses == nil
            ? drive.cycles(timing, activeColumns: readableCount, adcCount: layout.adcCount, pulses: .none)
            : nil
        defer {
            decoded.deallocate()
            compensated.deallocate()
            pending.deallocate()
            noisy.deallocate()
        }
        let levelSums = UnsafePointer(sums.levels.base)
        (readMask ?? []).withUnsafeBufferPointer { readMask in
        prepared.readable.withUnsafeBufferPointer { readable in
            func readPending(into output: UnsafeMutablePointer<Double>, zeroRows: Int) {
                guard pendingCount > 0 else { return }
                shiftAdd.readout(UnsafeBufferPointer(start: pending, count: pendingCount),
                                 read: readMask.isEmpty ? nil : readMask.baseAddress, adc: adc, order: order,
                                 groups: outputs, offsetColumn: mapping.offsetColumn, driverRows: rows,
                                 zeroRows: zeroRows, into: output)
                pendingCount = 0
            }
            for (v, b) in plan.vectors.enumerated() {
                activity.passes += 1
                if gate.enabled { activity.zeroTests += rows }
                if mapping.resequenced { activity.permutedInputs += rows }
                let zeroRows = plan.zeroRows[v]
                if plan.gated[v] {
                    activity.passesGated += 1
                    activity.rowsDisabled += zeroRows
                }
                let passCharge = plan.charge[v]
                var passPulses = PhaseDrive.Pulses.none
                if plan.skipped[v] {
                    activity.passesSkipped += 1
                    activity.cycles += timing.detectCycles
                } else {
                    // Columns compensated in some phase: all of them, or those the per-column path marks.
                    var compensatesAll = false
                    var marked = false
                    // The combined lossless phases first: the prefix of the pass's phases, from zero.
                    if !plan.combinedRow.isEmpty, plan.combinedRow[v] >= 0, let lossless, let combined = sums.combined {
                        lossless.accumulate(combined.base + Int(plan.combinedRow[v]) * lossless.weights.columns,
                                            sign: sign, into: accumulated + v * outputs)
                    }
                    for phase in 0..<phases {
                        let row = v * phases + phase
                        guard plan.runs(row) else {
                            activity.phasesSkipped += 1
                            continue
                        }
                        activity.phasesRun += 1
                        let connected = Int(plan.connected[row])
                        let pulses = plan.pulses?[row] ?? .none
                        passPulses = pulses
                        activity.wordlineDrives += drive.drives(connected: connected, pulses: pulses)
                        let activeColumns: Int
                        let weight = sign * shiftAdd.phaseWeight(phase)
                        var queued = false
                        if connected == 0 {
                            // Nothing connected: no column is read and every decoded sum is 0.
                            decoded.update(repeating: 0, count: columns)
                            activeColumns = 0
                        } else if sums.cells == nil && (readVariance == 0 || !xnor) {
                            // A combined phase was added with its vector's combined row; any other is queued.
                            if plan.sumRows[row] != PassPlan.inCombinedRow {
                                let scale = prepared.scales[prepared.gate.rescalesRange ? connected : 0]
                                var rowSums = levelSums + Int(plan.sumRows[row]) * columns
                                if readVariance > 0 {
                                    let withNoise = noisy + phase * columns
                                    withNoise.update(from: rowSums, count: columns)
                                    addReadNoise(to: withNoise, row: row, vector: b, phase: phase, passIndex: passIndex,
                                                 plan: plan)
                                    rowSums = UnsafePointer(withNoise)
                                }
                                // Sums with read noise may leave the scale's bound.
                                pending[pendingCount] = ShiftAdd.ReadoutRow(sums: rowSums, scale: scale, weight: weight,
                                                                            unclipped: readVariance == 0)
                                pendingCount += 1
                            }
                            queued = true
                            activeColumns = readableCount
                            activity.cellReads += drive.cellReads(cells: connected, pulses: pulses) * readableCount
                                * prepared.linesPerConversion
                            if (gate.rescalesRange && connected != rows) || (xnor && zeroRows > 0) {
                                compensatesAll = true
                            }
                        } else {
                            if !marked {
                                compensated.update(repeating: false, count: columns)
                                marked = true
                            }
                            activeColumns = convertColumns(row: row, vector: b, phase: phase, passIndex: passIndex,
                                                           connected: connected, zeroRows: zeroRows, pulses: pulses,
                                                           plan: plan, sums: sums,
                                                           decoded: decoded, compensated: compensated,
                                                           activity: &activity)
                        }
                        activity.adcConversions += activeColumns
                        if let readingPhaseCycles, activeColumns == readableCount {
                            activity.cycles += readingPhaseCycles
                        } else {
                            activity.cycles += drive.cycles(timing, activeColumns: activeColumns, adcCount: layout.adcCount,
                                                            pulses: pulses)
                        }
                        if !queued {
                            readPending(into: accumulated + v * outputs, zeroRows: zeroRows)
                            shiftAdd.accumulate(decoded, order: order, weight: weight, groups: outputs,
                                                offsetColumn: mapping.offsetColumn, driverRows: rows, zeroRows: zeroRows,
                                                into: accumulated + v * outputs)
                        }
                    }
                    readPending(into: accumulated + v * outputs, zeroRows: zeroRows)
                    activity.cycles += timing.shiftAddCycles
                    if compensatesAll {
                        activity.compensatedColumns += readableCount
                    } else if marked {
                        for c in 0..<columns where compensated[c] && readable[c] { activity.compensatedColumns += 1 }
                    }
                }
                activity.bitlineCharge += passCharge
                if let ungatedPass {
                    ungated += ungatedPass
                    ungated.bitlineCharge += passCharge
                } else {
                    ungated += MVMActivity.ungatedPass(mapping: mapping, layout: layout, drive: drive, timing: timing,
                                                       charge: passCharge, pulses: passPulses)
                }
            }
        }
        }
    }

    /// Adds the read noise of one (vector, phase) row to its column sums `sums` (in the order of the GEMM's
    /// results), every connected cell read: the variance of every column is the read variance of one cell
    /// times the row's squared digits, on each bit line a conversion reads.
    private func addReadNoise(to sums: UnsafeMutablePointer<Float>, row: Int, vector: Int, phase: Int, passIndex: Int,
                              plan: PassPlan) {
        let variance = readVariance * (Float(prepared.linesPerConversion) * (plan.squaredDigits?[row] ?? 0))
        guard variance > 0 else { return }
        let deviation = variance.squareRoot()
        let noise = context.readNoise(array: crossbar.id, vector: vector)
        for c in 0..<columns where prepared.readable[c] {
            let z = noise.gaussian(at: crossbar.noiseIndex(pass: passIndex, phase: phase, column: c, columns: columns))
            sums[position(c)] += deviation * Float(z)
        }
    }

    /// Conversion of one (vector, phase) row column by column, for disabled zero-level cells and XNOR
    /// read noise; returns the number of columns read.
    private func convertColumns(row: Int, vector: Int, phase: Int, passIndex: Int, connected: Int, zeroRows: Int,
                                pulses: PhaseDrive.Pulses, plan: PassPlan, sums: ColumnSums, decoded: UnsafeMutablePointer<Double>,
                                compensated: UnsafeMutablePointer<Bool>,
                                activity: inout MVMActivity) -> Int {
        let (gate, adc, readable) = (prepared.gate, prepared.adc, prepared.readable)
        let baseScale = crossbar.fullScale(connectedCells: connected, rescales: gate.rescalesRange, mappedRows: rows)
        let compensatesAll = layout.mode == .xnor && zeroRows > 0
        var active = 0
        let noise = context.readNoise(array: crossbar.id, vector: vector)
        for c in 0..<columns {
            let position = position(c)
            decoded[position] = 0
            if !readable[c] { continue }
            let index = Int(plan.sumRows[row]) * columns + position
            let cells = sums.cells.map { Int($0[index]) } ?? connected
            if cells == 0 { continue }
            var sum = sums.levels[index]
            // Analog pairs: the noise of both bit lines (every connected cell read: no disabled cells).
            let lines = Float(prepared.linesPerConversion)
            let variance = readVariance * (sums.squaredDigits?[index] ?? lines * (plan.squaredDigits?[row] ?? 0))
            if variance > 0 {
                let z = noise.gaussian(at: crossbar.noiseIndex(pass: passIndex, phase: phase,
                                                                 column: c, columns: columns))
                sum += variance.squareRoot() * Float(z)
            }
            let fullScale = cells == connected ? baseScale
                : crossbar.fullScale(connectedCells: cells, rescales: gate.rescalesRange, mappedRows: rows)
            decoded[position] = adc.convert(sum, fullScale: fullScale)
            active += 1
            activity.cellReads += prepared.drive.cellReads(cells: cells, pulses: pulses) * prepared.linesPerConversion
            if compensatesAll || (gate.rescalesRange && cells != rows) { compensated[c] = true }
        }
        return active
    }
}

/// The pulse widths of a row of digits: their sum and the longest.
private func pulseWidths(_ digits: UnsafePointer<UInt8>, count: Int) -> PhaseDrive.Pulses {
    var pulses = PhaseDrive.Pulses.none
    for i in 0..<count {
        pulses.steps += Int(digits[i])
        pulses.longest = max(pulses.longest, Int(digits[i]))
    }
    return pulses
}

/// `sum(digits[i]^2)`, summed exactly and rounded once.
private func sumOfSquares(_ digits: UnsafePointer<UInt8>, count: Int) -> Float {
    var total = 0
    for i in 0..<count { total &+= Int(digits[i]) &* Int(digits[i]) }
    return Float(total)
}
