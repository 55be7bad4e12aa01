/// One operation of the network IR. Per-sample shapes exclude the batch axis: images are `[C, H, W]`,
/// feature vectors `[F]`.
public enum Operation: Sendable, Equatable {
    /// 2-D convolution, square kernel; parameters `<name>.weight` `[out, in, k, k]`, optional `<name>.bias`
    /// `[out]` and `<name>.input_gain` `[in]` (a per-input-channel gain, as a pruned network carries).
    case conv2d(outChannels: Int, kernel: Int, stride: Int, padding: Int, bias: Bool)
    /// Fully connected layer; parameters `<name>.weight` `[out, in]`, optional `<name>.bias` `[out]` and
    /// `<name>.input_gain` `[in]`.
    case linear(outFeatures: Int, bias: Bool)
    /// Batch normalization per channel; parameters `weight`, `bias`, `running_mean`, `running_var`.
    case batchNorm(epsilon: Float)
    case relu
    case maxPool(kernel: Int, stride: Int)
    case avgPool(kernel: Int, stride: Int)
    /// `[C, H, W]` to `[C*H*W]`.
    case flatten
    /// Any shape of equal element count.
    case reshape([Int])
    /// Element-wise sum of two inputs of equal shape (residual connection).
    case add
    /// Per-class sigmoid scores.
    case sigmoid
    /// Softmax over the features.
    case softmax

    /// The name used in model files.
    public var kind: String {
        switch self {
        case .conv2d: "conv2d"
        case .linear: "linear"
        case .batchNorm: "batchnorm"
        case .relu: "relu"
        case .maxPool: "maxpool"
        case .avgPool: "avgpool"
        case .flatten: "flatten"
        case .reshape: "reshape"
        case .add: "add"
        case .sigmoid: "sigmoid"
        case .softmax: "softmax"
        }
    }

    /// Number of inputs the operation takes.
    public var arity: Int { self == .add ? 2 : 1 }

    /// Whether the operation multiplies by a weight matrix (conv2d, linear).
    public var isWeighted: Bool {
        switch self {
        case .conv2d, .linear: true
        default: false
        }
    }

    /// Whether the operation acts on each channel separately (so pruned channels pass through it).
    public var isChannelwise: Bool {
        switch self {
        case .batchNorm, .relu, .maxPool, .avgPool: true
        default: false
        }
    }
}

/// A named node of the graph: an operation applied to the outputs of earlier nodes (or `input`).
public struct Node: Sendable, Equatable {
    public var name: String
    public var operation: Operation
    public var inputs: [String]

    public init(_ name: String, _ operation: Operation, inputs: [String]) {
        self.name = name
        self.operation = operation
        self.inputs = inputs
    }
}
