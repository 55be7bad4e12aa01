import ACIMCore

/// A size attribute of a graph node: one integer for every axis, or a list per axis (`kernel: [3, 1]`;
/// `padding: [1, 2]` for height and width, or `[top, left, bottom, right]`). Padding may also be `"valid"`
/// (none) or `"same"` (PyTorch's `padding="same"`).
struct Extent: Codable, Equatable {
    var values: [Int]
    /// `"same"` padding: what keeps the output size at stride 1, the odd pixel at the bottom and right.
    var same = false

    init(_ value: Int) { values = [value] }

    init(_ values: [Int]) { self.values = values }

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) {
            values = [value]
        } else if let mode = try? container.decode(String.self) {
            guard mode == "same" || mode == "valid" else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(mode)\": expected an integer, a list of integers, \"same\" or \"valid\"")
            }
            (values, same) = (mode == "same" ? [] : [0], mode == "same")
        } else {
            values = try container.decode([Int].self)
        }
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if same { try container.encode("same") } else if values.count == 1 { try container.encode(values[0]) } else { try container.encode(values) }
    }

    /// The (height, width) pair: one value for both, or two.
    func pair(name: String, key: String) throws -> [Int] {
        switch values.count {
        case 1: return [values[0], values[0]]
        case 2: return values
        default: throw ACIMError.invalidParameter(name: "node \(name) \(key)", value: "\(values)", expected: "an integer or [height, width]")
        }
    }

    /// Padding as top, left, bottom, right: one value for all sides, [height, width], or all four.
    func sides(name: String) throws -> [Int] {
        switch values.count {
        case 1: return Array(repeating: values[0], count: 4)
        case 2: return values + values
        case 4: return values
        default:
            throw ACIMError.invalidParameter(name: "node \(name) padding", value: "\(values)",
                                             expected: "an integer, [height, width] or [top, left, bottom, right]")
        }
    }

    /// A single value (pooling windows are square).
    func square(name: String, key: String) throws -> Int {
        let pair = try pair(name: name, key: key)
        guard pair[0] == pair[1] else {
            throw ACIMError.invalidParameter(name: "node \(name) \(key)", value: "\(values)", expected: "a square window (one integer)")
        }
        return pair[0]
    }

    /// The shortest form of `values`: one integer when all are equal, [height, width] when the pairs repeat.
    static func compact(_ values: [Int]) -> Extent {
        if Set(values).count == 1 { return Extent(values[0]) }
        if values.count == 4, values[0] == values[2], values[1] == values[3] { return Extent(Array(values[0..<2])) }
        return Extent(values)
    }
}

extension GraphDocument.NodeEntry {
    /// The node kinds of the graph format.
    static let kinds = ["conv2d", "linear", "batchnorm", "relu", "leaky_relu", "tanh", "gelu", "silu", "maxpool", "avgpool",
                        "global_avgpool", "flatten", "reshape", "add", "mul", "concat", "sigmoid", "softmax"]

    /// The convolution this entry describes, with the defaults: stride 1, no padding, no dilation, one group
    /// and a bias.
    func convolution(outChannels: Int, kernel: Extent) throws -> Convolution {
        let kernel = try kernel.pair(name: name, key: "kernel"), stride = try stride?.pair(name: name, key: "stride") ?? [1, 1]
        let dilation = try dilation?.pair(name: name, key: "dilation") ?? [1, 1]
        var sides = [0, 0, 0, 0]
        if let padding, padding.same {
            guard stride == [1, 1] else {
                throw ACIMError.invalidParameter(name: "node \(name) padding", value: "same", expected: "stride 1 (as PyTorch requires)")
            }
            let total = (0..<2).map { dilation[$0] * (kernel[$0] - 1) }
            sides = [total[0] / 2, total[1] / 2, total[0] - total[0] / 2, total[1] - total[1] / 2]
        } else if let padding {
            sides = try padding.sides(name: name)
        }
        return Convolution(outChannels: outChannels, kernel: kernel, stride: stride, padding: sides, dilation: dilation,
                           groups: groups ?? 1, bias: bias ?? true)
    }

    /// Writes the keys of `conv`, leaving out dilation and groups at their defaults.
    mutating func set(_ conv: Convolution) {
        (out_channels, bias) = (conv.outChannels, conv.bias)
        (kernel, stride, padding) = (Extent.compact(conv.kernel), Extent.compact(conv.stride), Extent.compact(conv.padding))
        dilation = conv.dilation == [1, 1] ? nil : Extent.compact(conv.dilation)
        groups = conv.groups == 1 ? nil : conv.groups
    }
}
