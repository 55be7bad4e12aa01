/// Where an array sits on the chip: its tile and its slot in the tile. It names the array in reports and
/// keys the array's random streams, so two arrays never share a stream, whatever weights they hold.
public struct ArrayID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let tile: Int
    public let slot: Int

    public init(tile: Int, slot: Int) {
        self.tile = tile
        self.slot = slot
    }

    /// The array's part of a stream key: the top bit set, so it never equals a chip-level stream's lane.
    public var streamOwner: UInt64 { 1 << 63 | UInt64(truncatingIfNeeded: tile) << 24 | UInt64(truncatingIfNeeded: slot) }

    public static func < (a: ArrayID, b: ArrayID) -> Bool { (a.tile, a.slot) < (b.tile, b.slot) }

    public var description: String { "tile \(tile) array \(slot)" }
}

/// Saved as `{"slot", "tile"}`, and as the key `"tile.slot"` of a dictionary, so a dictionary by array is
/// saved in key order rather than in hash order.
extension ArrayID: Codable, CodingKeyRepresentable {
    public var codingKey: any CodingKey { ConfigCodingKey("\(tile).\(slot)") }

    public init?<T: CodingKey>(codingKey: T) {
        let parts = codingKey.stringValue.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let tile = Int(parts[0]), let slot = Int(parts[1]) else { return nil }
        self.init(tile: tile, slot: slot)
    }
}

/// What an array's random stream is used for. Raw values share one number space with `RandomPurpose`, so
/// no array stream and chip-level stream have the same purpose in their key.
public enum ArrayRandomPurpose: UInt64, Sendable, CaseIterable {
    /// Gaussian programming noise of a write (the event is the write's pulse or time).
    case programmingNoise = 1
    /// Read noise of inference MVMs and functional checks (the event is the input vector's identity).
    case readNoise = 2
    /// The drift exponent drawn when a cell is programmed.
    case driftExponent = 3
    /// Stuck-at faults drawn at writes.
    case faults = 4
    /// The device's accumulated 1/f read noise and drift spread, drawn once per materialized time.
    case deviceNoise = 9
    /// The noise of the program-and-verify loop's reads (the event is the verify read's number).
    case verifyRead = 10
}

/// What a chip-level random stream, one not tied to an array, is used for.
public enum RandomPurpose: UInt64, Sendable, CaseIterable {
    /// Data-set shuffles and sampled inputs.
    case data = 5
    /// Weight initialization, minibatch order and subtask sampling in training.
    case training = 6
    /// The device controller's functional test vectors.
    case testVectors = 7
    /// Random inputs a command or a test makes up.
    case userInput = 8
    /// Which weights a predetermined partial reference coverage picks.
    case coveragePicks = 11
}

/// A counter-based random stream keyed by (seed, owner, purpose, event): the owner is an array
/// (`ArrayID`) or, for chip-level streams, a lane that separates independent uses of one purpose.
///
/// The value at counter `i` depends only on the key and `i`, never on how many values were drawn
/// before, so results are bit-identical whatever the order or thread that draws them.
public struct RandomStream: RandomNumberGenerator, Sendable {
    public let key: UInt64
    /// Index of the next value `next()` returns.
    public var counter: UInt64 = 0

    /// The stream of `array` for `purpose` at `event`.
    public init(seed: UInt64, array: ArrayID, purpose: ArrayRandomPurpose, event: UInt64) {
        self.init(seed: seed, owner: array.streamOwner, purpose: purpose.rawValue, event: event)
    }

    /// A chip-level stream for `purpose` at `event`, in `lane` (0 unless one purpose needs several
    /// independent streams).
    public init(seed: UInt64, lane: UInt64 = 0, purpose: RandomPurpose, event: UInt64 = 0) {
        self.init(seed: seed, owner: lane, purpose: purpose.rawValue, event: event)
    }

