import ACIMArray
import ACIMCore

/// The analog side the device controller manages. It sits at its own simulated time and temperature, which
/// only its owner (the chip's clock, or a study) moves: a check, a read or a pulse happens at the array's
/// current time and never moves it.
///
/// Weights are signed codes of `weightBits` bits at (row, column). Functional checks read *check
/// columns*, the bit lines the weights are spread over (a weight's slices, its differential pair), in
/// level units: every cell on a bit line adds a non-negative level, so a drift of the cells moves the
/// check sum even when the weights of a column sum to zero. The controller sees the array only through
/// checks, one-hot reads and program pulses, as the hardware does; `effectiveWeight` is the simulation's
/// ground truth, used only to count false positives and negatives and for reports.
public protocol ManagedArray {
    /// The array's simulated time, in seconds, and temperature, in kelvin.
    var time: Double { get }
    var temperature: Double { get }
    /// Logical weight rows (inputs) and columns (outputs).
    var rows: Int { get }
    var columns: Int { get }
    /// Bits of a signed weight code.
    var weightBits: Int { get }

    /// The weight column each check column belongs to.
    var checkColumnOutputs: [Int] { get }
    /// Standard deviation of one cell's contribution to a check sum, in levels (read noise and the
    /// programming residual).
    var checkNoise: Double { get }
    /// The largest level one cell adds to a check sum (the relative tolerance's unit).
    var checkFullScalePerRow: Double { get }
    /// The worst-case ADC error of one conversion of a check sum with `activeRows` rows driven, in levels.
    func checkResolution(activeRows: Int) -> Double
    /// The digital expectation of a check: for `vector` (one value per row: -1, 0 or +1) and the weights as
    /// `weight(row, column)` gives them (a single code, or the range an MSB-only reference allows; nil when
    /// unknown), every check column's expected sum and the spread the ranges allow, or nil when a weight
    /// the check column reads is unknown.
    func expectedCheckSums(_ vector: [Int32], weight: (Int, Int) -> ClosedRange<Int32>?) -> [(sum: Double, slack: Double)?]
    /// One functional check with `vector`: every check column's sum in levels.
    mutating func checkSums(_ vector: [Int32]) throws -> ColumnCheck

    /// Standard deviation of one read of a single weight, in weight LSB.
    var readNoise: Double { get }
    /// The worst-case ADC error of one read of a single weight, in weight LSB.
    var readResolution: Double { get }
    /// One read of a single weight (a one-hot MVM through the full periphery), in weight LSB.
    mutating func readWeight(row: Int, column: Int) throws -> Double

    /// The program-and-verify read of a single weight, in weight LSB: its
    /// cells' conductances sensed directly, each with its read noise, without the inference ADC range or
    /// drift compensation, since the loop compares conductances with their targets.
    mutating func verifyRead(row: Int, column: Int) -> Double
    /// Standard deviation of one verify read, in weight LSB.
    var verifyNoise: Double { get }

    /// One program pulse moving the weight at (`row`, `column`) to `target`; false when one of its cells is
    /// stuck and did not move.
    mutating func programPulse(row: Int, column: Int, target: Int32) -> Bool
    /// The drift compensation the array's outputs pass through. Under one compensation factor, cells of
    /// different ages are compensated wrongly, so repairs then cover the factor's whole scope.
    var driftCompensation: DriftCompensation { get }
    /// The noise-free effective weight now: the simulation's ground truth, never the controller's.
    func effectiveWeight(row: Int, column: Int) -> Double
}

/// The sums of one functional check and what it cost the array.
public struct ColumnCheck: Sendable {
    public var sums: [Double]
    /// Joules and array cycles.
    public var energy: Double
    public var cycles: Int

    public init(sums: [Double], energy: Double, cycles: Int) {
        self.sums = sums
        self.energy = energy
        self.cycles = cycles
    }
}
