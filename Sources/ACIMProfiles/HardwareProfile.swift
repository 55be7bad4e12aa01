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
    public init(name: String = "builtin") {
        self.name = name
    }

    /// The largest number of cells a profile may ask for: per-cell state must fit a few GB.
    public static let maxCells = 1 << 32

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

    /// Cells on the whole chip; `Int.max` when the product overflows.
    public var totalCells: Int {
        [array.cols, tile.arrays, chip.tiles].reduce(array.rows) { total, factor in
            let (product, overflow) = total.multipliedReportingOverflow(by: factor)
            return overflow ? Int.max : product
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, description, technology, array, device, periphery, tile, chip, controller, energy, area
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = HardwareProfile()
        // Sections first and the required name last, so a loader sees every section's problems before a missing name.
        description = try c.value(.description, default: d.description)
        technology = try c.value(.technology, default: d.technology)
        array = try c.value(.array, default: d.array)
        device = try c.value(.device, default: d.device)
        periphery = try c.value(.periphery, default: d.periphery)
        tile = try c.value(.tile, default: d.tile)
        chip = try c.value(.chip, default: d.chip)
        controller = try c.value(.controller, default: d.controller)
        energy = try c.value(.energy, default: d.energy)
        area = try c.value(.area, default: d.area)
        name = try c.decode(String.self, forKey: .name)
    }

    public static let fields: [ConfigField] = [
        ConfigField("name", "string", allowed: "required, not empty", "short name that reports carry"),
        ConfigField("description", "string", default: "\"\"", "what the profile models and where its numbers come from"),
        TechnologyConfig.section("technology", "clock, process node, operating temperature"),
        ArrayGeometry.section("array", "crossbar geometry and cell format"),
        CellDeviceConfig.section("device", "cell device model"),
        PeripheryConfig.section("periphery", "DACs, ADCs, mux, timing and sparsity gating"),
        TileConfig.section("tile", "arrays, tile memory and digital unit of one tile"),
        ChipConfig.section("chip", "tiles, mesh, on-chip network and DRAM"),
        DeviceControllerConfig.section("controller", "digital weight store, degradation checks and reprogramming"),
        EnergyTable.section("energy", "energy per event"),
        AreaConfig.section("area", "area per component"),
    ]

    public func validate() -> [ConfigIssue] {
        var v = IssueCollector()
        v.require(!name.trimmingCharacters(in: .whitespaces).isEmpty, "name", "the profile name must not be empty")
        v.nest("technology", technology.validate())
        v.nest("tile", tile.validate())
        v.nest("chip", chip.validate())
        v.nest("controller", controller.validate())
        v.nest("energy", energy.chip.validate().map { $0.nested(under: "chip") })
        v.nest("area", area.validate())
        // The crossbar checks its own ranges and combinations (ADC sharing, slices fitting the columns, cell modes).
        let crossbarIssues = crossbar.validate().map(Self.relocatingCrossbarEnergy)
        guard v.issues.isEmpty, crossbarIssues.isEmpty else { return crossbarIssues + v.issues }
        if controller.referenceBits > array.weightBits {
            v.nest("controller", [ConfigIssue(path: ["reference_bits"],
                message: "reference_bits (\(controller.referenceBits)) must not exceed array.weight_bits (\(array.weightBits))")])
        }
        if controller.coverage == .all && controller.coverageFraction != 1 {
            v.nest("controller", [ConfigIssue(path: ["coverage_fraction"],
                message: "coverage_fraction (\(controller.coverageFraction)) needs coverage predetermined or top_magnitude")])
        }
        if totalCells > Self.maxCells || totalCells <= 0 {
            v.nest("chip", [ConfigIssue(path: ["tiles"],
                message: "\(chip.tiles) tiles x \(tile.arrays) arrays of \(array.rows)x\(array.cols) cells exceed the limit of \(Self.maxCells) cells")])
        }
        return v.issues
    }

    /// Crossbar issues under `energy` belong to `energy.array` in a profile.
    private static func relocatingCrossbarEnergy(_ issue: ConfigIssue) -> ConfigIssue {
        guard issue.path.first == "energy" else { return issue }
        return ConfigIssue(path: ["energy", "array"] + issue.path.dropFirst(), message: issue.message)
    }
}
