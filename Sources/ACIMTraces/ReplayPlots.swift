import ACIMCore

/// The plots of a replay run: accuracy and agreement over deployment time, and the upkeep spent, each
/// with a series per replay (controller on, off) and the trace's subtask switches and temperature
/// changes marked.
struct ReplayPlots {
    let accuracy: LinePlot
    let upkeep: LinePlot

    init(states: [ReplayState], controller: [Bool], trace: Trace) {
        var accuracy = LinePlot(title: "Accuracy over deployment", xLabel: "deployment time", yLabel: "% of inferences")
        accuracy.xAxis = .logTime
        var upkeep = LinePlot(title: "Upkeep of the weights", xLabel: "deployment time", yLabel: "upkeep energy so far (uJ)")
        upkeep.xAxis = .logTime
        for (state, on) in zip(states, controller) {
            let label = "controller \(on ? "on" : "off")"
            // A log time axis starts at 1 s: what happens at deployment is drawn there.
            let served = state.timeline.filter { $0.inferences > 0 }
            accuracy.series.append(.init(name: "accuracy, \(label)",
                                         points: served.compactMap { row in row.accuracy.map { (max(row.time, 1), 100 * $0) } }))
            accuracy.series.append(.init(name: "agreement with the reference, \(label)",
                                         points: served.compactMap { row in row.agreement.map { (max(row.time, 1), 100 * $0) } },
                                         dashed: true))
            var total = 0.0
            upkeep.series.append(.init(name: label, points: state.timeline.map { row in
                total += row.upkeepEnergy
                return (max(row.time, 1), total * 1e6)
            }))
        }
        let marks = (states.first?.timeline ?? []).flatMap { row in
            row.events.filter { $0.hasPrefix("subtask") || $0.hasSuffix(" K") || $0.hasSuffix("C") }
                .map { LinePlot.EventMark(x: max(row.time, 1), label: $0) }
        }
        accuracy.events = marks
        upkeep.events = marks
        self.accuracy = accuracy
        self.upkeep = upkeep
    }
}
