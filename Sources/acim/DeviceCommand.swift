import ACIMArray
import ACIMChip
import ACIMCore
import ArgumentParser
import Foundation

/// `acim device`: device models over time and the device controller over a deployment.
struct Device: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Device physics over time and the device controller that keeps weights healthy.",
        subcommands: [DeviceStats.self, DeviceLifetime.self])
}

/// Parses a comma-separated list of quantities such as `0.25uS,5uS` or `0,1s,1h`.
func quantities<D: PhysicalDimension>(_ text: String, _ option: String, as _: D.Type) throws -> [Double] {
    try text.split(separator: ",").map { item in
        do {
            return try Quantity<D>(parsing: String(item)).value
        } catch {
            throw ValidationError("\(option): \(error)")
        }
    }
}

/// `acim device stats`: sampled statistics of the device model per target level and time.
struct DeviceStats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Statistics of programming, drift exponent and conductance over time, per target level.",
        discussion: """
            Times count as aihwkit's t_inference does, from the first read at t0 after programming, unless \
            --since-programming is given. The GDC factor is aihwkit's global drift compensation of a crossbar \
            of the profile programmed with random weights.
            """)

    @OptionGroup var profile: ProfileOption
    @Option(help: "Target conductances.") var levels = "0.25uS,5uS,25uS"
    @Option(help: "Read times.") var times = "0,1s,1h,1d,1y"
    @Option(help: "Devices sampled per level.") var samples = 10_000
    @Option(help: "Seed of every random stream.") var seed: UInt64 = 1
    @Flag(help: "Count times from programming instead of from the first read at t0.") var sinceProgramming = false
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() throws {
        let hardware = try profile.load()
        let model = DeviceModel(config: hardware.device)
        let targets = try quantities(levels, "--levels", as: Conductance.self)
        let readTimes = try quantities(times, "--times", as: ACIMCore.Duration.self)
        guard samples >= 2 else { throw ValidationError("--samples: expected at least 2, got \(samples)") }
        guard targets.allSatisfy({ $0 >= 0 }), readTimes.allSatisfy({ $0 >= 0 }) else {
            throw ValidationError("--levels and --times take non-negative quantities")
        }
        let offset = sinceProgramming ? 0 : model.t0
        var rows: [[String: Double]] = []
        for (l, target) in targets.enumerated() {
            let programming = RandomStream(seed: seed, array: UInt64(l), purpose: .programmingNoise)
            let drift = RandomStream(seed: seed, array: UInt64(l), purpose: .driftExponent)
            let programmed = (0..<samples).map { model.programmed(target: target, z: programming.gaussian(at: UInt64($0))) }
            let nus = (0..<samples).map { model.driftExponent(target: target, z: drift.gaussian(at: UInt64($0))) }
            for (k, t) in readTimes.enumerated() {
                let noise = RandomStream(seed: seed, array: UInt64(l), purpose: .deviceNoise, step: UInt64(k))
                let g = (0..<samples).map { i in
                    model.conductance(programmed: programmed[i], nu: nus[i], elapsed: t + offset,
                                      z1: noise.gaussian(at: 2 * UInt64(i)), z2: noise.gaussian(at: 2 * UInt64(i) + 1))
                }
                let scale = target > 0 ? 1 / target : .nan
                let (pm, ps) = moments(programmed.map { $0 * scale })
                let (nm, ns) = moments(nus)
                let (gm, gs) = moments(g.map { $0 * scale })
                rows.append(["level": target, "time": t, "programmed_mean": pm, "programmed_std": ps,
                             "nu_mean": nm, "nu_std": ns, "g_mean": gm, "g_std": gs,
                             "g_abs_mean": moments(g).mean])
            }
        }
        let gdc = try compensation(hardware.crossbar, technology: hardware.technology, times: readTimes.map { $0 + offset })
        if json {
            let document: [String: Any] = [
                "model": hardware.device.model.rawValue, "time_origin": sinceProgramming ? "programming" : "t0",
                "t0": model.t0, "samples": samples, "rows": rows,
                "gdc": zip(readTimes, gdc).map { ["time": $0, "factor": $1] }]
            let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("device model \(hardware.device.model.rawValue), \(samples) devices per level, seed \(seed)")
        print(sinceProgramming ? "times since programming" : "times as aihwkit t_inference: from the first read at t0 = \(fmt(model.t0, 0)) s after programming")
        print("level      time      prog/target (mean, std)   nu (mean, std)      g(t)/target (mean, std)")
        for row in rows {
            let level = QuantityParser.format(row["level"]!, baseUnit: "S")
            let time = Quantity<ACIMCore.Duration>(row["time"]!).description
            print(level.padding(toLength: 10, withPad: " ", startingAt: 0) + " "
                  + time.padding(toLength: 9, withPad: " ", startingAt: 0)
                  + " \(fmt(row["programmed_mean"]!, 4))  \(fmt(row["programmed_std"]!, 4))           "
                  + "\(fmt(row["nu_mean"]!, 4))  \(fmt(row["nu_std"]!, 4))      "
                  + "\(fmt(row["g_mean"]!, 4))  \(fmt(row["g_std"]!, 4))")
        }
        print("GDC factor (global, random weights): " + zip(readTimes, gdc).map {
            "\(Quantity<ACIMCore.Duration>($0)) \(fmt($1, 4))"
        }.joined(separator: ", "))
    }

    /// The global drift-compensation factor of a crossbar with random weights at each time since programming.
    private func compensation(_ config: CrossbarConfig, technology: TechnologyConfig, times: [Double]) throws -> [Double] {
        var config = config
        config.device.driftCompensation = .global
        let study = LifetimeStudy(crossbar: config, controller: DeviceControllerConfig(), seed: seed,
                                  clock: technology.clock.value, temperature: technology.temperature.value)
        var array = try Crossbar(config: config)
        try array.program(weights: study.workload().weights, at: 0, seed: seed)
        return times.map { t in
            array.setTime(t)
            return array.readout?.compensationFactors()?.first ?? 1
        }
    }

    private func moments(_ values: [Double]) -> (mean: Double, std: Double) {
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        return (mean, variance.squareRoot())
    }
}

