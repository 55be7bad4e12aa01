import ACIMCore

/// Where the device controller gets weights it has no reference for: the host's master copy, outside the
/// chip. The controller loads its references from it once, at deployment, and afterwards asks it only for
/// what its references cannot give (a missing reference, a corrupted one); it counts every byte.
public protocol WeightSource {
    /// The master weight codes of the matrix mapped on `array` (`rows x columns`); nil when the source
    /// has none for that array.
    func masterWeights(of array: ArrayID) -> Matrix<Int32>?
}

/// A host that keeps the master copy of every array's weights.
public struct MasterWeights: WeightSource, Sendable {
    public private(set) var arrays: [ArrayID: Matrix<Int32>] = [:]

    public init(_ arrays: [ArrayID: Matrix<Int32>] = [:]) { self.arrays = arrays }

    /// Keeps `weights` as the master copy of `array`'s matrix.
    public mutating func set(_ weights: Matrix<Int32>, for array: ArrayID) { arrays[array] = weights }

    public func masterWeights(of array: ArrayID) -> Matrix<Int32>? { arrays[array] }
}
