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
    @Option(parsing: .unconditional, help: "Target conductances with units, in g_min...g_max and above 0.") var levels = "0.25uS,5uS,25uS"
    @Option(parsing: .unconditional, help: "Read times, e.g. 0,1h,1y (a bare number is seconds).") var times = "0,1s,1h,1d,1y"
    @Option(parsing: .unconditional, help: "Devices sampled per level.") var samples = 10_000
    @Option(parsing: .unconditional, help: "Seed of every random stream.") var seed: UInt64 = 1
    @Flag(help: "Count times from programming instead of from the first read at t0.") var sinceProgramming = false
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() throws {
        let hardware = try profile.load()
        let targets = try parseQuantities(levels, "--levels", as: Conductance.self)
        let readTimes = try parseQuantities(times, "--times", as: ACIMCore.Duration.self)
        let (gMin, gMax) = (hardware.device.gMin, hardware.device.gMax)
        if let bad = targets.first(where: { $0 <= 0 || $0 < gMin.value || $0 > gMax.value }) {
            throw CLIError("--levels: \(Quantity<Conductance>(bad)) is outside the device's range: expected conductances above 0S in g_min...g_max (\(gMin)...\(gMax))")
        }
        if let bad = readTimes.first(where: { $0 < 0 }) {
            throw CLIError("--times: expected durations >= 0, got \(Quantity<ACIMCore.Duration>(bad))")
        }
        try check(samples, atLeast: 2, "--samples")
        try MemoryBudget.require(Self.bytesPerSample * Double(samples), for: "--samples \(samples)")
        let model = DeviceModel(config: hardware.device)
        let offset = sinceProgramming ? 0 : model.t0
        var rows: [[String: Double]] = []
        for (l, target) in targets.enumerated() {
            // The devices of one level are the cells of one sample array.
            let devices = ArrayID(tile: 0, slot: l)
            let programming = RandomStream(seed: seed, array: devices, purpose: .programmingNoise, event: 0)
            let drift = RandomStream(seed: seed, array: devices, purpose: .driftExponent, event: 0)
            let programmed = (0..<samples).map { model.programmed(target: target, z: programming.gaussian(at: UInt64($0))) }
            let nus = (0..<samples).map { model.driftExponent(target: target, z: drift.gaussian(at: UInt64($0))) }
            for (k, t) in readTimes.enumerated() {
                let noise = RandomStream(seed: seed, array: devices, purpose: .deviceNoise, event: UInt64(k))
                let g = (0..<samples).map { i in
                    model.conductance(programmed: programmed[i], nu: nus[i], elapsed: t + offset,
                                      z1: noise.gaussian(at: 2 * UInt64(i)), z2: noise.gaussian(at: 2 * UInt64(i) + 1))
                }
                let scale = 1 / target
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
            say(String(decoding: data, as: UTF8.self))
            return
        }
        say("device model \(hardware.device.model.rawValue), \(samples) devices per level, seed \(seed)")
        say(sinceProgramming ? "times since programming" : "times as aihwkit t_inference: from the first read at t0 = \(fmt(model.t0, 0)) s after programming")
        say("level      time      prog/target (mean, std)   nu (mean, std)      g(t)/target (mean, std)")
        for row in rows {
            let level = QuantityParser.format(row["level"]!, baseUnit: "S")
            let time = Quantity<ACIMCore.Duration>(row["time"]!).description
            say(level.padding(toLength: 10, withPad: " ", startingAt: 0) + " "
                  + time.padding(toLength: 9, withPad: " ", startingAt: 0)
                  + " \(fmt(row["programmed_mean"]!, 4))  \(fmt(row["programmed_std"]!, 4))           "
                  + "\(fmt(row["nu_mean"]!, 4))  \(fmt(row["nu_std"]!, 4))      "
                  + "\(fmt(row["g_mean"]!, 4))  \(fmt(row["g_std"]!, 4))")
        }
        say("GDC factor (global, random weights): " + zip(readTimes, gdc).map {
            "\(Quantity<ACIMCore.Duration>($0)) \(fmt($1, 4))"
        }.joined(separator: ", "))
    }

    /// Bytes held per sampled device at the peak: programmed conductance, drift exponent, conductance at one
    /// time and one normalized copy the moments are taken of (8 bytes each).
    static let bytesPerSample = 4.0 * 8

    /// The global drift-compensation factor of a crossbar with random weights at each time since programming.
    private func compensation(_ config: CrossbarConfig, technology: TechnologyConfig, times: [Double]) throws -> [Double] {
        let (clock, temperature) = (technology.clock.value, technology.temperature.value)
        var config = config
        config.device.driftCompensation = .global
        let study = LifetimeStudy(crossbar: config, controller: DeviceControllerConfig(), seed: seed,
                                  clock: clock, temperature: temperature)
        var array = try Crossbar(config: config, id: singleArray, temperature: temperature)
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
            The array is programmed at t = 0 and read at 1 h, 1 d, 1 week, 30 d and 1 year. The controller \
            (profile section controller) checks at its check_interval and repairs from its digital references; \
            its upkeep energy and time and the host bytes sent after deployment are counted. Each row is \
            printed when it is measured; on a terminal, a progress line on standard error shows the simulated \
            time reached.
            """)

    @OptionGroup var profile: ProfileOption
    @Option(parsing: .unconditional, help: "Check interval, overriding the profile, e.g. 1d (a bare number is seconds).") var interval: String?
    @Option(parsing: .unconditional, help: "Input vectors of the MVM batch measured at each point.") var batch = 16
    @Option(parsing: .unconditional, help: "Seed of every random stream.") var seed: UInt64 = 1
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() throws {
        try check(batch, atLeast: 1, "--batch")
        let hardware = try profile.load()
        var controller = hardware.controller
        if !controller.enabled {
            try rejectIgnored([("--interval", interval != nil)], because: "the profile's controller is off (controller.enabled: false)")
        }
        if let interval {
            controller.checkInterval = Quantity(try parseQuantity(interval, "--interval", as: ACIMCore.Duration.self))
            do { _ = try controller.validated() } catch let error as ACIMError { throw CLIError("--interval: \(error)") }
        }
        let layout = CrossbarLayout(config: hardware.crossbar)
        try MemoryBudget.require(MVM.bytesPerVector(rows: layout.logicalRows, outputs: layout.weightCapacity, layout: layout)
                                 * Double(batch), for: "--batch \(batch)")
        let study = LifetimeStudy(crossbar: hardware.crossbar, controller: controller, seed: seed, batch: batch,
                                  clock: hardware.technology.clock.value,
                                  temperature: hardware.technology.temperature.value)
        let progress = ProgressLine()
        let widths = [8, 14, 9, 14, 9, 14, 15, 13, 12]
        func row(_ fields: [String]) -> String {
            zip(fields, widths).enumerated().map { i, field in
                let pad = String(repeating: " ", count: max(0, field.1 - field.0.count))
                return i == 0 ? field.0 + pad : pad + field.0
            }.joined()
        }
        if !json {
            progress.print("profile \(hardware.name): \(hardware.array.rows)x\(hardware.array.cols) array, \(layout.logicalRows)x\(layout.weightCapacity) weights, device \(hardware.device.model.rawValue), drift compensation \(hardware.device.driftCompensation.rawValue)")
            progress.print("controller: check every \(controller.checkInterval.formatted()), coverage \(controller.coverage.rawValue), policy \(controller.policy.rawValue), localization \(controller.localization.rawValue)")
            progress.print(row(["time", "off: mean|dW|", "MVM err", "on: mean|dW|", "MVM err", "reprogrammed",
                                "upkeep energy", "upkeep time", "host bytes"]))
        }
        let end = study.schedule.last ?? 0
        let started = Date()
        func show(_ run: String, _ time: Double, force: Bool = false) {
            let done = end > 0 ? Int((100 * time / end).rounded(.down)) : 100
            progress.show("controller \(run): \(done) % of \(Quantity<ACIMCore.Duration>(end).formatted()) simulated, "
                          + "\(Int(Date().timeIntervalSince(started))) s elapsed", force: force)
        }
        show("off", 0, force: true)
        let off = try study.uncontrolled { show("off", $0.time) }
        var measured = 0
        let on = try study.controlled { report in
            guard let on = report.point else { return show("on", report.time) }
            let a = off[measured]
            measured += 1
            if !json {
                progress.print(row([
                    Quantity<ACIMCore.Duration>(a.time).formatted(), fmt(a.weightError, 3), fmt(a.mvmError, 4),
                    fmt(on.weightError, 3), fmt(on.mvmError, 4), "\(on.reprogrammed)",
                    Quantity<Energy>(on.upkeepEnergy).formatted(), Quantity<ACIMCore.Duration>(on.upkeepTime).formatted(),
                    Quantity<Bytes>(Double(on.hostBytes)).formatted()]))
            }
            show("on", report.time, force: true)
        }
        progress.clear()
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
            say(String(decoding: data, as: UTF8.self))
        }
    }
}
