import ACIMCore

/// Which rows gating switches off.
public enum GatingGranularity: String, ConfigEnumeration {
    /// Rows whose activation is zero, for every phase.
    case row
    /// Rows whose digit in the current phase is zero.
    case bitPlane = "bit_plane"
}

/// What a disabled cell does to the charge shared on its bit line.
public enum DisabledCellMode: String, ConfigEnumeration {
    /// Disabled cells still load the bit line with zero charge: the ADC range stays that of all rows.
    case grounded
    /// Disabled cells leave the charge sharing: the ADC range scales with the connected cells.
    case disconnected
}

/// The cell operation: AND for multi-bit data, XNOR for binary data, or chosen from the data.
public enum CellMode: String, ConfigEnumeration {
    /// Multibit inputs: product = input digit AND cell level.
    case and
    /// Binary inputs and weights (+1/-1): product = XNOR(input, weight).
    case xnor
    /// XNOR when inputs and weights are binary, AND otherwise.
    case auto
}

/// The input-sparsity threshold: a fixed fraction or the energy break-even point.
public enum SparsityThreshold: BoundedConfigValue, CustomStringConvertible {
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

    public static let configType = "number | auto"
    public static let configExpectation = "a number or auto"
    public static let rangeNoun = "number"
    public static func rangeNumber(_ bound: Double) -> Double { bound }
    /// The fixed threshold; `auto` has no value to range-check.
    public var rangeValue: Double? {
        if case let .fixed(value) = self { return value }
        return nil
    }
    public static func rangeText(of magnitude: Double) -> String { Double.rangeText(of: magnitude) }
    public static func rangeNeighbour(of magnitude: Double, up: Bool) -> Double { Double.rangeNeighbour(of: magnitude, up: up) }
    public var yamlText: String { rangeValue.map(Self.rangeText(of:)) ?? "auto" }
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

    public static let keys: [ConfigKey<Self>] = [
        .key(\.enabled, "enabled", "sparsity-aware disabling on or off"),
        .key(\.inputThreshold, "input_threshold", in: 0...1, rule: "or auto",
             "gate when the input zero fraction is strictly above this; auto: energy break-even"),
        .key(\.weightThreshold, "weight_threshold", in: 0...1,
             "resequence rows and columns when the weight zero fraction is strictly above this"),
        .key(\.granularity, "granularity",
             "disable rows with a zero input, or rows with a zero digit in the current phase"),
        .key(\.disabledCells, "disabled_cells", "disabled cells stay on the bit line, or leave the charge sharing"),
        .key(\.mode, "mode", "cell operation; auto: XNOR for binary data"),
        .key(\.disableZeroWeightCells, "disable_zero_weight_cells", "also disconnect cells at level 0 (AND mode)"),
    ]
}
