import ACIMCore

/// What one check of an array found, before anything was repaired, in weight indices `row * columns +
/// column`: the controller's decisions, for scoring against the simulation's ground truth.
public struct CheckFindings: Sendable {
    public var array: ArrayID
    /// Weights the check flagged as degraded.
    public var flagged: Set<Int>
    /// Per weight column, whether the check could test it (every weight it reads has an expectation).
    public var checkable: [Bool]
    /// How far a weight may be from its reference before it counts as degraded, in weight LSB.
    public var tolerance: Double
    /// Weights given up as stuck, which the check does not judge.
    public var skipped: Set<Int>
    /// Weights whose reference was nulled, so their target is 0.
    public var zeroed: Set<Int>
}

/// The simulation's ground truth, kept apart from the hardware model: it scores the controller's findings
/// against the master weights and the effective weights the cells really hold, which no part of the
/// chip can see.
public struct DetectionAudit: Sendable {
    /// Flagged weights that were not degraded, and degraded weights not flagged.
    public private(set) var falsePositives = 0
    public private(set) var falseNegatives = 0

    public init() {}

    /// Scores one check: a weight is degraded when its noise-free effective value is further than the
    /// check's tolerance from its master value (0 once its reference was nulled).
    public mutating func score<A: ManagedArray>(_ findings: CheckFindings, on array: A, master: Matrix<Int32>) {
        for r in 0..<array.rows {
            for c in 0..<array.columns where findings.checkable[c] {
                let index = r * array.columns + c
                guard !findings.skipped.contains(index) else { continue }
                let target = findings.zeroed.contains(index) ? 0 : Double(master[r, c])
                let degraded = abs(array.effectiveWeight(row: r, column: c) - target) > findings.tolerance
                if findings.flagged.contains(index) && !degraded { falsePositives += 1 }
                if !findings.flagged.contains(index) && degraded { falseNegatives += 1 }
            }
        }
    }

    /// Mean and largest |W_eff - W_master| over the weights of `array`, in LSB.
    public static func weightError<A: ManagedArray>(_ array: A, master: Matrix<Int32>) -> (mean: Double, max: Double) {
        var sum = 0.0
        var largest = 0.0
        for r in 0..<array.rows {
            for c in 0..<array.columns {
                let error = abs(array.effectiveWeight(row: r, column: c) - Double(master[r, c]))
                sum += error
                largest = max(largest, error)
            }
        }
        return (sum / Double(max(1, array.rows * array.columns)), largest)
    }
}
