import ACIMCore
import Foundation

/// The plots of a replay run: accuracy and agreement over deployment time, and the upkeep spent, each
/// with a series per replay (controller on, off) and the trace's temperature changes (and subtask switches,
/// when few) marked.
struct ReplayPlots {
    /// Log-spaced bins the accuracy plot pools its steps into, so that each point rests on many inferences.
    static let bins = 30
    /// Subtask switches are marked when there are at most this many.
    static let markedSwitches = 6

    let accuracy: LinePlot
    let upkeep: LinePlot

    init(states: [ReplayState], controller: [Bool], trace: Trace) {
        var accuracy = LinePlot(title: "Accuracy and agreement with the digital reference, controller on and off",
                                xLabel: "deployment time", yLabel: "% of inferences")
        accuracy.xAxis = .logTime
        var upkeep = LinePlot(title: "Upkeep of the weights", xLabel: "deployment time", yLabel: "upkeep energy so far (uJ)")
        upkeep.xAxis = .logTime
        for (state, on) in zip(states, controller) {
            let label = "controller \(on ? "on" : "off")"
            let short = on ? "on" : "off"
            let pooled = Self.pool(state.timeline.filter { $0.inferences > 0 })
            accuracy.series.append(.init(name: "accuracy, \(short)", points: pooled.compactMap { bin in bin.accuracy.map { (bin.time, 100 * $0) } }))
            accuracy.series.append(.init(name: "agreement, \(short)",
                                         points: pooled.map { ($0.time, 100 * $0.agreement) }, dashed: true))
            var total = 0.0
            upkeep.series.append(.init(name: label, points: state.timeline.map { row in
                total += row.upkeepEnergy
                return (max(row.time, 1), total * 1e6)
            }))
        }
        let events = (states.first?.timeline ?? []).flatMap { row in row.events.map { (time: max(row.time, 1), label: $0) } }
        let switches = events.filter { $0.label.hasPrefix("subtask") }
        let marks = events.filter { $0.label.hasSuffix(" K") || (switches.count <= Self.markedSwitches && $0.label.hasPrefix("subtask")) }
            .map { LinePlot.EventMark(x: $0.time, label: $0.label) }
        accuracy.events = marks
        upkeep.events = marks
        self.accuracy = accuracy
        self.upkeep = upkeep
    }

    /// The steps pooled into log-spaced time bins: per bin the inference-weighted accuracy and agreement,
    /// at the inference-weighted mean time (a log axis starts at 1 s: deployment-time steps count as 1 s).
    static func pool(_ rows: [TimelineRow]) -> [(time: Double, accuracy: Double?, agreement: Double)] {
        guard let first = rows.first, let last = rows.last else { return [] }
        let (low, high) = (log(max(first.time, 1)), log(max(last.time, 1)))
        let width = max(high - low, 1e-9) / Double(bins)
        var n = [Double](repeating: 0, count: bins), time = n, agree = n
        var correct = [Double?](repeating: 0, count: bins)
        for row in rows {
            let count = Double(row.inferences)
            let k = min(bins - 1, Int((log(max(row.time, 1)) - low) / width))
            n[k] += count
            time[k] += count * max(row.time, 1)
            agree[k] += count * (row.agreement ?? 0)
            correct[k] = correct[k].flatMap { sum in row.accuracy.map { sum + count * $0 } }
        }
        return (0..<bins).filter { n[$0] > 0 }.map { k in (time[k] / n[k], correct[k].map { $0 / n[k] }, agree[k] / n[k]) }
    }
}
