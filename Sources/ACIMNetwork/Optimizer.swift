import ACIMCore
import Foundation

/// First-order optimizers over named flat parameter vectors.
public enum OptimizerKind: String, ConfigEnumeration {
    case sgd, adam
}

/// SGD with momentum or Adam, keeping its state per parameter name.
public struct Optimizer: Sendable {
    public let kind: OptimizerKind
    public var momentum: Float = 0.9
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    private var first: [String: [Float]] = [:]
    private var second: [String: [Float]] = [:]
    private var steps: [String: Int] = [:]

    public init(_ kind: OptimizerKind) { self.kind = kind }

    /// Updates `values` in place against `gradient` with learning rate `rate`.
    public mutating func step(_ name: String, _ values: inout [Float], gradient: [Float], rate: Float) {
        var m = first[name] ?? [Float](repeating: 0, count: values.count)
        switch kind {
        case .sgd:
            for i in values.indices {
                m[i] = momentum * m[i] + gradient[i]
                values[i] -= rate * m[i]
            }
        case .adam:
            var v = second[name] ?? [Float](repeating: 0, count: values.count)
            let t = (steps[name] ?? 0) + 1
            steps[name] = t
            let c1 = 1 - pow(beta1, Float(t)), c2 = 1 - pow(beta2, Float(t))
            for i in values.indices {
                m[i] = beta1 * m[i] + (1 - beta1) * gradient[i]
                v[i] = beta2 * v[i] + (1 - beta2) * gradient[i] * gradient[i]
                values[i] -= rate * (m[i] / c1) / ((v[i] / c2).squareRoot() + epsilon)
            }
            second[name] = v
        }
        first[name] = m
    }
}
