import ACIMCore

/// One DMA descriptor as a tile issues it: copy `bytes` from `sourceAddress` of its tile memory to
/// `destinationAddress` of tile `destinationTile`'s, after every descriptor in `waitOn` has signalled, then
/// signal `id`. `start` and `end` are the cycles the schedule gave it.
public struct DMADescriptor: Sendable, Equatable, Codable {
    public let id: Int
    public let sourceTile: Int
    public let sourceAddress: Int
    public let destinationTile: Int
    public let destinationAddress: Int
    public let bytes: Int
    public let waitOn: [Int]
    public let start: Int
    public let end: Int

    public init(id: Int, sourceTile: Int, sourceAddress: Int, destinationTile: Int, destinationAddress: Int, bytes: Int,
                waitOn: [Int], start: Int, end: Int) {
        self.id = id
        self.sourceTile = sourceTile
        self.sourceAddress = sourceAddress
        self.destinationTile = destinationTile
        self.destinationAddress = destinationAddress
        self.bytes = bytes
        self.waitOn = waitOn
        self.start = start
        self.end = end
    }

    /// The descriptor's signal: its id.
    public var signal: Int { id }
}

/// The tile memories of a chip as bytes, with the bytes read and written in each: the runtime that executes
/// DMA descriptors. A tile's memory holds `capacity` bytes; it is materialized only up to the highest
/// address written.
public struct TileMemories: Sendable {
    public let capacity: Int
    private var contents: [[UInt8]]
    public private(set) var bytesRead: [Int]
    public private(set) var bytesWritten: [Int]

    public init(tiles: Int, capacity: Int) {
        self.capacity = capacity
        contents = [[UInt8]](repeating: [], count: tiles)
        bytesRead = [Int](repeating: 0, count: tiles)
        bytesWritten = bytesRead
    }

    private func check(_ tile: Int, _ address: Int, _ count: Int) throws {
        guard contents.indices.contains(tile), address >= 0, count >= 0, address + count <= capacity else {
            throw ACIMError.invalidParameter(name: "tile memory access", value: "tile \(tile), bytes \(address)..<\(address + count)",
                                             expected: "a tile in 0..<\(contents.count) and addresses in 0..<\(capacity)")
        }
    }

    /// Writes `bytes` at `address` of tile `tile`.
    public mutating func write(_ bytes: [UInt8], tile: Int, address: Int) throws {
        try check(tile, address, bytes.count)
        if contents[tile].count < address + bytes.count {
            contents[tile] += [UInt8](repeating: 0, count: address + bytes.count - contents[tile].count)
        }
        contents[tile].replaceSubrange(address..<(address + bytes.count), with: bytes)
        bytesWritten[tile] += bytes.count
    }

    /// Reads `count` bytes at `address` of tile `tile` (never-written bytes read as 0).
    public mutating func read(tile: Int, address: Int, count: Int) throws -> [UInt8] {
        try check(tile, address, count)
        bytesRead[tile] += count
        let held = contents[tile]
        return (address..<(address + count)).map { $0 < held.count ? held[$0] : 0 }
    }

    /// Executes `descriptors` at their scheduled cycles: a descriptor reads its source when it starts and
    /// writes its destination when it ends (at one cycle, writes land before reads). Throws when a
    /// descriptor starts before a descriptor it waits on has signalled, or touches memory outside a tile.
    public mutating func execute(_ descriptors: [DMADescriptor]) throws {
        let endOf = Dictionary(descriptors.map { ($0.id, $0.end) }, uniquingKeysWith: { a, _ in a })
        // Events: (cycle, 0 for an end / 1 for a start, descriptor index).
        let events = descriptors.indices.flatMap { [(descriptors[$0].end, 0, $0), (descriptors[$0].start, 1, $0)] }
            .sorted { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
        var inFlight: [Int: [UInt8]] = [:]
        for (_, kind, k) in events {
            let d = descriptors[k]
            if kind == 1 {
                for w in d.waitOn {
                    guard let end = endOf[w], end <= d.start else {
                        throw ACIMError.inconsistentParameters("descriptor \(d.id) starts at cycle \(d.start) before descriptor \(w) has signalled")
                    }
                }
                inFlight[k] = try read(tile: d.sourceTile, address: d.sourceAddress, count: d.bytes)
            } else {
                try write(inFlight.removeValue(forKey: k)!, tile: d.destinationTile, address: d.destinationAddress)
            }
        }
    }
}

/// Activations placed in tile memory: requests are served in order from the bottom of each tile's memory,
/// and what no longer fits goes to DRAM.
public struct ActivationAllocation: Sendable, Equatable {
    public struct Region: Sendable, Equatable {
        public let label: String
        public let tile: Int
        /// Where its on-chip part starts, and its bytes on chip and in DRAM.
        public let address: Int
        public let onChip: Int
        public let spilled: Int
    }

    public let regions: [Region]

    /// Places each request (`bytes` on `tile`) after the previous ones on that tile; the part beyond
    /// `capacity` spills to DRAM.
    public init(_ requests: [(label: String, tile: Int, bytes: Int)], capacity: Int) {
        var used: [Int: Int] = [:]
        regions = requests.map { request in
            let at = used[request.tile, default: 0]
            let onChip = max(0, min(request.bytes, capacity - at))
            used[request.tile] = at + onChip
            return Region(label: request.label, tile: request.tile, address: at, onChip: onChip, spilled: request.bytes - onChip)
        }
    }

    /// Bytes that did not fit on chip.
    public var spilledBytes: Int { regions.reduce(0) { $0 + $1.spilled } }
}
