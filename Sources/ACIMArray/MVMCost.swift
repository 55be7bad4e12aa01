import ACIMCore

/// What the array did during one or more MVMs, counted event by event. Energy and cycles follow from it.
public struct MVMActivity: Sendable, Equatable {
    public var vectors = 0
    /// Passes run or skipped (two per vector for two-pass signed inputs).
    public var passes = 0
    /// Passes where input sparsity exceeded the threshold and zero rows were disabled.
    public var passesGated = 0
    /// Passes skipped entirely because every enabled row had a zero input.
    public var passesSkipped = 0
    /// Rows disabled because of a zero input, summed over gated passes.
    public var rowsDisabled = 0
    public var phasesRun = 0
    /// Phases skipped by gating because no connected row had a non-zero digit.
    public var phasesSkipped = 0
    /// Word lines driven (one DAC output each), summed over phases.
    public var wordlineDrives = 0
    /// Enabled cells on read columns, summed over phases.
    public var cellReads = 0
    /// Unit charges (input digit x target level) on read columns, summed over phases.
    public var bitlineCharge = 0
    /// ADC conversions; each code is shift-added once.
    public var adcConversions = 0
    /// Input elements tested for zero.
    public var zeroTests = 0
    /// Input elements resequenced.
    public var permutedInputs = 0
    /// Column outputs corrected for disabled cells.
    public var compensatedColumns = 0
    public var cycles = 0

    public init() {}

    public static func + (lhs: MVMActivity, rhs: MVMActivity) -> MVMActivity {
        var sum = lhs
        sum += rhs
        return sum
    }

    public static func += (lhs: inout MVMActivity, rhs: MVMActivity) {
        lhs.vectors += rhs.vectors
        lhs.passes += rhs.passes
        lhs.passesGated += rhs.passesGated
        lhs.passesSkipped += rhs.passesSkipped
        lhs.rowsDisabled += rhs.rowsDisabled
        lhs.phasesRun += rhs.phasesRun
        lhs.phasesSkipped += rhs.phasesSkipped
        lhs.wordlineDrives += rhs.wordlineDrives
        lhs.cellReads += rhs.cellReads
        lhs.bitlineCharge += rhs.bitlineCharge
        lhs.adcConversions += rhs.adcConversions
        lhs.zeroTests += rhs.zeroTests
        lhs.permutedInputs += rhs.permutedInputs
        lhs.compensatedColumns += rhs.compensatedColumns
        lhs.cycles += rhs.cycles
    }

    /// The ledger of this activity on array `array`: the energy of each event type in joules, each count
    /// times its entry in `table`, and the cycles as the array's busy cycles.
    public func ledger(array: ArrayID, table: CrossbarEnergy) -> CostLedger {
        let events: [(CostComponent, Int, Quantity<Energy>)] = [
            (.wordlineDrive, wordlineDrives, table.wordlineDrive), (.dacConversion, wordlineDrives, table.dacConversion),
            (.cellRead, cellReads, table.cellRead), (.bitlineCharge, bitlineCharge, table.bitlineCharge),
            (.adcConversion, adcConversions, table.adcConversion),
            (.sparsityDetection, zeroTests, table.sparsityDetection), (.permutation, permutedInputs, table.permutation),
            (.compensation, compensatedColumns, table.compensation), (.shiftAdd, adcConversions, table.shiftAdd),
        ]
        var ledger = CostLedger()
        ledger.reserveLines(events.count)
        for (component, count, energy) in events {
            ledger.add(Double(count) * energy.value, to: component, at: .array(array))
        }
        ledger.addBusy(cycles, at: .array(array))
        return ledger
    }
}

/// The cost of a batch of MVMs on one array, with what sparsity gating saved against the same batch ungated.
public struct MVMCost: Sendable, Equatable {
    public var activity: MVMActivity
    /// The same batch with no cell ever disabled: every mapped row driven, every mapped column read.
    public var ungated: MVMActivity
    /// The batch's energy by event type and its busy cycles, at its array.
    public var ledger: CostLedger
    /// The energy per event the ledgers price.
    public let table: CrossbarEnergy
    /// The array that ran the batch.
    public let array: ArrayID

    public init(activity: MVMActivity, ungated: MVMActivity, table: CrossbarEnergy, array: ArrayID) {
        self.activity = activity
        self.ungated = ungated
        self.table = table
        self.array = array
        self.ledger = activity.ledger(array: array, table: table)
    }

