import ACIMCore
import CKernels

/// The inputs of a batch as the DACs apply them: in array row order, split into passes.
public struct InputSchedule: Sendable {
    /// One pass: each input vector resequenced to array row order (unless the rows keep their order) and
    /// made unsigned, `max(sign * x, 0) + bias` (clamped only for two-pass inputs), and the pass's sign. The
    /// values are non-negative but for XNOR inputs (-1, 0, +1) and sign-magnitude inputs (signed codes, the
    /// sign the drive's polarity). They are computed per vector, as the engines read them.
    public struct Pass: Sendable {
        public let sign: Double
        let factor: Int32
        let bias: Int32
        let clamps: Bool
        let inputs: Matrix<Int32>
        /// The logical row at each array row; nil when the rows keep their order.
        let rowOrder: [Int64]?
        /// Whether every value of the pass is known to be zero (the negative pass of non-negative inputs, say).
        let isZero: Bool

        /// The value of vector `b` at array row `i`.
        public func value(_ b: Int, _ i: Int) -> Int32 {
            let x = factor &* inputs[b, rowOrder.map { Int($0[i]) } ?? i]
            return (clamps ? max(x, 0) : x) &+ bias
        }

        /// Writes the values of vector `b` (one per array row) to `values`, in one vectorized pass, and returns
        /// whether any is not zero.
        public func vector(_ b: Int, into values: UnsafeMutablePointer<Int32>) -> Bool {
            inputs.storage.withUnsafeBufferPointer { source in
                (rowOrder ?? []).withUnsafeBufferPointer { order in
                    acim_pass_values(source.baseAddress! + b * inputs.columns, 1, Int64(inputs.columns),
                                     rowOrder == nil ? nil : order.baseAddress, factor, bias, clamps ? 1 : 0, values) != 0
                }
            }
        }
    }

    public let passes: [Pass]
    /// The digital correction per unit of weight column sum (offset-encoded inputs), else 0.
    public let inputOffset: Int64

    /// Validates `inputs` (`vectors x rows` codes in logical row order) and schedules them.
    public init(inputs: Matrix<Int32>, mapping: WeightMapping, config: CrossbarConfig) throws {
        let layout = CrossbarLayout(config: config)
        guard inputs.columns == mapping.rows else {
            throw ACIMError.shapeMismatch("input vectors have \(inputs.columns) elements; the mapped weights have \(mapping.rows) rows")
        }
        let bits = config.periphery.inputBits
        let encoding = config.periphery.inputEncoding
        let range: ClosedRange<Int32>
        if layout.mode == .xnor {
            range = -1...1
        } else {
            switch encoding {
            case .unsigned: range = 0...Int32((1 << bits) - 1)
            case .twoPass, .signMagnitude: range = -Int32((1 << (bits - 1)) - 1)...Int32((1 << (bits - 1)) - 1)
            case .offset: range = -Int32(1 << (bits - 1))...Int32((1 << (bits - 1)) - 1)
            }
        }
        // The smallest and largest code in one vectorized pass; the first code out of range is looked for
        // only to report it.
        var (low, high) = (Int32.max, Int32.min)
        inputs.storage.withUnsafeBufferPointer { acim_min_max($0.baseAddress, Int64($0.count), &low, &high) }
        if low < range.lowerBound || high > range.upperBound {
            let index = inputs.storage.firstIndex { !range.contains($0) }!
            throw ACIMError.invalidParameter(
                name: "input[\(index / inputs.columns)][\(index % inputs.columns)]", value: "\(inputs.storage[index])",
                expected: "a code in \(range.lowerBound)...\(range.upperBound) for "
                    + (layout.mode == .xnor ? "xnor inputs (0 flags a zero input)" : "\(bits)-bit \(encoding.rawValue) inputs"))
        }
        let rowOrder = mapping.resequenced ? mapping.rowOrder.map { Int64($0) } : nil
        func pass(_ sign: Int32, bias: Int32 = 0, clamps: Bool) -> Pass {
            // sign * x for x in low ... high, clamped at 0 or not, plus the bias: zero for every input when the
            // bias is and every sign * x is 0 (or, clamped, at most 0). (Offset inputs all at minus the bias
            // are not found here; their vectors are still skipped one by one.)
            let isZero = bias == 0 && !inputs.storage.isEmpty
                && (sign > 0 ? high <= 0 && (clamps || low == 0) : low >= 0 && (clamps || high == 0))
            return Pass(sign: Double(sign), factor: sign, bias: bias, clamps: clamps, inputs: inputs, rowOrder: rowOrder,
                        isZero: isZero)
        }
        inputOffset = InputSchedule.inputOffset(config: config)
        if layout.mode == .xnor {
            passes = [pass(1, clamps: false)]
            return
        }
        switch encoding {
        case .unsigned, .signMagnitude:
            passes = [pass(1, clamps: false)]
        case .twoPass:
            passes = [pass(1, clamps: true), pass(-1, clamps: true)]
        case .offset:
            passes = [pass(1, bias: Int32(inputOffset), clamps: false)]
        }
    }

