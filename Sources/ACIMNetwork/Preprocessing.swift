import ACIMCore

/// What a model does to raw inputs (the values a data file holds) before its first layer: per channel `c`
/// (the first axis of the per-sample input shape), `x * scale[c] + offset[c]`. One entry applies to every
/// channel. A torchvision `Normalize(mean, std)` after `ToTensor()` (which divides 8-bit pixels by 255) is
/// `scale = 1 / (255 std)`, `offset = -mean / std`.
public struct Preprocessing: Sendable, Equatable, Codable {
    public var scale: [Float]
    public var offset: [Float]

    public init(scale: [Float], offset: [Float]) {
        self.scale = scale
        self.offset = offset
    }

    /// Inputs reach the first layer as the data file holds them.
    public static let identity = Preprocessing(scale: [1], offset: [0])

    /// Throws unless scale and offset have one entry or one per channel of `inputShape`, scales are finite
    /// and non-zero, offsets finite.
    public func check(inputShape: [Int]) throws {
        let channels = inputShape.first ?? 1
        for (key, values) in [("scale", scale), ("offset", offset)] {
            guard values.count == 1 || values.count == channels else {
                throw ACIMError.invalidParameter(name: "preprocessing \(key)", value: "\(values.count) entries",
                                                 expected: "1 or \(channels) (one per channel of the input shape \(inputShape))")
            }
            if let bad = values.firstIndex(where: { !$0.isFinite || (key == "scale" && $0 == 0) }) {
                throw ACIMError.invalidParameter(name: "preprocessing \(key)[\(bad)]", value: "\(values[bad])",
                                                 expected: key == "scale" ? "a finite non-zero number" : "a finite number")
            }
        }
    }

    /// `raw` (batch axis first) mapped channel by channel.
    public func apply(to raw: Tensor) -> Tensor {
        guard self != .identity else { return raw }
        let channels = raw.shape.count > 1 ? raw.shape[1] : 1
        let perChannel = raw.shape.dropFirst(2).reduce(1, *)
        var data = raw.data
        for i in data.indices {
            let c = (i / perChannel) % channels
            data[i] = data[i] * scale[scale.count == 1 ? 0 : c] + offset[offset.count == 1 ? 0 : c]
        }
        return Tensor(shape: raw.shape, data: data)
    }
}