/// `acim device lifetime`: one array deployed for a year, with the device controller off and on.
struct DeviceLifetime: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lifetime",
        abstract: "Deploy a layer-sized array with random weights and read it over a year, controller off and on.",
        discussion: """
            The array is programmed at t = 0 and read at 1 h, 1 d, 1 week, 1 month and 1 year. The controller \
            (profile section controller) checks at its check_interval and repairs from its digital references; \
            its upkeep energy and time and the host bytes sent after deployment are counted.
            """)

    @OptionGroup var profile: ProfileOption
    @Option(help: "Check interval, overriding the profile (e.g. 1d).") var interval: String?
    @Option(help: "Input vectors of the MVM batch measured at each point.") var batch = 16
    @Option(help: "Seed of every random stream.") var seed: UInt64 = 1
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() throws {
        let hardware = try profile.load()
        var controller = hardware.controller
        if let interval {
            controller.checkInterval = try Quantity(parsing: interval)
            _ = try controller.validated()
        }
        guard batch >= 1 else { throw ValidationError("--batch: expected at least 1, got \(batch)") }
        let study = LifetimeStudy(crossbar: hardware.crossbar, controller: controller, seed: seed, batch: batch,
                                  clock: hardware.technology.clock.value,
                                  temperature: hardware.technology.temperature.value)
        let off = try study.uncontrolled()
        let on = try study.controlled()
        if json {
            let rows = zip(off, on).map { off, on -> [String: Double] in
                ["time": off.time, "off_weight_error": off.weightError, "off_mvm_error": off.mvmError,
                 "on_weight_error": on.weightError, "on_mvm_error": on.mvmError,
                 "reprogrammed": Double(on.reprogrammed), "upkeep_energy": on.upkeepEnergy,
                 "upkeep_time": on.upkeepTime, "host_bytes": Double(on.hostBytes)]
            }
            let data = try JSONSerialization.data(withJSONObject: ["model": hardware.device.model.rawValue,
                                                                   "check_interval": controller.checkInterval.value,
                                                                   "rows": rows] as [String: Any],
                                                  options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let layout = CrossbarLayout(config: hardware.crossbar)
        print("profile \(hardware.name): \(hardware.array.rows)x\(hardware.array.cols) array, \(layout.logicalRows)x\(layout.weightCapacity) weights, device \(hardware.device.model.rawValue), drift compensation \(hardware.device.driftCompensation.rawValue)")
        print("controller: check every \(controller.checkInterval), coverage \(controller.coverage.rawValue), policy \(controller.policy.rawValue), localization \(controller.localization.rawValue)")
        print("time     | off: mean|dW|  MVM err | on: mean|dW|  MVM err  reprogrammed  upkeep energy  upkeep time  host bytes")
        for (a, b) in zip(off, on) {
            let time = Quantity<ACIMCore.Duration>(a.time).description.padding(toLength: 8, withPad: " ", startingAt: 0)
            print("\(time) |   \(fmt(a.weightError, 3))  \(fmt(a.mvmError, 4))  |   \(fmt(b.weightError, 3))  \(fmt(b.mvmError, 4))  \(b.reprogrammed)  \(QuantityParser.format(b.upkeepEnergy, baseUnit: "J"))  \(QuantityParser.format(b.upkeepTime, baseUnit: "s"))  \(b.hostBytes)")
        }
    }
}
