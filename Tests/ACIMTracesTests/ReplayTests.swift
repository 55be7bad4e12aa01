import ACIMArray
import ACIMChip
import ACIMCore
import ACIMHost
import ACIMNetwork
import Foundation
import Testing
@testable import ACIMTraces

/// The replay engine: events and steady traffic in time order on a drifting chip, with and without the
/// device controller.
@Suite struct ReplayTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The digits model on 8 arrays of 128x128 PCM cells (drift, read noise) on 2 tiles.
    static func setup(controller: Bool, step: Double = 3600) throws -> ReplaySetup {
        var crossbar = CrossbarConfig()
        crossbar.array.rows = 128
        crossbar.array.cols = 128
        crossbar.device.model = .pcm
        crossbar.device.gMax = Quantity(25e-6)
        var tile = TileConfig()
        tile.arrays = 4
        var chipConfig = ChipConfig()
        chipConfig.tiles = 2
        chipConfig.meshRows = 1
        chipConfig.meshCols = 2
        var controllerConfig = DeviceControllerConfig()
        controllerConfig.checkInterval = Quantity(86_400)
        let chip = try Chip(technology: TechnologyConfig(), crossbar: crossbar, tile: tile, chip: chipConfig,
                            controller: controllerConfig, energy: ChipEnergy(), area: AreaConfig())
        let model = try ModelFile.load(path: root.appendingPathComponent("Models/digits-san.safetensors").path)
        let raw = try Digits.load(path: root.appendingPathComponent("Data/digits/digits.csv").path)
        let data = Dataset(images: model.preprocessing.apply(to: raw.images), labels: raw.labels)
        return ReplaySetup(chip: chip, model: model, data: data, calibration: try Digits.splits(data).calibration,
                           controller: controller, step: step, engine: FastEngine(), arrayEngine: FastEngine(threads: 1))
    }

    static func event(_ line: Int, _ time: Double, _ event: TraceEvent) -> TimedEvent {
        TimedEvent(line: line, time: time, event: event)
    }

    /// Deploy, a day of traffic, a subtask switch, a temperature step, a forced check, then a month later
    /// more traffic.
    static let trace = Trace(path: "test.jsonl", header: .init(version: 1, seed: 3), events: [
        event(2, 0, .deploy),
        event(3, 0, .infer(Inference(inputs: .range(1437..<1797), count: 24, period: 1800, subtask: nil))),
        event(4, 43_200, .subtask("0,1+2,3")),
        event(5, 43_200, .infer(Inference(inputs: .indices([1437, 1438, 1440, 1441]), count: 8, period: 3600, subtask: nil))),
        event(6, 86_400, .temperature(kelvin: 330, ramp: 0)),
        event(7, 86_400, .maintain),
        event(8, 30 * 86_400, .infer(Inference(inputs: .range(1500..<1520), count: 20, period: 0, subtask: "all"))),
    ])

    static func replay(controller: Bool) throws -> Replay {
        var replay = try Replay(trace: trace, setup: try setup(controller: controller))
        while !replay.isFinished { try replay.advance() }
        return replay
    }

    @Test func replaysEveryEventAndInferenceInTimeOrder() throws {
        let replay = try Self.replay(controller: true)
        let summary = ReplaySummary(replay)
        #expect(summary.inferences == 24 + 8 + 20)
        #expect(replay.timeline.map(\.time) == replay.timeline.map(\.time).sorted())
        #expect(replay.chip.time == 30 * 86_400)
        #expect(replay.chip.temperature == 330)
        #expect(summary.subtaskSwitches == 2)
        #expect(summary.deployment?.hostBytes == replay.placement.weights)
        #expect(summary.upkeep.checks > 0)
        // The first stream ends before noon; the second serves the subtask; the third names the full network.
        let subtaskRows = replay.timeline.filter { $0.subtask == "0,1+2,3" && $0.inferences > 0 }
        #expect(subtaskRows.reduce(0) { $0 + $1.inferences } == 8)
        #expect(replay.timeline.first?.events == ["deploy"])
        #expect(replay.timeline.contains { $0.events.contains("maintain") })
        for row in replay.timeline where row.inferences > 0 {
            #expect((0...1).contains(row.accuracy!) && (0...1).contains(row.agreement!))
        }
    }

    /// The replay is a value: a copy taken half-way and continued ends exactly where the original ends.
    @Test func aCopyContinuesExactly() throws {
        var replay = try Replay(trace: Self.trace, setup: try Self.setup(controller: true))
        for _ in 0..<10 { try replay.advance() }
        var copy = replay
        while !replay.isFinished { try replay.advance() }
        while !copy.isFinished { try copy.advance() }
        #expect(copy.timeline == replay.timeline)
        #expect(ReplaySummary(copy) == ReplaySummary(replay))
    }

    /// Without the controller nothing is checked or repaired after deployment.
    @Test func controllerOffChecksNothing() throws {
        let off = ReplaySummary(try Self.replay(controller: false))
        #expect(off.upkeep.checks == 0 && off.upkeep.weightsReprogrammed == 0 && off.upkeep.energy == 0)
        #expect(off.inferences == 52)
    }
}

/// The bundled traces are valid and say what their summaries promise.
@Suite struct BundledTraceTests {
    static func load(_ name: String) throws -> Trace {
        try TraceParser.load(path: ReplayTests.root.appendingPathComponent("Traces/\(name)").path,
                             allowedRoots: [ReplayTests.root.path])
    }

    static func inferences(_ trace: Trace) -> Int {
        trace.events.reduce(0) { total, event in
            guard case let .infer(inference) = event.event else { return total }
            return total + inference.count
        }
    }

    @Test func theDayServes720Inferences() throws {
        let day = try Self.load("digits-day.jsonl")
        #expect(Self.inferences(day) == 720)
        #expect(day.header.profile?.hasSuffix("HardwareProfiles/default.yaml") == true)
        #expect(day.events.last!.time < 86_400)
    }

    @Test func theYearServesAYearOfTraffic() throws {
        let year = try Self.load("digits-year.jsonl")
        #expect(Self.inferences(year) == 365 * 270)
        #expect(year.header.profile?.hasSuffix("HardwareProfiles/default-pcm.yaml") == true)
        #expect(year.events.contains { $0.event == .temperature(kelvin: 358.15, ramp: 3600) })
        #expect(year.events.filter { if case .subtask = $0.event { true } else { false } }.count == 11)
        #expect(year.events.last!.time > 364 * 86_400)
    }
}
