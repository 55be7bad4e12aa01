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
}
