import ACIMCore

/// What computes the weighted layers (conv2d and linear) of a forward pass: the executor unrolls each
/// into input vectors (im2col patches, or feature vectors) and asks its backend for the products with the
/// layer's weights. The kernels around them (batch norm, activations, pooling, adds) are the executor's
/// own, so two backends differ only in how they multiply.
public protocol LayerBackend {
    /// `x · Wᵀ` of the weighted node `layer`: `x` holds `m` input vectors of `k` values (after the layer's
    /// input gain), row-major; `weight` is the layer's `[n, k]` weight matrix. The `m` vectors belong to
    /// `samples` inputs of the batch, `m / samples` each, in order. Returns the `m x n` products, row-major,
    /// before the bias.
    mutating func product(_ layer: String, x: [Float], weight: [Float], m: Int, n: Int, k: Int, samples: Int) throws -> [Float]

    /// `product` of the convolution `layer` of `groups` groups: `x` holds `m` whole im2col patches of `k`
    /// values and `weight` is the stored `[n, k / groups]` weight, output `o` seeing only its group's
    /// `k / groups` patch entries. By default `product` with the block-diagonal `[n, k]` matrix
    /// (`Network.unrolledWeight`).
    mutating func convolutionProduct(_ layer: String, x: [Float], weight: [Float], m: Int, n: Int, k: Int, groups: Int,
                                     samples: Int) throws -> [Float]

    /// `convolutionProduct` of the convolution `layer` from its input `input` (NCHW, after the layer's input
    /// gain) rather than its patches, for a backend that expands the patches in its own form; by default
    /// the im2col patches of `geometry` and `convolutionProduct`. Returns the `geometry.rows x n` products.
    mutating func convolution(_ layer: String, input: [Float], geometry: ConvolutionGeometry, weight: [Float], n: Int,
                              groups: Int) throws -> [Float]
}

extension LayerBackend {
    public mutating func convolution(_ layer: String, input: [Float], geometry: ConvolutionGeometry, weight: [Float],
                                     n: Int, groups: Int) throws -> [Float] {
        try convolutionProduct(layer, x: Kernels.im2col(input, geometry), weight: weight, m: geometry.rows, n: n,
                               k: geometry.patch, groups: groups, samples: geometry.batch)
    }

    public mutating func convolutionProduct(_ layer: String, x: [Float], weight: [Float], m: Int, n: Int, k: Int, groups: Int,
                                            samples: Int) throws -> [Float] {
        try product(layer, x: x, weight: Kernels.blockDiagonal(weight, n: n, k: k, groups: groups), m: m, n: n, k: k, samples: samples)
    }
}

/// The float reference: one `sgemm` per layer, per group of a grouped convolution.
public struct FloatBackend: LayerBackend {
    public init() {}

    public func product(_ layer: String, x: [Float], weight: [Float], m: Int, n: Int, k: Int, samples: Int) -> [Float] {
        Kernels.gemm(x, weight, m: m, n: n, k: k, transposeB: true)
    }

    public func convolutionProduct(_ layer: String, x: [Float], weight: [Float], m: Int, n: Int, k: Int, groups: Int,
                                   samples: Int) -> [Float] {
        Kernels.groupedProduct(x, weight, m: m, n: n, k: k, groups: groups)
    }
}

/// The chip's arithmetic without the chip: inputs and weights quantized to the codes of `quantization`,
/// their products summed exactly in integers, then rescaled. A chip whose arrays compute every partial
/// sum exactly gives these results bit for bit.
public struct IntegerBackend: LayerBackend {
    public let quantization: IntegerQuantization

    public init(_ quantization: IntegerQuantization) { self.quantization = quantization }

    public func product(_ layer: String, x: [Float], weight: [Float], m: Int, n: Int, k: Int, samples: Int) throws -> [Float] {
        let codes = try quantization.inputCodes(layer, x)
        return quantization.rescale(layer, quantization.exactProduct(layer, codes: codes, m: m))
    }
}
