import ACIMCore

/// Accuracy and cost of one subtask's pruned network on the evaluation split.
public struct SubtaskReportRow: Sendable {
    public let subtask: Subtask
    /// Class labels the subtask serves.
    public let classes: [String]
    /// Accuracy of the pruned network on the evaluation images of the subtask's classes.
    public let accuracy: Double
    /// Accuracy of the full-subtask network on the same images (its argmax over all classes).
    public let fullAccuracy: Double
    /// Accuracy of the pruned network in integer arithmetic, when asked for.
    public let integerAccuracy: Double?
    public let filtersKept: Int
    public let filtersTotal: Int
    public let macFraction: Double
}

extension SubtaskPruner {
    /// Evaluates `subtasks` (pruned and calibrated, through the cache) on `evaluation`, and in integer
    /// arithmetic with `integerBits` (weight, activation) when given.
    public mutating func report(_ subtasks: [Subtask], evaluation: Dataset,
                                integerBits: (weight: Int, activation: Int)? = nil) throws -> [SubtaskReportRow] {
        let full = try prune(subtaskNetwork.fullSubtask)
        return try subtasks.map { subtask in
            let pruned = try prune(subtask)
            let classes = subtaskNetwork.classes(of: subtask)
            let images = evaluation.restricted(to: classes)
            let outputs = pruned.outputClasses
            let integerAccuracy = try integerBits.map { bits in
                let integer = try IntegerQuantization(pruned.network, calibration: calibration, weightBits: bits.weight,
                                                      activationBits: bits.activation)
                return try pruned.network.accuracy(on: images, integer: integer, labelOf: { outputs[$0] })
            }
            return SubtaskReportRow(
                subtask: subtask, classes: classes.map { subtaskNetwork.base.classes[$0] },
                accuracy: try pruned.network.accuracy(on: images, labelOf: { outputs[$0] }),
                fullAccuracy: try full.network.accuracy(on: images, labelOf: { full.outputClasses[$0] }),
                integerAccuracy: integerAccuracy,
                filtersKept: pruned.filters.reduce(0) { $0 + $1.kept }, filtersTotal: pruned.filters.reduce(0) { $0 + $1.total },
                macFraction: pruned.macFraction)
        }
    }
}
