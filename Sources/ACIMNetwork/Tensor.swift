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

/// The product of `dimensions`, or nil when it overflows `Int` (shapes read from files).
func checkedProduct(_ dimensions: [Int]) -> Int? {
    var product = 1
    for d in dimensions {
        let (next, overflow) = product.multipliedReportingOverflow(by: d)
        if overflow { return nil }
        product = next
    }
    return product
}
