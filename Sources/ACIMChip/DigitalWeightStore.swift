import ACIMCore

/// The digital weight storage unit: one reference per covered weight, loaded once
/// by the host, optionally only the most significant bits, each with an even-parity check bit.
public struct DigitalWeightStore: Sendable, Codable, Equatable {
    /// One stored reference.
    public struct Entry: Sendable, Equatable {
        /// The top `referenceBits` bits of the weight's offset code `w - w_min`.
        public var value: UInt32
        public var check: Bool
        public var valid: Bool
    }

    public let weightBits: Int
    /// Bits kept per reference (`weightBits` unless MSB-only).
    public let referenceBits: Int
    public let rows: Int
    public let columns: Int
    public let parity: Bool
    /// Entries by weight index `row * columns + column`; nil for uncovered weights.
    public private(set) var entries: [Entry?]

    /// Stores references for the `covered` weights of `weights` (`rows x columns` signed codes).
    public init(weights: Matrix<Int32>, weightBits: Int, referenceBits: Int, parity: Bool, covered: [Bool]) {
        self.weightBits = weightBits
        self.referenceBits = referenceBits == 0 ? weightBits : min(referenceBits, weightBits)
        self.rows = weights.rows
        self.columns = weights.columns
        self.parity = parity
        let shift = weightBits - self.referenceBits
        let low = DigitalWeightStore.minimum(weightBits)
        entries = zip(weights.storage, covered).map { weight, isCovered in
            guard isCovered else { return nil }
            let value = UInt32(Int64(weight) - low) >> UInt32(shift)
            return Entry(value: value, check: DigitalWeightStore.evenParity(value), valid: true)
        }
    }

    /// The smallest signed code of `bits` bits.
    static func minimum(_ bits: Int) -> Int64 { -(Int64(1) << (bits - 1)) }

    static func evenParity(_ value: UInt32) -> Bool { value.nonzeroBitCount % 2 == 1 }

    /// Covered weights.
    public var coveredCount: Int { entries.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    /// Bytes the host sends to load the store: `referenceBits` per covered weight, packed.
    public var loadBytes: Int { (coveredCount * referenceBits + 7) / 8 }

    /// Largest distance between a weight and its reconstruction, in weight LSB: `2^(Bw-Bref-1)` for
    /// MSB-only references, 0 for full ones.
    public var reconstructionError: Double {
        referenceBits == weightBits ? 0 : Double(1 << (weightBits - referenceBits - 1))
    }

    /// One weight LSB of the reference, in weight LSB.
    public var referenceLSB: Double { Double(1 << (weightBits - referenceBits)) }

    /// The result of reading one reference.
    public enum Lookup: Equatable, Sendable {
        /// The reconstructed weight code.
        case weight(Int32)
        /// The weight has no reference.
        case missing
        /// The parity check failed; the reference has been nulled.
        case corrupted
        /// The reference was nulled earlier.
        case nulled
    }

    /// Reads the reference of (`row`, `column`), checking its parity; a failed check nulls the entry.
    public mutating func read(row: Int, column: Int) -> Lookup {
        let index = row * columns + column
        guard var entry = entries[index] else { return .missing }
        guard entry.valid else { return .nulled }
        if parity && DigitalWeightStore.evenParity(entry.value) != entry.check {
            entry.value = 0
            entry.valid = false
            entries[index] = entry
            return .corrupted
        }
        return .weight(reconstruct(entry.value))
    }

    /// The reference of (`row`, `column`) without a parity check or side effects (for planning).
    public func peek(row: Int, column: Int) -> Int32? {
        guard let entry = entries[row * columns + column], entry.valid else { return nil }
        return reconstruct(entry.value)
    }

    /// The weight a stored value stands for: the value itself, or the mid-point of its MSB-only bucket.
    func reconstruct(_ value: UInt32) -> Int32 {
        let shift = weightBits - referenceBits
        let offset = (Int64(value) << shift) + (shift > 0 ? Int64(1) << (shift - 1) : 0)
        return Int32(offset + DigitalWeightStore.minimum(weightBits))
    }

    /// The weights a reconstructed reference `w` stands for: `w` itself for full references, its MSB-only
    /// bucket otherwise.
    public func range(of w: Int32) -> ClosedRange<Int32> {
        let half = Int32(reconstructionError)
        return half == 0 ? w...w : (w - half)...(w + half - 1)
    }

    /// Stores a fresh reference for (`row`, `column`) (a host refresh).
    public mutating func write(row: Int, column: Int, weight: Int32) {
        let value = UInt32(Int64(weight) - DigitalWeightStore.minimum(weightBits)) >> UInt32(weightBits - referenceBits)
        entries[row * columns + column] = Entry(value: value, check: DigitalWeightStore.evenParity(value), valid: true)
    }

    /// Flips bit `bit` of the stored value of (`row`, `column`), as a soft error would (fault injection).
    public mutating func flipBit(row: Int, column: Int, bit: Int) {
        let index = row * columns + column
        guard var entry = entries[index], bit < referenceBits else { return }
        entry.value ^= 1 << UInt32(bit)
        entries[index] = entry
    }
}

extension DigitalWeightStore {
    /// Which of `array`'s weights (`rows x columns`, row-major) a coverage policy covers; a predetermined
    /// subset is the array's own.
    public static func coverage(_ policy: ReferenceCoverage, fraction: Double, weights: Matrix<Int32>,
                                seed: UInt64, array: ArrayID) -> [Bool] {
        let n = weights.storage.count
        let count = Int((fraction * Double(n)).rounded())
        switch policy {
        case .all:
            return [Bool](repeating: true, count: n)
        case .predetermined:
            // A design-time subset: the `count` weights with the smallest seeded hash.
            let stream = RandomStream(seed: seed, lane: array.streamOwner, purpose: .coveragePicks)
            let order = (0..<n).sorted { stream.bits(at: UInt64($0)) < stream.bits(at: UInt64($1)) }
            var covered = [Bool](repeating: false, count: n)
            for index in order.prefix(count) { covered[index] = true }
            return covered
        case .topMagnitude:
            // Largest magnitude first; ties by index, so the subset is deterministic.
            let order = (0..<n).sorted {
                let a = abs(Int64(weights.storage[$0])), b = abs(Int64(weights.storage[$1]))
                return a != b ? a > b : $0 < $1
            }
            var covered = [Bool](repeating: false, count: n)
            for index in order.prefix(count) { covered[index] = true }
            return covered
        }
    }
}

/// Saved as one number, a few bytes for each of the store's many entries: the value (at most 16 bits), the
/// check bit at bit 16 and the valid flag at bit 17.
extension DigitalWeightStore.Entry: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let code = try container.decode(UInt32.self)
        guard code < 1 << 18 else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(code) is not a reference entry")
        }
        self.init(value: code & 0xFFFF, check: code & 1 << 16 != 0, valid: code & 1 << 17 != 0)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value | (check ? 1 << 16 : 0) | (valid ? 1 << 17 : 0))
    }
}
