/// What energy is spent on. The raw value is the component's stable name in machine-readable reports; for
/// a priced event it is the key of its energy-table entry.
public enum CostComponent: String, CaseIterable, Sendable, Codable {
    // One crossbar's MVM events (`energy.array`).
    case wordlineDrive = "wordline_drive"
    case dacConversion = "dac_conversion"
    case cellRead = "cell_read"
    case bitlineCharge = "bitline_charge"
    case adcConversion = "adc_conversion"
    case sparsityDetection = "sparsity_detection"
    case permutation
    case compensation
    case shiftAdd = "shift_add"
    // Outside the crossbars (`energy.chip`).
    case digitalUnit = "digital_unit"
    case tileMemory = "tile_memory"
    case noc
    case dram
    // Keeping the weights healthy (the device controller).
    case programPulse = "program_pulse"
    case verifyRead = "verify_read"
    case reference
    case check

    /// The component's name in a report table.
    public var label: String {
        switch self {
        case .wordlineDrive: "wordline drives"
        case .dacConversion: "DAC"
        case .cellRead: "cell reads"
        case .bitlineCharge: "bit-line charge"
        case .adcConversion: "ADC conversions"
        case .sparsityDetection: "sparsity detection"
        case .permutation: "permutation"
        case .compensation: "compensation"
        case .shiftAdd: "shift-add"
        case .digitalUnit: "digital unit"
        case .tileMemory: "tile memory"
        case .noc: "NoC"
        case .dram: "DRAM"
        case .programPulse: "program pulses"
        case .verifyRead: "verify reads"
        case .reference: "references"
        case .check: "checks"
        }
    }

    /// The component's position in `allCases`, the order reports list components in.
    fileprivate var order: Int {
        switch self {
        case .wordlineDrive: 0
        case .dacConversion: 1
        case .cellRead: 2
        case .bitlineCharge: 3
        case .adcConversion: 4
        case .sparsityDetection: 5
        case .permutation: 6
        case .compensation: 7
        case .shiftAdd: 8
        case .digitalUnit: 9
        case .tileMemory: 10
        case .noc: 11
        case .dram: 12
        case .programPulse: 13
        case .verifyRead: 14
        case .reference: 15
        case .check: 16
        }
    }

    // By position, not by the raw value's text (`RawRepresentable`'s default), which ledgers would hash
    // on every line they book.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.order == rhs.order }
    public func hash(into hasher: inout Hasher) { hasher.combine(order) }
}

/// Where on the chip a cost is spent. Places order as declared (arrays, tiles, layers, the chip), each kind
/// by its value.
public enum CostPlace: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    case array(ArrayID)
    case tile(Int)
    /// A network layer by name, for costs a layer causes wherever it runs.
    case layer(String)
    case chip

    /// The tile that holds the place, the place itself when it is not inside one.
    public var tile: CostPlace {
        if case .array(let id) = self { return .tile(id.tile) }
        return self
    }

    public var description: String {
        switch self {
        case .array(let id): "\(id)"
        case .tile(let tile): "tile \(tile)"
        case .layer(let name): "layer \(name)"
        case .chip: "chip"
        }
    }
}

/// The cost ledger every part of the chip reports into: energy in joules by (place, component), and busy
/// cycles by place. Ledgers add, so the cost of a chip is the sum of its parts' ledgers.
///
/// The busy cycles of a place are the cycles its resource (an array, a tile's memory, a link) was occupied.
/// Adding ledgers adds the busy cycles of each place, and a roll-up or the overall `cycles` adds the busy
/// cycles of the places it covers: resource-cycles (work), not latency. Sixteen arrays busy for 100 cycles
/// each in parallel are 1600 array-cycles; how long they took is the scheduler's answer, not the ledger's.
public struct CostLedger: Sendable, Equatable {
    /// One ledger line: a component at a place.
    public struct Key: Hashable, Sendable {
        public var place: CostPlace
        public var component: CostComponent

        public init(_ place: CostPlace, _ component: CostComponent) {
            self.place = place
            self.component = component
        }
    }

    /// Energy in joules per line; a line is listed once something reported to it, even zero.
    public private(set) var energies: [Key: Double] = [:]
    /// Busy cycles per place.
    public private(set) var busyCycles: [CostPlace: Int] = [:]

