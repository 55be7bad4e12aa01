import ACIMCore

/// An ideal cell device: linear levels between `g_min` and `g_max`, Gaussian programming noise and
/// Gaussian per-read noise (profile section `device`).
public struct CellDeviceConfig: ComponentConfiguration {
    public var gMin = Quantity<Conductance>(0)
    public var gMax = Quantity<Conductance>(25e-6)
    /// Standard deviation of the programmed conductance around its target.
    public var programmingNoise = Quantity<Conductance>(0)
    /// Standard deviation of the conductance seen by one read.
    public var readNoise = Quantity<Conductance>(0)

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case gMin = "g_min"
        case gMax = "g_max"
        case programmingNoise = "programming_noise"
        case readNoise = "read_noise"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CellDeviceConfig()
        gMin = try c.value(.gMin, default: d.gMin)
        gMax = try c.value(.gMax, default: d.gMax)
        programmingNoise = try c.value(.programmingNoise, default: d.programmingNoise)
        readNoise = try c.value(.readNoise, default: d.readNoise)
    }

    public static let fields: [ConfigField] = [
        ConfigField("g_min", "quantity (S)", default: "0S", allowed: ">= 0", "conductance of level 0"),
        ConfigField("g_max", "quantity (S)", default: "25uS", allowed: "> g_min", "conductance of the top level"),
        ConfigField("programming_noise", "quantity (S)", default: "0S", allowed: ">= 0",
                    "std of the programmed conductance"),
        ConfigField("read_noise", "quantity (S)", default: "0S", allowed: ">= 0", "std of one read of a cell"),
    ]

    public func validate() -> [ConfigIssue] {
        var v = IssueCollector()
        v.require(gMin.value >= 0 && gMin.value.isFinite, "g_min", "expected a conductance >= 0, got \(gMin)")
        v.require(gMax.value > gMin.value && gMax.value.isFinite, "g_max",
                  "expected a conductance above g_min (\(gMin)), got \(gMax)")
        v.require(programmingNoise.value >= 0, "programming_noise", "expected a conductance >= 0")
        v.require(readNoise.value >= 0, "read_noise", "expected a conductance >= 0")
        return v.issues
    }
}
