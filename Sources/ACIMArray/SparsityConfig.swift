import ACIMCore

/// Which rows gating switches off.
public enum GatingGranularity: String, Codable, Sendable, CaseIterable {
    /// Rows whose activation is zero, for every phase.
    case row
    /// Rows whose digit in the current phase is zero.
    case bitPlane = "bit_plane"
}

/// What a disabled cell does to the charge shared on its bit line.
public enum DisabledCellMode: String, Codable, Sendable, CaseIterable {
    /// Disabled cells still load the bit line with zero charge: the ADC range stays that of all rows.
    case grounded
    /// Disabled cells leave the charge sharing: the ADC range scales with the connected cells.
    case disconnected
}

/// The cell operation: AND for multi-bit data, XNOR for binary data, or chosen from the data.
public enum CellMode: String, Codable, Sendable, CaseIterable {
    /// Multibit inputs: product = input digit AND cell level.
    case and
    /// Binary inputs and weights (+1/-1): product = XNOR(input, weight).
    case xnor
    /// XNOR when inputs and weights are binary, AND otherwise.
    case auto
}

/// The input-sparsity threshold: a fixed fraction or the energy break-even point.
public enum SparsityThreshold: Codable, Sendable, Equatable, CustomStringConvertible {
    case fixed(Double)
    case auto

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let value = try? c.decode(Double.self) {
            self = .fixed(value)
        } else if let text = try? c.decode(String.self), text == "auto" {
            self = .auto
        } else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected a number in [0, 1] or \"auto\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case let .fixed(value): try c.encode(value)
        case .auto: try c.encode("auto")
        }
    }

    public var description: String {
        switch self {
        case let .fixed(value): return "\(value)"
        case .auto: return "auto"
        }
    }
}

/// Sparsity-aware cell disabling (docs/design.md, *Sparsity-aware cell disabling*).
public struct SparsityConfig: ComponentConfiguration {
    /// Master switch: with `false` no cell is ever disabled and nothing is resequenced.
    public var enabled: Bool = true
    /// Gate only when the input zero fraction is strictly greater than this.
    public var inputThreshold: SparsityThreshold = .fixed(0.2)
    /// Resequence rows and columns only when the weight zero fraction is strictly greater than this.
    public var weightThreshold: Double = 0.5
    public var granularity: GatingGranularity = .row
    public var disabledCells: DisabledCellMode = .disconnected
    public var mode: CellMode = .auto
    /// Also disable individual cells at level 0 (AND mode), which shrinks the connected count per column.
    public var disableZeroWeightCells: Bool = false

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled
        case inputThreshold = "input_threshold"
        case weightThreshold = "weight_threshold"
        case granularity
        case disabledCells = "disabled_cells"
        case mode
        case disableZeroWeightCells = "disable_zero_weight_cells"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SparsityConfig()
        enabled = try c.value(.enabled, default: d.enabled)
        inputThreshold = try c.value(.inputThreshold, default: d.inputThreshold)
        weightThreshold = try c.value(.weightThreshold, default: d.weightThreshold)
        granularity = try c.value(.granularity, default: d.granularity)
        disabledCells = try c.value(.disabledCells, default: d.disabledCells)
        mode = try c.value(.mode, default: d.mode)
        disableZeroWeightCells = try c.value(.disableZeroWeightCells, default: d.disableZeroWeightCells)
    }

    public static let fields: [ConfigField] = [
        ConfigField("enabled", "boolean", default: "true", "sparsity-aware disabling on or off"),
        ConfigField("input_threshold", "number | auto", default: "0.2", allowed: "0...1 or auto",
                    "gate when the input zero fraction is strictly above this; auto: energy break-even"),
        ConfigField("weight_threshold", "number", default: "0.5", allowed: "0...1",
                    "resequence rows and columns when the weight zero fraction is strictly above this"),
        ConfigField("granularity", "row | bit_plane", default: "row",
                    "disable rows with a zero input, or rows with a zero digit in the current phase"),
        ConfigField("disabled_cells", "grounded | disconnected", default: "disconnected",
                    "disabled cells stay on the bit line, or leave the charge sharing"),
        ConfigField("mode", "and | xnor | auto", default: "auto", "cell operation; auto: XNOR for binary data"),
        ConfigField("disable_zero_weight_cells", "boolean", default: "false",
                    "also disconnect cells at level 0 (AND mode)"),
    ]

    public func validate() -> [ConfigIssue] {
        var v = IssueCollector()
        if case let .fixed(t) = inputThreshold { v.check(t, in: 0...1, "input_threshold") }
        v.check(weightThreshold, in: 0...1, "weight_threshold")
        return v.issues
    }
}
