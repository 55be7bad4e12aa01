import ACIMCore

/// A size attribute of a graph node: one integer for every axis, or a list per axis (`kernel: [3, 1]`;
/// `padding: [1, 2]` for height and width, or `[top, left, bottom, right]`). A string padding ("same",
/// "valid") is resolved to numbers before decoding (`GraphSchema.padding`).
struct Extent: Codable, Equatable {
    var values: [Int]

    init(_ value: Int) { values = [value] }

    init(_ values: [Int]) { self.values = values }

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) {
            values = [value]
        } else if let list = try? container.decode([Int].self) {
            values = list
        } else if (try? container.decode(Double.self)) != nil || (try? container.decode([Double].self)) != nil {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "a number that is not an integer")
        } else {
            throw DecodingError.typeMismatch(Int.self, .init(codingPath: decoder.codingPath, debugDescription: "an integer or a list of integers"))
        }
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if values.count == 1 { try container.encode(values[0]) } else { try container.encode(values) }
    }

    /// The (height, width) pair: one value for both, or two.
    func pair(key: String) throws -> [Int] {
        switch values.count {
        case 1: return [values[0], values[0]]
        case 2: return values
        default: throw ACIMError.invalidParameter(name: "\"\(key)\"", value: "\(values)", expected: "an integer or [height, width]")
        }
    }

    /// Padding as top, left, bottom, right: one value for all sides, [height, width], or all four.
    func sides() throws -> [Int] {
        switch values.count {
        case 1: return Array(repeating: values[0], count: 4)
        case 2: return values + values
        case 4: return values
        default:
            throw ACIMError.invalidParameter(name: "\"padding\"", value: "\(values)", expected: "an integer, [height, width] or [top, left, bottom, right]")
        }
    }

    /// A single value (pooling windows are square).
    func square(key: String) throws -> Int {
        let pair = try pair(key: key)
        guard pair[0] == pair[1] else {
            throw ACIMError.invalidParameter(name: "\"\(key)\"", value: "\(values)", expected: "a square window (one integer)")
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
    /// The convolution this entry describes, with the defaults: stride 1, no padding, no dilation, one group
    /// and a bias.
    func convolution(outChannels: Int, kernel: Extent) throws -> Convolution {
        Convolution(outChannels: outChannels, kernel: try kernel.pair(key: "kernel"), stride: try stride?.pair(key: "stride") ?? [1, 1],
                    padding: try padding?.sides() ?? [0, 0, 0, 0], dilation: try dilation?.pair(key: "dilation") ?? [1, 1],
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
