/// One operation of the network IR. Per-sample shapes exclude the batch axis: images are `[C, H, W]`,
/// feature vectors `[F]`.
public enum Operation: Sendable, Equatable {
    /// 2-D convolution; parameters `<name>.weight` `[out, in / groups, kh, kw]`, optional `<name>.bias`
    /// `[out]` and `<name>.input_gain` `[in]` (a per-input-channel gain, as a pruned network carries).
    case conv2d(Convolution)
    /// Fully connected layer; parameters `<name>.weight` `[out, in]`, optional `<name>.bias` `[out]` and
    /// `<name>.input_gain` `[in]`.
    case linear(outFeatures: Int, bias: Bool)
    /// Batch normalization per channel with running statistics `running_mean`, `running_var`, and, when
    /// `affine`, a scale `weight` and shift `bias`.
    case batchNorm(epsilon: Float, affine: Bool = true)
    case relu
    /// `x` for positive `x`, else `slope * x`.
    case leakyRelu(slope: Float)
    case tanh
    /// `x * Φ(x)` with the exact normal distribution function (erf form).
    case gelu
    /// `x * sigmoid(x)` (swish).
    case silu
    case maxPool(kernel: Int, stride: Int)
    case avgPool(kernel: Int, stride: Int)
    /// `[C, H, W]` to `[C, 1, 1]`: the mean of every channel.
    case globalAvgPool
    /// `[C, H, W]` to `[C*H*W]`.
    case flatten
    /// Any shape of equal element count; one entry may be -1, taking what the others leave.
    case reshape([Int])
    /// Element-wise sum of two inputs of equal shape (residual connection).
    case add
    /// Element-wise product of two inputs of equal shape (gating, as SiLU and squeeze-excitation use).
    case mul
    /// Two or more inputs joined along the channel axis (images of equal height and width) or the feature
    /// axis (vectors).
    case concat
    /// Per-class sigmoid scores (or an element-wise sigmoid inside the network).
    case sigmoid
    /// Softmax over the features.
    case softmax

    /// A square convolution with equal padding on every side, no dilation and one group.
    public static func conv2d(outChannels: Int, kernel: Int, stride: Int, padding: Int, bias: Bool) -> Operation {
        .conv2d(Convolution(outChannels: outChannels, kernel: [kernel, kernel], stride: [stride, stride],
                            padding: [padding, padding, padding, padding], bias: bias))
    }

    /// The name used in model files.
    public var kind: String {
        switch self {
        case .conv2d: "conv2d"
        case .linear: "linear"
        case .batchNorm: "batchnorm"
        case .relu: "relu"
        case .leakyRelu: "leaky_relu"
        case .tanh: "tanh"
        case .gelu: "gelu"
        case .silu: "silu"
        case .maxPool: "maxpool"
        case .avgPool: "avgpool"
        case .globalAvgPool: "global_avgpool"
        case .flatten: "flatten"
        case .reshape: "reshape"
        case .add: "add"
        case .mul: "mul"
        case .concat: "concat"
        case .sigmoid: "sigmoid"
        case .softmax: "softmax"
        }
    }

    /// The numbers of inputs the operation takes, one number or a least one and any more (up to `Int.max`):
    /// two for add and mul, two or more for concat, else one.
    public var inputCounts: ClosedRange<Int> {
        switch self {
        case .add, .mul: 2...2
        case .concat: 2...Int.max
        default: 1...1
        }
    }

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
        case .batchNorm, .relu, .leakyRelu, .tanh, .gelu, .silu, .maxPool, .avgPool, .globalAvgPool: true
        default: false
        }
    }
}

/// The geometry of a 2-D convolution. Pairs are (height, width).
public struct Convolution: Sendable, Equatable {
    public var outChannels: Int
    public var kernel: [Int]
    public var stride: [Int]
    /// Zero padding: top, left, bottom, right.
    public var padding: [Int]
    /// Spacing of the kernel taps (1: adjacent pixels).
    public var dilation: [Int]
    /// Input and output channels split into this many groups, each convolved on its own (depthwise: as many
    /// groups as input channels).
    public var groups: Int
    public var bias: Bool

    public init(outChannels: Int, kernel: [Int], stride: [Int] = [1, 1], padding: [Int] = [0, 0, 0, 0],
                dilation: [Int] = [1, 1], groups: Int = 1, bias: Bool = true) {
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.bias = bias
    }

    /// Output height and width for an input of `height x width`; nil when the dilated kernel does not fit
    /// the padded input.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int)? {
        let spanH = dilation[0] * (kernel[0] - 1) + 1, spanW = dilation[1] * (kernel[1] - 1) + 1
        let paddedH = height + padding[0] + padding[2], paddedW = width + padding[1] + padding[3]
        guard paddedH >= spanH, paddedW >= spanW else { return nil }
        return ((paddedH - spanH) / stride[0] + 1, (paddedW - spanW) / stride[1] + 1)
    }

    /// Inputs of one output (its group's channels times the kernel taps).
    public func patch(inChannels: Int) -> Int { inChannels / groups * kernel[0] * kernel[1] }

    /// "Same" padding, top, left, bottom, right: per axis what gives an output of ceil(input / stride)
    /// pixels, `(output - 1) * stride + dilation * (kernel - 1) + 1 - input` in all (at stride 1
    /// `dilation * (kernel - 1)`, whatever the input, which may then be left out), half before and the odd
    /// pixel after, as PyTorch and ONNX SAME_UPPER pad, or before when `oddPixelFirst` (SAME_LOWER).
    public static func samePadding(kernel: [Int], stride: [Int] = [1, 1], dilation: [Int], input: [Int]? = nil,
                                   oddPixelFirst: Bool = false) -> [Int] {
        precondition(input != nil || stride == [1, 1], "the input size sets the padding at stride > 1")
        let total = (0..<2).map { axis -> Int in
            let size = input?[axis] ?? 1, output = (size + stride[axis] - 1) / stride[axis]
            return max(0, (output - 1) * stride[axis] + dilation[axis] * (kernel[axis] - 1) + 1 - size)
        }
        let before = total.map { oddPixelFirst ? ($0 + 1) / 2 : $0 / 2 }
        return before + zip(total, before).map { $0 - $1 }
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
