import ACIMCore

/// Work on a chip's named resources, built up as a `TaskGraph`: arrays, digital units, tile memories,
/// DMA ports, network links and the DRAM channel, each added the first time a task uses it.
public struct ChipTasks: Sendable {
    /// A resource of the chip a task can hold.
    public enum Resource: Hashable, Comparable, Sendable, CustomStringConvertible {
        case array(ArrayID)
        /// The shared ADCs of an array (`adcCount` units).
        case adcs(ArrayID)
        case digitalUnit(tile: Int)
        case tileMemory(tile: Int)
        case sendPort(tile: Int)
        case receivePort(tile: Int)
        case link(NoC.Link)
        case dram

        public var description: String {
            switch self {
            case .array(let id): "\(id)"
            case .adcs(let id): "ADCs of \(id)"
            case .digitalUnit(let t): "digital unit \(t)"
            case .tileMemory(let t): "tile memory \(t)"
            case .sendPort(let t): "DMA send \(t)"
            case .receivePort(let t): "DMA receive \(t)"
            case .link(let link): "link \(link)"
            case .dram: "DRAM"
            }
        }
    }

    public let noc: NoC
    public private(set) var graph = TaskGraph()
    /// The resource behind each resource index of `graph`.
    public private(set) var resources: [Resource] = []
    private var indices: [Resource: Int] = [:]

    public init(noc: NoC) { self.noc = noc }

    /// The index of `resource`, added on first use with `units` units (by default DMA ports with
    /// `dma_ports` units, the rest with one).
    public mutating func index(_ resource: Resource, units: Int? = nil) -> Int {
        if let i = indices[resource] { return i }
        let units = units ?? {
            switch resource {
            case .sendPort, .receivePort: noc.ports
            default: 1
            }
        }()
        let i = graph.addResource(units: units)
        indices[resource] = i
        resources.append(resource)
        return i
    }

    /// Adds a task of `cycles` holding `resources` after `predecessors`; returns its index.
    @discardableResult
    public mutating func add(cycles: Int, holding resources: [Resource], after predecessors: [Int] = []) -> Int {
        add(cycles: cycles, holdingIndices: resources.map { index($0) }, after: predecessors)
    }

    /// Adds a task holding the resources of the given indices (from `index`); returns its index.
    @discardableResult
    public mutating func add(cycles: Int, holdingIndices resources: [Int], after predecessors: [Int] = []) -> Int {
        graph.add(cycles: cycles, resources: resources, after: predecessors)
    }

    /// Makes the task added last also wait for `predecessor` (no array to build, for the hot paths).
    public mutating func lastWaits(for predecessor: Int) { graph.lastWaits(for: predecessor) }

    /// Adds one DMA descriptor moving `bytes` from tile `a` to tile `b` (a copy through the tile memory
    /// when `a == b`): it holds `a`'s send port, `b`'s receive port and every link of the route.
    @discardableResult
    public mutating func transfer(bytes: Int, from a: Int, to b: Int, after predecessors: [Int] = []) -> Int {
        let held: [Resource] = [.sendPort(tile: a), .receivePort(tile: b)] + noc.route(from: a, to: b).map { .link($0) }
        return add(cycles: noc.transferCycles(bytes: bytes, from: a, to: b), holding: held, after: predecessors)
    }

    /// Makes task `task` also wait for `predecessors` (tasks added in priority order before the tasks they
    /// wait for).
    public mutating func wait(_ task: Int, for predecessors: [Int]) {
        graph.wait(task, for: predecessors)
    }

    /// Busy cycles of every resource used in `schedule` (a unit's cycles summed over its units).
    public func busyCycles(_ schedule: TaskGraph.Schedule) -> [Resource: Int] {
        Dictionary(uniqueKeysWithValues: zip(resources, graph.busyCycles(schedule)))
    }
}