    /// The bias offset-encoded inputs are applied with, `2^(bits - 1)`, which the digital correction takes
    /// off again per unit of weight column sum; 0 for every other encoding.
    public static func inputOffset(config: CrossbarConfig) -> Int64 {
        guard CrossbarLayout(config: config).mode != .xnor, config.periphery.inputEncoding == .offset else { return 0 }
        return Int64(1) << (config.periphery.inputBits - 1)
    }
}

/// The run-time side of sparsity-aware disabling: the threshold and which rows a phase connects.
public struct SparsityGate: Sendable {
    public let enabled: Bool
    /// The input-sparsity threshold in force (resolved when `auto`).
    public let threshold: Double
    public let granularity: GatingGranularity
    /// True when disabled cells leave the charge sharing, so the ADC range follows the connected cells.
    public let rescalesRange: Bool
    /// True when zero-level cells are disabled individually.
    public let disablesZeroCells: Bool

    public init(config: CrossbarConfig, mapping: WeightMapping) {
        let sparsity = config.periphery.sparsity
        let layout = CrossbarLayout(config: config)
        enabled = sparsity.enabled
        granularity = sparsity.granularity
        rescalesRange = sparsity.enabled && sparsity.disabledCells == .disconnected
        disablesZeroCells = sparsity.enabled && sparsity.disableZeroWeightCells && layout.mode == .and
        switch sparsity.inputThreshold {
        case let .fixed(value): threshold = value
        case .auto: threshold = SparsityGate.breakEven(config: config, mapping: mapping)
        }
    }

    /// Gating applies when the zero fraction of the enabled rows strictly exceeds the threshold.
    @inlinable
    public func applies(zeroRows: Int, enabledRows: Int) -> Bool {
        enabled && enabledRows > 0 && Double(zeroRows) / Double(enabledRows) > threshold
    }

    /// Whether a row with pass value `value` and phase digit `digit` is connected in a phase.
    @inlinable
    public func connects(value: Int32, digit: Int32, gated: Bool) -> Bool {
        guard gated else { return true }
        return granularity == .row ? value != 0 : digit != 0
    }

    /// The sparsity above which gating saves energy (the `auto` threshold):
    /// `s * R * planes * (E_wl + E_dac + E_cell * C + E_charge * C_ones) = R * E_detect + C * E_comp`, `planes`
    /// the bit planes driven per pass.
    public static func breakEven(config: CrossbarConfig, mapping: WeightMapping) -> Double {
        let e = config.scaledEnergy
        let layout = CrossbarLayout(config: config)
        let rows = Double(mapping.rows)
        let columns = Double(mapping.mappedColumns)
        let ones = layout.mode == .xnor ? columns / 2 : 0
        let perRowSaving = Double(layout.phasesPerPass * layout.planesPerPhase)
            * (e.wordlineDrive.value + e.dacConversion.value + e.cellRead.value * columns + e.bitlineCharge.value * ones)
        let overhead = rows * e.sparsityDetection.value + columns * e.compensation.value
        guard perRowSaving > 0 else { return 1 }
        return min(1, max(0, overhead / (rows * perRowSaving)))
    }
}
