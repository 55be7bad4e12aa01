import ACIMCore
import ACIMTraces
import Foundation

/// The results of a sweep, one row per point: `results.csv`, `results.json` and the Pareto plots. Only what
/// the points computed goes in (no times, hosts or paths), so a sweep run anywhere gives the same bytes.
public struct SweepResults {
    /// One point's row.
    public struct Row: Codable, Sendable, Equatable {
        public var index: Int
        /// The swept keys and their values, in the manifest's order.
        public var overrides: [String: String]
        public var seed: UInt64?
        /// done, failed or pending (any point not finished).
        public var status: String
        public var result: PointResult?
    }

    public let manifest: SweepManifest
    public let rows: [Row]

    public static let files = ["results.csv", "results.json", "pareto-energy.svg", "pareto-latency.svg"]

    /// The results as the folder holds them now.
    public init(folder: SweepFolder) {
        manifest = folder.manifest
        rows = folder.manifest.points.map { point in
            let state = folder.state(of: point)
            let status = state.name == "done" || state.name == "failed" ? state.name : "pending"
            return Row(index: point.index, overrides: Dictionary(uniqueKeysWithValues: zip(folder.manifest.keys, point.overrides)),
                       seed: folder.manifest.seeded ? point.seed : nil, status: status,
                       result: status == "done" ? folder.result(of: point) : nil)
        }
    }

    /// `results.csv`: point, the swept keys, seed (when seeds vary), status, then the figures in SI units.
    public var csv: String {
        let header = ["point"] + manifest.keys + (manifest.seeded ? ["seed"] : []) + ["status", "accuracy", "agreement",
            "latency_s", "energy_per_inference_J", "tops_per_watt", "area_m2", "upkeep_energy_J"]
        var lines = [header.map(TimelineCSV.quoted).joined(separator: ",")]
        for (row, point) in zip(rows, manifest.points) {
            let r = row.result
            let figures = [r?.accuracy, r?.agreement, r?.latency, r?.energyPerInference, r?.topsPerWatt, r?.area, r?.upkeepEnergy]
            let fields = ["\(row.index)"] + point.overrides + (manifest.seeded ? [point.seed.map { "\($0)" } ?? ""] : [])
                + [row.status] + figures.map { $0.map { "\($0)" } ?? "" }
            lines.append(fields.map(TimelineCSV.quoted).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `results.json`: the sweep's keys and every row.
    public func json() throws -> Data {
        struct File: Encodable {
            var schema = "acimsim-sweep-results"
            var version = 1
            var command: SweepCommand
            var keys: [String]
            var points: [Row]
        }
        return try SweepFolder.json(File(command: manifest.command, keys: manifest.keys, points: rows))
    }

    /// Writes the results and plots into the sweep folder, each atomically; returns the paths written.
    public func write(into folder: SweepFolder) throws -> [String] {
        let plots = paretoPlots()
        let contents = [Data(csv.utf8), try json(), Data(plots.energy.utf8), Data(plots.latency.utf8)]
        return try zip(Self.files, contents).map { name, data in
            let path = folder.file(name)
            try FileAccess.writeAtomically(data, to: path)
            return path
        }
    }

    /// A finished point with an accuracy, labelled by its overrides.
    private struct Measured {
        var label: String
        /// Percent.
        var accuracy: Double
        var energy: Double
        var latency: Double
    }

    private var measured: [Measured] {
        zip(rows, manifest.points).compactMap { row, point in
            guard let r = row.result, let accuracy = r.accuracy, let energy = r.energyPerInference, let latency = r.latency
            else { return nil }
            return Measured(label: point.label(keys: manifest.keys, seeds: manifest.seeded), accuracy: accuracy * 100,
                            energy: energy, latency: latency)
        }
    }

    /// Energy per inference and latency against accuracy: every point, labelled, and the Pareto front.
    public func paretoPlots() -> (energy: String, latency: String) {
        let points = measured
        func plot(_ title: String, _ axis: String, unit: Double, _ cost: KeyPath<Measured, Double>) -> String {
            let xy = points.map { (x: $0[keyPath: cost] / unit, y: $0.accuracy) }
            var plot = LinePlot(title: title, xLabel: axis, yLabel: "accuracy (%)")
            let costs = xy.map(\.x)
            if let low = costs.min(), let high = costs.max(), low > 0, high / low > 10 { plot.xAxis = .log }
            plot.series = [
                LinePlot.Series(name: "Pareto front", points: Self.paretoFront(xy), markers: true),
                LinePlot.Series(name: "points", points: xy, markers: true, joined: false, labels: points.map(\.label)),
            ]
            return plot.svg(width: 900, height: 560)
        }
        return (plot("Energy against accuracy", "energy per inference (nJ)", unit: 1e-9, \.energy),
                plot("Latency against accuracy", "latency per inference (us)", unit: 1e-6, \.latency))
    }

    /// The points no other point beats on both cost (lower is better) and accuracy (higher is better), by cost.
    static func paretoFront(_ points: [(x: Double, y: Double)]) -> [(x: Double, y: Double)] {
        var front: [(x: Double, y: Double)] = []
        for point in points.sorted(by: { ($0.x, -$0.y) < ($1.x, -$1.y) }) where front.last.map({ point.y > $0.y }) ?? true {
            front.append(point)
        }
        return front
    }
}
