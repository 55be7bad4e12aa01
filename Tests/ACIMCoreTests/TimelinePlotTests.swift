import ACIMCore
import Foundation
import Testing

/// Timelines as SVG: a well-formed document, bars where their cycles say, one legend entry per group.
@Suite struct TimelinePlotTests {
    @Test func barsLandOnTheirRowsAndCycles() throws {
        let plot = TimelinePlot(title: "t & u", xLabel: "cycle", rows: ["array 0", "link 0->1"], bars: [
            .init(row: "array 0", start: 0, end: 50, group: "conv1"),
            .init(row: "link 0->1", start: 50, end: 100, group: "conv2"),
            .init(row: "array 0", start: 60, end: 80, group: "conv1"),
        ])
        let svg = plot.svg(width: 1170)
        let elements = try SVGPlotTests.elements(svg)
        // The bars: 1000 pixels for 100 cycles from x = 150, rows 14 pixels from y = 40.
        let bars = elements.filter { $0.name == "rect" && SVGPlotTests.attribute($0, "fill")?.hasPrefix("#") == true
            && SVGPlotTests.attribute($0, "height") == "12.00" }
        #expect(bars.map { SVGPlotTests.attribute($0, "x") } == ["150.00", "650.00", "750.00"])
        #expect(bars.map { SVGPlotTests.attribute($0, "width") } == ["500.00", "500.00", "200.00"])
        #expect(bars.map { SVGPlotTests.attribute($0, "y") } == ["41.00", "55.00", "41.00"])
        #expect(bars[0].attributes?.first { $0.name == "fill" }?.stringValue == bars[2].attributes?.first { $0.name == "fill" }?.stringValue)
        let texts = elements.filter { $0.name == "text" }.compactMap(\.stringValue)
        #expect(texts.contains("t & u") && texts.contains("conv1") && texts.contains("conv2") && texts.contains("link 0->1"))
        #expect(plot.svg(width: 1170) == svg)
    }
}
