/// A dense Float32 tensor in row-major (NCHW for images) order.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "tensor data count \(data.count) != shape \(shape)")
        self.shape = shape
        self.data = data
    }

    public init(shape: [Int], repeating value: Float = 0) {
        self.shape = shape
        self.data = Array(repeating: value, count: shape.reduce(1, *))
    }

    public var count: Int { data.count }

    /// The same data viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor { Tensor(shape: newShape, data: data) }

    /// Elements of samples `range` along the first (batch) axis.
    public func samples(_ range: Range<Int>) -> Tensor {
        let per = shape.dropFirst().reduce(1, *)
        return Tensor(shape: [range.count] + shape.dropFirst(), data: Array(data[(range.lowerBound * per)..<(range.upperBound * per)]))
    }
}
