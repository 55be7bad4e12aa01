import ACIMArray
import ACIMCore

/// One input vector's MVM on one array as the events the hardware goes through: per pass, per phase, the
/// word lines driven, the bit lines settled, then one conversion per read column queued on the array's
/// `adcCount` shared ADCs; after each pass's last phase, the shift-and-add.
///
/// Phases are strictly sequential within an array: the bit lines themselves hold a phase's sums until the
/// ADC that serves them has converted them (the periphery has no sample-and-hold), so the next phase's
/// drive waits for the last conversion of the phase before it, and the array is not free for another
/// vector until the shift-and-add. The MVM's cycles are therefore the sum of its events, which is what the
/// MVM cost model counts (`CrossbarTiming.phaseCycles` per phase plus `shiftAddCycles` per pass).
///
/// Identical consecutive phases are kept as one run with a count; `addAggregated` adds the whole MVM as
/// one task on its arrays and `addEvents` adds every event. Since an MVM holds its array from its first
/// drive to its shift-and-add and nothing else uses the array's ADCs, both give every other task the same
/// start (the tests check it on random pipelines, event-driven and cycle-stepped).
public struct MVMPhases: Sendable, Equatable {
    /// Consecutive phases that read the same number of columns.
    public struct Run: Sendable, Equatable {
        public var phases: Int
        public var columns: Int

        public init(phases: Int, columns: Int) {
            self.phases = phases
            self.columns = columns
        }
    }

    public var timing: CrossbarTiming
    public var adcCount: Int
    /// Per pass, its runs of phases.
    public var passes: [[Run]]

    public init(timing: CrossbarTiming, adcCount: Int, passes: [[Run]]) {
        self.timing = timing
        self.adcCount = max(1, adcCount)
        self.passes = passes
    }

    /// Every phase of every pass reading all `columns` mapped columns (one conversion per analog pair): an
    /// MVM with no gating. A phase's drive and settle are those of all the bit planes it accumulates and its
    /// pulse-width integration (`drive.folded`).
    public init(layout: CrossbarLayout, drive: PhaseDrive, timing: CrossbarTiming, columns: Int) {
        self.init(timing: drive.folded(timing), adcCount: layout.adcCount,
                  passes: Array(repeating: [Run(phases: layout.phasesPerPass, columns: layout.conversions(columns: columns))],
                                count: layout.passes))
    }

    /// The phases of an array's MVM with the array's timing and mapped columns (none when it is not mapped).
    public init(_ crossbar: Crossbar) {
        self.init(layout: crossbar.layout, drive: PhaseDrive(config: crossbar.config), timing: crossbar.config.scaledTiming,
                  columns: crossbar.mapping?.mappedColumns ?? 0)
    }

    /// Cycles of the conversions of one phase reading `columns` columns: rounds of up to `adcCount`.
    public func conversionCycles(columns: Int) -> Int { ceilDiv(columns, adcCount) * timing.adcCycles }

    /// Cycles of the whole MVM: the sum of its events.
    public var cycles: Int {
        passes.reduce(0) { total, runs in
            total + timing.shiftAddCycles + runs.reduce(0) {
                $0 + $1.phases * timing.phaseCycles(activeColumns: $1.columns, adcCount: adcCount)
            }
        }
    }

    /// Events of the MVM (drives, settles, conversions and shift-adds; those of 0 cycles are not events).
    public var events: Int {
        let perPhase = { (columns: Int) in (timing.driveCycles > 0 ? 1 : 0) + (timing.settleCycles > 0 ? 1 : 0) + columns }
        return passes.reduce(0) { total, runs in
            total + (timing.shiftAddCycles > 0 ? 1 : 0) + runs.reduce(0) { $0 + $1.phases * perPhase($1.columns) }
        }
    }

    /// Adds the MVM as one task holding `arrays` for `cycles`, after `predecessors`; returns it.
    @discardableResult
    public func addAggregated(to tasks: inout ChipTasks, arrays: [ArrayID], after predecessors: [Int]) -> Int {
        tasks.add(cycles: cycles, holding: arrays.map { .array($0) }, after: predecessors)
    }

    /// Adds every event of the MVM on `array`, in order, after `predecessors`: drive and settle hold the
    /// array, each column's conversion holds one of the array's ADCs, the next phase's drive and the
    /// shift-and-add wait for all the phase's conversions, and the shift-and-add holds the array. Returns
    /// the MVM's last events (the shift-and-add, or the last conversions when it takes no cycles).
    @discardableResult
    public func addEvents(to tasks: inout ChipTasks, array: ArrayID, after predecessors: [Int]) -> [Int] {
        let held = tasks.index(.array(array))
        let adcs = tasks.index(.adcs(array), units: adcCount)
        var last = predecessors
        func step(_ cycles: Int, _ resource: Int) {
            guard cycles > 0 else { return }
            last = [tasks.add(cycles: cycles, holdingIndices: [resource], after: last)]
        }
        for runs in passes {
            for run in runs {
                for _ in 0..<run.phases {
                    step(timing.driveCycles, held)
                    step(timing.settleCycles, held)
                    guard run.columns > 0 else { continue }
                    let settled = last
                    last = (0..<run.columns).map { _ in tasks.add(cycles: timing.adcCycles, holdingIndices: [adcs], after: settled) }
                }
            }
            step(timing.shiftAddCycles, held)
        }
        return last
    }
}
