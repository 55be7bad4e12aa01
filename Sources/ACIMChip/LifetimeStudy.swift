import ACIMArray
import ACIMCore

/// A deployment of one crossbar over simulated time, with the device controller off and on: the array is
/// programmed at t = 0 with random weights and read on a schedule (`acim device lifetime`).
public struct LifetimeStudy: Sendable {
    /// The state of the array at one scheduled read.
    public struct Point: Sendable, Equatable {
        public var time: Double
        /// Mean |W_eff - W_ref| in weight LSB.
        public var weightError: Double
        /// Relative RMS error of an MVM batch against the exact integer product.
        public var mvmError: Double
        /// Weights reprogrammed since deployment, upkeep energy (J) and time (s), host bytes since deployment.
        public var reprogrammed: Int
        public var upkeepEnergy: Double
        public var upkeepTime: Double
        public var hostBytes: Int
    }

    /// How far a run has got, for a progress display: the simulated time reached and, when that is a
    /// scheduled read, the point measured there.
    public struct Progress: Sendable {
        public var time: Double
        public var point: Point?
    }

    public let crossbar: CrossbarConfig
    public let controller: DeviceControllerConfig
    public let schedule: [Double]
    public let seed: UInt64
    /// Input vectors of the MVM batch measured at each point.
    public let batch: Int
    /// Clock of the array, for converting check cycles to time.
    public let clock: Double
    /// Operating temperature in kelvin, at which the array is programmed and read.
    public let temperature: Double
    /// The one array of the study.
    public static let array = ArrayID(tile: 0, slot: 0)

    public init(crossbar: CrossbarConfig, controller: DeviceControllerConfig,
                schedule: [Double] = [3600, 86400, 7 * 86400, 30 * 86400, 365 * 86400],
                seed: UInt64 = 1, batch: Int = 16, clock: Double, temperature: Double) {
        self.crossbar = crossbar
        self.controller = controller
        self.schedule = schedule.sorted()
        self.seed = seed
        self.batch = batch
        self.clock = clock
        self.temperature = temperature
    }

    /// Random weights filling the array (Gaussian, clipped to the code range) and signed random inputs.
    public func workload() -> (weights: Matrix<Int32>, inputs: Matrix<Int32>) {
        let layout = CrossbarLayout(config: crossbar)
        let range = WeightMapping.codeRange(config: crossbar, layout: layout)
        var rng = RandomStream(seed: seed, purpose: .userInput)
        let top = Double(range.upperBound)
        let weights = Matrix<Int32>(rows: layout.logicalRows, columns: layout.weightCapacity) { _, _ in
            if layout.mode == .xnor { return rng.next() & 1 == 0 ? 1 : -1 }
            return Int32(max(Double(range.lowerBound), min(top, (rng.nextGaussian() * top / 3).rounded())))
        }
        let bits = crossbar.periphery.inputBits
        let unsigned = crossbar.periphery.inputEncoding == .unsigned
        let high = unsigned ? (1 << bits) - 1 : (1 << (bits - 1)) - 1
        let inputs = Matrix<Int32>(rows: batch, columns: layout.logicalRows) { _, _ in
            if layout.mode == .xnor { return rng.next() & 1 == 0 ? 1 : -1 }
            let low = unsigned ? 0 : -high
            return Int32(low + Int(rng.next() % UInt64(high - low + 1)))
        }
        return (weights, inputs)
    }

    /// The schedule with the controller off: programmed once, then only read. `progress` is called with each
    /// point as it is measured.
    public func uncontrolled(progress: (Progress) -> Void = { _ in }) throws -> [Point] {
        let (weights, inputs) = workload()
        var array = try Crossbar(config: crossbar, id: LifetimeStudy.array, temperature: temperature)
        try array.program(weights: weights, at: 0, seed: seed)
        var managed = try ManagedCrossbar(crossbar: array, seed: seed)
        try managed.calibrateADC(inputs: inputs)
        return try schedule.map { t in
            managed.setTime(t, temperature: temperature)
            let point = Point(time: t, weightError: DetectionAudit.weightError(managed, master: weights).mean,
                              mvmError: try mvmError(&managed, weights, inputs), reprogrammed: 0, upkeepEnergy: 0,
                              upkeepTime: 0, hostBytes: 0)
            progress(Progress(time: t, point: point))
            return point
        }
    }

    /// The schedule with the controller on: it deploys the weights from its references and keeps them,
    /// advancing in steps of its check interval; a read at a scheduled time sees the array before a check
    /// due at that same time. `progress` is called after every check and with each point as it is measured.
    public func controlled(progress: (Progress) -> Void = { _ in }) throws -> [Point] {
        let (weights, inputs) = workload()
        var array = try Crossbar(config: crossbar, id: LifetimeStudy.array, temperature: temperature)
        try array.map(weights: weights, at: 0, seed: seed)
        var managed = try ManagedCrossbar(crossbar: array, seed: seed)
        let host = MasterWeights([LifetimeStudy.array: weights])
        var device = try ArrayController(config: controller, array: LifetimeStudy.array, host: host,
                                         weightBits: crossbar.array.weightBits, seed: seed, clock: clock, start: 0,
                                         temperature: temperature)
        try device.deploy(&managed, host: host)
        try managed.calibrateADC(inputs: inputs)
        let deployed = (bytes: device.hostBytes, counters: device.counters)
        var now = 0.0
        var points: [Point] = []
        for t in schedule {
            // Inference at `t` comes first; a check due at the same instant runs after it, when the array
            // is idle, so each point shows the array at the end of a maintenance interval.
            while now + controller.checkInterval.value < t {
                now += controller.checkInterval.value
                managed.recordReads(batch)
                managed.setTime(now, temperature: temperature)
                try device.maintain(&managed, reads: batch, host: host)
                progress(Progress(time: now, point: nil))
            }
            managed.setTime(t, temperature: temperature)
            let c = device.counters
            points.append(Point(
                time: t, weightError: DetectionAudit.weightError(managed, master: weights).mean,
                mvmError: try mvmError(&managed, weights, inputs),
                reprogrammed: c.cellsReprogrammed,
                upkeepEnergy: c.upkeepEnergy - deployed.counters.upkeepEnergy,
                upkeepTime: c.programLatency - deployed.counters.programLatency
                    + Double(c.checkCycles - deployed.counters.checkCycles) / clock,
                hostBytes: device.hostBytes - deployed.bytes))
            progress(Progress(time: t, point: points.last))
        }
        return points
    }

    /// Relative RMS error of one batch against the exact integer product `inputs x weights`.
    private func mvmError(_ array: inout ManagedCrossbar, _ weights: Matrix<Int32>, _ inputs: Matrix<Int32>) throws -> Double {
        let outputs = try array.infer(inputs).outputs
        var error = 0.0
        var norm = 0.0
        for b in 0..<inputs.rows {
            for c in 0..<weights.columns {
                var exact = 0.0
                for r in 0..<weights.rows { exact += Double(inputs[b, r]) * Double(weights[r, c]) }
                error += (outputs[b, c] - exact) * (outputs[b, c] - exact)
                norm += exact * exact
            }
        }
        return norm > 0 ? (error / norm).squareRoot() : 0
    }
}
