/// Prints one line per component: its name, its area in mm2 and its share of `total` (areas in m2).
func sayArea(_ components: [(component: String, area: Double)], total: Double) {
    for line in components {
        say("  " + line.component.padding(toLength: 20, withPad: " ", startingAt: 0)
              + "\(fmt(line.area * 1e6, 3)) mm2".leftPadded(12) + "  " + percent(line.area / total).leftPadded(6))
    }
}
