/// What a random stream is used for; part of every stream's key, so streams never overlap.
public enum RandomPurpose: UInt64, Sendable {
    case programmingNoise = 1
    case readNoise = 2
    case driftExponent = 3
    case faults = 4
    case data = 5
    case training = 6
    case testVectors = 7
    case userInput = 8
    case deviceNoise = 9
}

/// A counter-based random stream keyed by (seed, array, purpose, step).
///
/// The value at counter `i` depends only on the key and `i`, never on how many values were drawn
/// before, so results are bit-identical whatever the order or thread that draws them.
public struct RandomStream: RandomNumberGenerator, Sendable {
    public let key: UInt64
    /// Index of the next value `next()` returns.
    public var counter: UInt64 = 0

    public init(seed: UInt64, array: UInt64 = 0, purpose: RandomPurpose, step: UInt64 = 0) {
        var k = RandomStream.mix(seed &+ 0x9E37_79B9_7F4A_7C15)
        k = RandomStream.mix(k ^ (array &* 0xD6E8_FEB8_6659_FD93))
        k = RandomStream.mix(k ^ (purpose.rawValue &* 0xA076_1D64_78BD_642F))
        k = RandomStream.mix(k ^ (step &* 0xE703_7ED1_A0B4_28DB))
        self.key = k
    }

    /// The stream for a sub-key (a column, a vector index, ...) of this one.
    public func substream(_ index: UInt64) -> RandomStream {
        var s = self
        s.counterlessRekey(index)
        return s
    }

    private mutating func counterlessRekey(_ index: UInt64) {
        self = RandomStream(rawKey: RandomStream.mix(key ^ RandomStream.mix(index &+ 0x8EBC_6AF0_9C88_C6E3)))
    }

    private init(rawKey: UInt64) { self.key = rawKey }

    /// SplitMix64's finalizer: a bijective 64-bit mixer.
    @inlinable
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The raw 64-bit value at counter `index`.
    @inlinable
    public func bits(at index: UInt64) -> UInt64 {
        RandomStream.mix(key ^ RandomStream.mix(index &* 0x9E37_79B9_7F4A_7C15 &+ 0x632B_E59B_D9B4_E019))
    }

    public mutating func next() -> UInt64 {
        defer { counter &+= 1 }
        return bits(at: counter)
    }

    /// A uniform value in the open interval (0, 1) at counter `index`.
    @inlinable
    public func uniform(at index: UInt64) -> Double {
        (Double(bits(at: index) >> 11) + 0.5) * 0x1p-53
    }

    /// A standard normal value at counter `index` (Box-Muller over counters `2i` and `2i+1`).
    @inlinable
    public func gaussian(at index: UInt64) -> Double {
        let u1 = uniform(at: index &* 2)
        let u2 = uniform(at: index &* 2 &+ 1)
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }

    /// The next standard normal value.
    public mutating func nextGaussian() -> Double {
        defer { counter &+= 1 }
        return gaussian(at: counter)
    }

    /// The next uniform value in (0, 1).
    public mutating func nextUniform() -> Double {
        defer { counter &+= 1 }
        return uniform(at: counter)
    }
}
