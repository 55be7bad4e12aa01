import Foundation

/// The subtask loss on per-class sigmoid outputs, a weighted mean BCE that stresses the subtask's classes:
/// `L_T = 1/(α|C|) [β Σ_{c∈T} BCE_c + Σ_{c∉T} BCE_c]`, `α = (|C| + (β−1)|T|)/|C|`, averaged over the batch.
public struct SubtaskLoss: Sendable {
    /// Per-class weights: β for the subtask's classes, 1 for the others.
    public let weights: [Float]
    /// α of the normalisation.
    public let alpha: Float

    public init(classCount: Int, subtaskClasses: [Int], beta: Float) {
        weights = (0..<classCount).map { subtaskClasses.contains($0) ? beta : 1 }
        alpha = (Float(classCount) + (beta - 1) * Float(subtaskClasses.count)) / Float(classCount)
    }

    /// The loss and its gradient with respect to the logits `[N, C]` for integer labels.
    public func evaluate(logits: [Float], labels: [Int]) -> (loss: Float, gradient: [Float]) {
        let classes = weights.count, batch = labels.count
        let scale = 1 / (alpha * Float(classes) * Float(batch))
        var loss: Float = 0
        var gradient = [Float](repeating: 0, count: logits.count)
        for n in 0..<batch {
            for c in 0..<classes {
                let z = logits[n * classes + c], y: Float = labels[n] == c ? 1 : 0
                // BCE on the logit, stable form: max(z,0) - z*y + log(1 + e^-|z|).
                loss += weights[c] * (max(z, 0) - z * y + log1p(exp(-abs(z))))
                gradient[n * classes + c] = weights[c] * scale * (1 / (1 + exp(-z)) - y)
            }
        }
        return (loss * scale, gradient)
    }
}
