import ACIMCore

/// How one conversion phase drives its word lines, and what that costs before the conversions: one level
/// per bit plane for `planes` planes, or one pulse per row whose width is its digit (pulse-width inputs).
///
/// Word-line drive and cell-read events count one per row or cell per bit plane; with pulse widths, one per
/// step of pulse, so their energy follows the pulse length.
public struct PhaseDrive: Sendable, Equatable {
    /// Bit planes driven per conversion.
    public let planes: Int
    public let pulseWidth: Bool
    /// The longest pulse a digit can give, in steps.
    public let fullWindow: Int
    /// True when every pass integrates `fullWindow` steps (`pwm_window: full`), false when it ends with the
    /// longest pulse.
    public let fixedWindow: Bool
    /// Cycles per step of pulse width.
    public let stepCycles: Int

    /// The pulse widths of one phase: steps summed over the connected rows, and the longest.
    public struct Pulses: Sendable, Equatable {
        public var steps: Int
        public var longest: Int

        public static let none = Pulses(steps: 0, longest: 0)
    }

    public init(config: CrossbarConfig) {
        let layout = CrossbarLayout(config: config)
        planes = layout.planesPerPhase
        pulseWidth = layout.pulseWidth
        fullWindow = layout.maxDigit
        fixedWindow = config.periphery.pwmWindow == .full
        stepCycles = config.periphery.timing.pwmStepCycles
    }

    /// Word-line drive events of a phase with `connected` rows: one per row and plane, or the pulse steps.
    @inlinable
    public func drives(connected: Int, pulses: Pulses) -> Int {
        pulseWidth ? pulses.steps : connected * planes
    }

    /// Cell-read events of one column that reads `cells` cells: one per cell and plane, or, every connected
    /// cell read, the pulse steps.
    @inlinable
    public func cellReads(cells: Int, pulses: Pulses) -> Int {
        pulseWidth ? pulses.steps : cells * planes
    }

    /// Cycles of a phase that converts `activeColumns` columns on `adcCount` ADCs.
    @inlinable
    public func cycles(_ timing: CrossbarTiming, activeColumns: Int, adcCount: Int, pulses: Pulses) -> Int {
        let integration = pulseWidth ? (fixedWindow ? fullWindow : pulses.longest) * stepCycles : 0
        return timing.phaseCycles(activeColumns: activeColumns, adcCount: adcCount, planes: planes, integration: integration)
    }
}

extension PhaseDrive {
    /// `timing` with one phase's drive and settle spanning all its bit planes and, with pulse widths, the
    /// full integration window: a phase's cycles at most, as one drive and one settle.
    public func folded(_ timing: CrossbarTiming) -> CrossbarTiming {
        var folded = timing
        folded.driveCycles = planes * timing.driveCycles + (pulseWidth ? fullWindow * stepCycles : 0)
        folded.settleCycles = planes * timing.settleCycles
        return folded
    }
}

extension CrossbarLayout {
    /// Conversions of one phase that reads `columns` bit-line columns: one per pair with analog differential
    /// read-out, else one per column.
    @inlinable
    public func conversions(columns: Int) -> Int { analogPairs ? columns / 2 : columns }

    /// Whether mapped column `column` is the G- column of an analog pair, which no ADC converts.
    @inlinable
    public func isPairedMinus(_ column: Int, groups: Int) -> Bool {
        analogPairs && column < groups * columnsPerWeight && column % 2 == 1
    }
}