    /// The ledger of the ungated batch, priced when asked for (few callers need it).
    public var ungatedLedger: CostLedger { ungated.ledger(array: array, table: table) }

    /// Energy gating saved (negative when detection and compensation cost more than they saved).
    public var savedEnergy: Double { ungatedLedger.energy - ledger.energy }
    public var savedCycles: Int { ungated.cycles - activity.cycles }
}

extension ADCConfig {
    /// Energy of one conversion at `bits`, from `reference`, the energy at `referenceBits` (by `scaling`).
    public func conversionEnergy(reference: Double) -> Double {
        switch scaling {
        case .sar: return reference * Double(sign: .plus, exponent: bits - referenceBits, significand: 1)
        case .flash: return reference * levels(bits) / levels(referenceBits)
        case .fixed: return reference
        }
    }

    /// Cycles of one conversion at `bits`, from `reference`, the cycles at `referenceBits` (by `scaling`).
    public func conversionCycles(reference: Int) -> Int {
        switch scaling {
        case .sar: return (reference * bits + referenceBits - 1) / referenceBits
        case .flash, .fixed: return reference
        }
    }
}

extension PeripheryConfig {
    /// Energy of one DAC output at `dacBits`, from `reference`, the energy at `dacReferenceBits`.
    public func dacEnergy(reference: Double) -> Double {
        switch dacScaling {
        case .currentSteering: return reference * levels(dacBits) / levels(dacReferenceBits)
        case .fixed: return reference
        }
    }

    /// Word-line drive cycles at `dacBits`, from `reference`, the cycles at `dacReferenceBits`.
    public func driveCycles(reference: Int) -> Int {
        switch dacScaling {
        case .currentSteering: return (reference * (dacBits + 1) + dacReferenceBits) / (dacReferenceBits + 1)
        case .fixed: return reference
        }
    }
}

/// `2^bits - 1`: the comparators of a flash ADC, the unit sources of a current-steering DAC.
private func levels(_ bits: Int) -> Double { Double((1 << bits) - 1) }

extension CrossbarConfig {
    /// The timing the engines count: ADC conversion and DAC drive cycles at the configured bits.
    public var scaledTiming: CrossbarTiming {
        var timing = periphery.timing
        timing.adcCycles = periphery.adc.conversionCycles(reference: timing.adcCycles)
        timing.driveCycles = periphery.driveCycles(reference: timing.driveCycles)
        return timing
    }

    /// The energy per event the engines count: ADC conversion and DAC output at the configured bits.
    public var scaledEnergy: CrossbarEnergy {
        var table = energy
        table.adcConversion = Quantity(periphery.adc.conversionEnergy(reference: energy.adcConversion.value))
        table.dacConversion = Quantity(periphery.dacEnergy(reference: energy.dacConversion.value))
        return table
    }
}

extension CrossbarTiming {
    /// Cycles of one phase that reads `activeColumns` columns through `adcCount` ADCs, after `planes` word-line
    /// drives and settles (the bit planes one conversion accumulates) and `integration` cycles of pulse width.
    @inlinable
    public func phaseCycles(activeColumns: Int, adcCount: Int, planes: Int = 1, integration: Int = 0) -> Int {
        planes * (driveCycles + settleCycles) + integration + (activeColumns + adcCount - 1) / adcCount * adcCycles
    }
}

extension MVMActivity {
    /// The activity of one pass of one vector with no gating: every mapped row driven and every mapped
    /// column read in every phase. `charge` is the pass's unit charge and `pulses` its pulse widths (steps
    /// summed over the rows, and the longest), which gating does not change.
    public static func ungatedPass(mapping: WeightMapping, layout: CrossbarLayout, drive: PhaseDrive, timing: CrossbarTiming,
                                   charge: Int, pulses: PhaseDrive.Pulses) -> MVMActivity {
        var a = MVMActivity()
        let phases = layout.phasesPerPass
        let conversions = layout.conversions(columns: mapping.mappedColumns)
        a.passes = 1
        a.phasesRun = phases
        a.wordlineDrives = drive.drives(connected: mapping.rows, pulses: pulses) * phases
        a.cellReads = drive.cellReads(cells: mapping.rows, pulses: pulses) * mapping.mappedColumns * phases
        a.bitlineCharge = charge
        a.adcConversions = conversions * phases
        a.cycles = phases * drive.cycles(timing, activeColumns: conversions, adcCount: layout.adcCount, pulses: pulses)
            + timing.shiftAddCycles
        return a
    }
}