    public init() {}

    /// Books `joules` to `component` at `place`.
    public mutating func add(_ joules: Double, to component: CostComponent, at place: CostPlace) {
        energies[Key(place, component), default: 0] += joules
    }

    /// Makes room for `count` lines, so a ledger booked line by line is not rehashed as it grows.
    public mutating func reserveLines(_ count: Int) {
        energies.reserveCapacity(count)
    }

    /// Books `cycles` busy cycles to `place`.
    public mutating func addBusy(_ cycles: Int, at place: CostPlace) {
        busyCycles[place, default: 0] += cycles
    }

    public static func + (lhs: CostLedger, rhs: CostLedger) -> CostLedger {
        var sum = lhs
        sum += rhs
        return sum
    }

    public static func += (lhs: inout CostLedger, rhs: CostLedger) {
        lhs.energies.merge(rhs.energies, uniquingKeysWith: +)
        lhs.busyCycles.merge(rhs.busyCycles, uniquingKeysWith: +)
    }

    // MARK: Totals

    /// All energy, in joules.
    public var energy: Double { lines.reduce(0) { $0 + $1.joules } }

    /// The energy of `component`, over all places.
    public func energy(_ component: CostComponent) -> Double {
        lines.reduce(0) { $1.key.component == component ? $0 + $1.joules : $0 }
    }

    /// The energy spent at `place`, over all components.
    public func energy(at place: CostPlace) -> Double {
        lines.reduce(0) { $1.key.place == place ? $0 + $1.joules : $0 }
    }

    /// The energy of `component` at `place`.
    public func energy(_ component: CostComponent, at place: CostPlace) -> Double {
        energies[Key(place, component)] ?? 0
    }

    /// All busy cycles: the sum over places (resource-cycles, not latency).
    public var cycles: Int { busyCycles.values.reduce(0, +) }

    /// The busy cycles of `place`.
    public func cycles(at place: CostPlace) -> Int { busyCycles[place] ?? 0 }

    /// The components with a line, in report order.
    public var components: [CostComponent] {
        Set(energies.keys.map(\.component)).sorted { $0.order < $1.order }
    }

    /// The places with a line or busy cycles, in order.
    public var places: [CostPlace] {
        Set(energies.keys.map(\.place)).union(busyCycles.keys).sorted()
    }

    // MARK: Roll-up

    /// The ledger with every place replaced by `parent(place)`, its lines and cycles added there.
    public func rolledUp(_ parent: (CostPlace) -> CostPlace) -> CostLedger {
        var ledger = CostLedger()
        for (key, joules) in lines { ledger.add(joules, to: key.component, at: parent(key.place)) }
        for (place, cycles) in busyCycles { ledger.addBusy(cycles, at: parent(place)) }
        return ledger
    }

    /// The ledger with every array's costs added to its tile.
    public var byTile: CostLedger { rolledUp(\.tile) }

    /// The lines by place, then component in report order: sums run in this order, so a total does not
    /// depend on the dictionary's hashing.
    private var lines: [(key: Key, joules: Double)] {
        energies.map { ($0.key, $0.value) }.sorted {
            ($0.key.place, $0.key.component.order) < ($1.key.place, $1.key.component.order)
        }
    }
}

/// Saved as its lines and busy cycles in report order, so the encoding does not depend on hashing.
extension CostLedger: Codable {
    private struct Line: Codable {
        var place: CostPlace
        var component: CostComponent
        var joules: Double
    }

    private struct Busy: Codable {
        var place: CostPlace
        var cycles: Int
    }

    private enum CodingKeys: String, CodingKey { case lines, busyCycles }

    public init(from decoder: any Decoder) throws {
        self.init()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        for line in try container.decode([Line].self, forKey: .lines) {
            energies[Key(line.place, line.component)] = line.joules
        }
        for busy in try container.decode([Busy].self, forKey: .busyCycles) { busyCycles[busy.place] = busy.cycles }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(lines.map { Line(place: $0.key.place, component: $0.key.component, joules: $0.joules) },
                             forKey: .lines)
        try container.encode(busyCycles.sorted { $0.key < $1.key }.map { Busy(place: $0.key, cycles: $0.value) },
                             forKey: .busyCycles)
    }
}