    private init(seed: UInt64, owner: UInt64, purpose: UInt64, event: UInt64) {
        var k = RandomStream.mix(seed &+ 0x9E37_79B9_7F4A_7C15)
        k = RandomStream.mix(k ^ (owner &* 0xD6E8_FEB8_6659_FD93))
        k = RandomStream.mix(k ^ (purpose &* 0xA076_1D64_78BD_642F))
        k = RandomStream.mix(k ^ (event &* 0xE703_7ED1_A0B4_28DB))
        self.key = k
    }

    /// The stream for a sub-key (a column, a vector index, ...) of this one.
    public func substream(_ index: UInt64) -> RandomStream {
        RandomStream(rawKey: RandomStream.mix(key ^ RandomStream.mix(index &+ 0x8EBC_6AF0_9C88_C6E3)))
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

    /// The 64 bits behind `gaussianPair` at counter `index`: wyrand's output for the state
    /// `key + index 0xA0761D6478BD642F`, one full-width multiply. It is cheaper than `bits(at:)`, and the
    /// compiler keeps it scalar, where 64-bit multiplies emulated on SSE2 vectors would be slower.
    @inlinable
    func pairBits(at index: UInt64) -> UInt64 {
        let state = key &+ index &* 0xA076_1D64_78BD_642F
        let (high, low) = state.multipliedFullWidth(by: state ^ 0xE703_7ED1_A0B4_28DB)
        return high ^ low
    }

    /// Two independent standard normals at counter `index`, from one 64-bit value (`pairBits`): Box-Muller
    /// with a radius from 24 bits, `u = (j + 1) 2^-24`, and an angle from 24 more,
    /// `2 pi (k + 1/2) 2^-24 - pi/4` (the normals reach 5.77 standard deviations). Both are exact in single
    /// precision, so `gaussianPairs` computes the same pair in `Float`.
    @inlinable
    public func gaussianPair(at index: UInt64) -> (Double, Double) {
        let value = pairBits(at: index)
        let radius = (-2 * _log(Double((value >> 40) + 1) * 0x1p-24)).squareRoot()
        let angle = (Double((value >> 16) & 0xFF_FFFF) + 0.5) * (2 * Double.pi * 0x1p-24) - Double.pi / 4
        return (radius * _cos(angle), radius * _sin(angle))
    }

    /// `gaussianPair` at counters `pairs`, in single precision with `FastMath`, into `normals` (two values
    /// per counter, in order): within 2e-6 of the double-precision pair. The loop vectorizes.
    @inlinable
    public func gaussianPairs(_ pairs: Range<UInt64>, into normals: UnsafeMutablePointer<Float>) {
        let count = Int(pairs.count)
        // The hashes first (64-bit arithmetic), their 24-bit halves kept as bit patterns...
        for k in 0..<count {
            let value = pairBits(at: pairs.lowerBound &+ UInt64(k))
            normals[2 &* k] = Float(bitPattern: UInt32(truncatingIfNeeded: value >> 40))
            normals[2 &* k &+ 1] = Float(bitPattern: UInt32(truncatingIfNeeded: value >> 16) & 0xFF_FFFF)
        }
        // ...then Box-Muller in place, four or more pairs at a time. The angle's top two bits are its
        // quadrant; the other 22 place it within [-pi/4, pi/4) of the quadrant's middle.
        for k in 0..<count {
            let j = normals[2 &* k].bitPattern, angle = normals[2 &* k &+ 1].bitPattern
            let radius = FastMath.squareRoot(-1.386_294_4 * FastMath.log2(Float(Int32(bitPattern: j &+ 1)) * 0x1p-24))  // -2 ln u
            let offset = Float(Int32(bitPattern: angle & 0x3F_FFFF)) + (0.5 - 0x1p21)
            let (c, s) = FastMath.cosSin(offset * (Float.pi / 2 * 0x1p-22))
            let odd = angle & 0x40_0000 != 0
            let sign = (angle & 0x80_0000) &<< 8
            normals[2 &* k] = Float(bitPattern: (odd ? -s : c).bitPattern ^ sign) * radius
            normals[2 &* k &+ 1] = Float(bitPattern: (odd ? c : s).bitPattern ^ sign) * radius
        }
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
