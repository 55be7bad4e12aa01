import ACIMCore

/// The host that holds the master weights and counts every byte it sends the chip.
public struct HostModel: Sendable {
    /// Master weights, `rows x columns` signed codes.
    public let weights: Matrix<Int32>
    public let weightBits: Int
    public private(set) var bytesSent = 0

    public init(weights: Matrix<Int32>, weightBits: Int) {
        self.weights = weights
        self.weightBits = weightBits
    }

    /// Bytes of one weight on the wire.
    public var bytesPerWeight: Int { (weightBits + 7) / 8 }

    /// Sends the weight at (`row`, `column`).
    public mutating func fetch(row: Int, column: Int) -> Int32 {
        bytesSent += bytesPerWeight
        return weights[row, column]
    }

    /// Counts `bytes` sent in bulk (the initial load of the weight store).
    public mutating func send(bytes: Int) { bytesSent += bytes }
}
