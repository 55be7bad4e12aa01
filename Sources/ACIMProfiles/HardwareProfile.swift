import ACIMArray
import ACIMChip
import ACIMCore
import Foundation

/// A complete hardware description: the composition of every component's configuration
/// (docs/profiles.md). Loaded from YAML by `ProfileLoader`; every key but `name` has a default.
public struct HardwareProfile: ComponentConfiguration {
    /// A short name that reports carry.
    public var name: String
    /// What the profile models and where its numbers come from.
    public var description: String = ""
    public var technology = TechnologyConfig()
    public var array = ArrayGeometry()
    public var device = CellDeviceConfig()
    public var periphery = PeripheryConfig()
    public var tile = TileConfig()
    public var chip = ChipConfig()
    public var controller = DeviceControllerConfig()
    public var energy = EnergyTable()
    public var area = AreaConfig()

    /// The built-in defaults under `name`.
    public init(name: String) {
        self.name = name
    }

    /// The built-in defaults, named `builtin`.
    public init() { self.init(name: "builtin") }

    /// The configuration of one crossbar: `array`, `periphery`, `device` and `energy.array`.
    public var crossbar: CrossbarConfig {
        get { CrossbarConfig(array: array, periphery: periphery, device: device, energy: energy.array) }
        set {
            array = newValue.array
            periphery = newValue.periphery
            device = newValue.device
            energy.array = newValue.energy
        }
    }

    /// The chip this profile describes, with every array slot empty.
    public func makeChip() throws -> Chip {
        try Chip(technology: technology, crossbar: crossbar, tile: tile, chip: chip, controller: controller,
                 energy: energy.chip, area: area)
    }

    /// Cells on the whole chip; `Int.max` when the product overflows.
    public var totalCells: Int {
        // Differential unit cells hold two device columns per column (an upper bound where they are refused).
        [array.cols, array.differentialCell == .unitCell ? 2 : 1, tile.arrays, chip.tiles].reduce(array.rows) { total, factor in
            let (product, overflow) = total.multipliedReportingOverflow(by: factor)
            return overflow ? Int.max : product
        }
    }

    public static let keys: [ConfigKey<Self>] = [
        .key(\.name, "name", rule: "not empty", required: true, "short name that reports carry"),
        .key(\.description, "description", "what the profile models and where its numbers come from"),
        .section(\.technology, "technology", "clock, process node, operating temperature"),
        .section(\.array, "array", "crossbar geometry and cell format"),
        .section(\.device, "device", "cell device model"),
        .section(\.periphery, "periphery", "DACs, ADCs, mux, timing and sparsity gating"),
        .section(\.tile, "tile", "arrays, tile memory and digital unit of one tile"),
        .section(\.chip, "chip", "tiles, mesh, on-chip network and DRAM"),
        .section(\.controller, "controller", "digital weight store, degradation checks and reprogramming"),
        .section(\.energy, "energy", "energy per event"),
        .section(\.area, "area", "area per component"),
    ]

    /// The crossbar's combination rules (ADC sharing, slices fitting the columns, cell modes) and the
    /// profile's own, once every key is in its range; the name is always checked.
    public func combinationIssues(keysValid: Bool) -> [ConfigIssue] {
        var v = IssueCollector()
        v.require(!name.trimmingCharacters(in: .whitespaces).isEmpty, "name", "the profile name must not be empty")
        guard keysValid else { return v.issues }
        let crossbarIssues = crossbar.combinationIssues(keysValid: true)
        guard crossbarIssues.isEmpty else { return v.issues + crossbarIssues }
        if controller.referenceBits > array.weightBits {
            v.add(["controller", "reference_bits"],
                  "reference_bits (\(controller.referenceBits)) must not exceed array.weight_bits (\(array.weightBits))")
        }
        if controller.coverage == .all && controller.coverageFraction != 1 {
            v.add(["controller", "coverage_fraction"],
                  "coverage_fraction (\(controller.coverageFraction)) needs coverage predetermined or top_magnitude")
        }
        // Every array in use holds its cells in memory: a chip whose arrays could not all be held is refused.
        let bytes = Double(totalCells) * Chip.bytesPerCell(crossbar)
        if totalCells == Int.max || bytes > MemoryBudget.physicalMemory {
            v.add(["chip", "tiles"],
                  "\(chip.tiles) tiles x \(tile.arrays) arrays of \(array.rows)x\(array.cols) cells need about "
                  + "\(MemoryBudget.format(bytes)) when every array is in use; this machine has "
                  + "\(MemoryBudget.format(MemoryBudget.physicalMemory))")
        }
        return v.issues
    }
}
