import ACIMCore
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// Line plots as SVG: the document parses, values land where the axes say, and nothing the reader needs is lost.
@Suite struct SVGPlotTests {
    /// The document's elements, depth first, once a strict parser has found it well formed (`XMLDocument` on
    /// Linux repairs what it reads, an unclosed root included).
    static func elements(_ svg: String) throws -> [XMLElement] {
        let parser = XMLParser(data: Data(svg.utf8))
        try #require(parser.parse() && parser.parserError == nil, "\(String(describing: parser.parserError))")
        let document = try XMLDocument(data: Data(svg.utf8))
        var found: [XMLElement] = []
        func visit(_ element: XMLElement) {
            found.append(element)
            for child in element.children ?? [] { if let child = child as? XMLElement { visit(child) } }
        }
        if let root = document.rootElement() { visit(root) }
        return found
    }

    /// An attribute's value (`attribute(forName:)` misses them under a default namespace on Linux).
    static func attribute(_ element: XMLElement, _ name: String) -> String? {
        element.attributes?.first { $0.name == name }?.stringValue
    }

    /// The child elements named `name` (`elements(forName:)` has the same trouble).
    static func children(_ element: XMLElement?, _ name: String) -> [XMLElement] {
        (element?.children ?? []).compactMap { $0 as? XMLElement }.filter { $0.name == name }
    }

    static func number(_ element: XMLElement, _ name: String) -> Double {
        Double(attribute(element, name) ?? "") ?? .nan
    }

    static func plotArea(_ elements: [XMLElement]) throws -> (x: Double, y: Double, width: Double, height: Double) {
        let area = try #require(elements.first { Self.attribute($0, "class") == "plot-area" })
        return (number(area, "x"), number(area, "y"), number(area, "width"), number(area, "height"))
    }

    /// The vertices of each series' polyline, in series order.
    static func polylines(_ elements: [XMLElement]) -> [[(x: Double, y: Double)]] {
        elements.filter { Self.attribute($0, "class") == "series" }.map { group in
            let points = children(group, "polyline").first.flatMap { attribute($0, "points") } ?? ""
            return points.split(separator: " ").map { pair in
                let xy = pair.split(separator: ",").map { Double($0) ?? .nan }
                return (xy[0], xy[1])
            }
        }
    }

    /// The tick labels of an axis ("x-ticks" or "y-ticks") with their positions along it.
    static func tickLabels(_ elements: [XMLElement], _ axis: String) -> [(label: String, position: Double)] {
        let group = elements.first { Self.attribute($0, "class") == axis }
        return children(group, "text").map {
            ($0.stringValue ?? "", number($0, axis == "x-ticks" ? "x" : "y"))
        }
    }

    static func texts(_ elements: [XMLElement]) -> [String] {
        elements.filter { $0.name == "text" }.map { $0.stringValue ?? "" }
    }

    static func replay() -> LinePlot {
        var plot = LinePlot(title: "Accuracy over deployment", xLabel: "deployment time", yLabel: "accuracy (%)")
        plot.xAxis = .logTime
        let times = [3600.0, 86_400, 604_800, 2_592_000, 31_536_000]
        plot.series = [
            .init(name: "controller on", points: zip(times, [91.0, 90.8, 90.9, 90.7, 90.6]).map { ($0, $1) }, markers: true),
            .init(name: "controller off", points: zip(times, [91.0, 89.5, 87.0, 83.2, 76.4]).map { ($0, $1) }, dashed: true),
        ]
        plot.events = [.init(x: 86_400, label: "subtask switch"), .init(x: 100_000, label: "45 °C excursion")]
        return plot
    }

    @Test func documentIsXMLWithSizeTitleLegendAndAxisLabels() throws {
        let elements = try Self.elements(Self.replay().svg(width: 640, height: 360))
        let root = try #require(elements.first)
        #expect(root.name == "svg")
        #expect(Self.number(root, "width") == 640)
        #expect(Self.number(root, "height") == 360)
        let texts = Self.texts(elements)
        for text in ["Accuracy over deployment", "deployment time", "accuracy (%)", "controller on", "controller off",
                     "subtask switch", "45 °C excursion"] {
            #expect(texts.contains(text), "\(text)")
        }
        #expect(!texts.contains("no data"))
        // 76.4 ... 91 % rounded out to steps of 5 (steps of 2 would take 9 ticks).
        #expect(Self.tickLabels(elements, "y-ticks").map(\.label) == ["75", "80", "85", "90", "95"])
        #expect(Self.tickLabels(elements, "x-ticks").map(\.label) == ["1 h", "1 d", "1 week", "30 d", "1 year"])
    }

    @Test func linearMiddleValueIsThePlotAreasMiddle() throws {
        var plot = LinePlot(title: "t", xLabel: "x", yLabel: "y")
        plot.xRange = 0...10
        plot.yRange = -1...1
        plot.series = [.init(name: "s", points: [(0, -1), (5, 0), (10, 1)])]
        let elements = try Self.elements(plot.svg())
        let area = try Self.plotArea(elements)
        let line = try #require(Self.polylines(elements).first)
        #expect(line.count == 3)
        #expect(line[1].x == area.x + area.width / 2)
        #expect(line[1].y == area.y + area.height / 2)
        #expect(line[0].x == area.x && line[0].y == area.y + area.height)
        #expect(line[2].x == area.x + area.width && line[2].y == area.y)
    }

    @Test func logMiddleIsTheGeometricMean() throws {
        var plot = LinePlot(title: "t", xLabel: "x", yLabel: "y")
        (plot.xAxis, plot.yAxis) = (.log, .log)
        (plot.xRange, plot.yRange) = (1...100, 0.001...10)
        plot.series = [.init(name: "s", points: [(1, 0.001), (10, 0.1), (100, 10)])]
        let elements = try Self.elements(plot.svg())
        let area = try Self.plotArea(elements)
        let line = try #require(Self.polylines(elements).first)
        #expect(line[1].x == area.x + area.width / 2)
        #expect(line[1].y == area.y + area.height / 2)
        #expect(Self.tickLabels(elements, "x-ticks").map(\.label) == ["1", "10", "100"])
        #expect(Self.tickLabels(elements, "y-ticks").map(\.label) == ["0.001", "0.01", "0.1", "1", "10"])
    }

    @Test func logTicksStayFewAndRound() throws {
        func ticks(_ range: ClosedRange<Double>) throws -> [String] {
            var plot = LinePlot(title: "t", xLabel: "x", yLabel: "y")
            plot.xAxis = .log
            plot.xRange = range
            return Self.tickLabels(try Self.elements(plot.svg()), "x-ticks").map(\.label)
        }
        let (wide, narrow, fraction) = (try ticks(1e-12...1e12), try ticks(2...90), try ticks(0.15...0.9))
        // 25 decades: every fourth, counted from 10^0.
        #expect(wide == ["1e-12", "1e-8", "1e-4", "1", "1e4", "1e8", "1e12"])
        // Fewer than two decades inside: 1, 2 and 5 times the powers of ten.
        #expect(narrow == ["2", "5", "10", "20", "50"])
        #expect(fraction == ["0.2", "0.5"])
    }

    @Test func logTimeTicksAreNamedDurationsInOrder() throws {
        var plot = LinePlot(title: "t", xLabel: "deployment time", yLabel: "y")
        plot.xAxis = .logTime
        plot.xRange = 60...31_536_000
        plot.series = [.init(name: "s", points: [(60, 1), (31_536_000, 2)])]
        let elements = try Self.elements(plot.svg())
        let area = try Self.plotArea(elements)
        let ticks = Self.tickLabels(elements, "x-ticks")
        #expect(ticks.map(\.label) == ["1 min", "1 h", "1 d", "1 week", "30 d", "1 year"])
        #expect(zip(ticks, ticks.dropFirst()).allSatisfy { $0.position < $1.position })
        #expect(ticks.first?.position == area.x && ticks.last?.position == area.x + area.width)
        // 1 d sits log(86 400 / 60) / log(31 536 000 / 60) of the way along.
        let day = try #require(ticks.first { $0.label == "1 d" }).position
        #expect(abs(day - (area.x + area.width * log(1440) / log(525_600))) <= 0.005)
    }

    @Test func linearTicksAreRoundStepsCoveringTheData() throws {
        for (low, high) in [(0.3, 9.7), (85.3, 91.2), (-0.0042, 0.0131), (1e6, 3.7e6), (-250.0, -20.0), (0.0, 1e-5)] {
            var plot = LinePlot(title: "t", xLabel: "x", yLabel: "y")
            plot.series = [.init(name: "s", points: [(0, low), (1, high)])]
            let values = Self.tickLabels(try Self.elements(plot.svg()), "y-ticks").map { Double($0.label) ?? .nan }
            try #require((4...8).contains(values.count), "\(low)...\(high): \(values)")
            #expect(values[0] <= low && values[values.count - 1] >= high, "\(low)...\(high): \(values)")
            let step = values[1] - values[0]
            let mantissa = step / pow(10, (log10(step)).rounded(.down))
            #expect([1.0, 2, 5].contains { abs(mantissa - $0) < 1e-6 }, "\(low)...\(high): step \(step)")
            #expect(zip(values, values.dropFirst()).allSatisfy { abs($1 - $0 - step) <= 1e-9 * step })
        }
    }

    @Test func textIsEscapedAndRoundTrips() throws {
        var plot = LinePlot(title: "<b>tricky</b> & 'quoted'", xLabel: "x < 1", yLabel: "y > 2")
        plot.series = [.init(name: "a<b & \"c\"", points: [(0, 1), (1, 2)])]
        plot.events = [.init(x: 0.5, label: "bell\u{7}")]
        let svg = plot.svg()
        #expect(!svg.contains("a<b"))
        let texts = Self.texts(try Self.elements(svg))
        for text in ["a<b & \"c\"", "<b>tricky</b> & 'quoted'", "x < 1", "y > 2", "bell\u{FFFD}"] {
            #expect(texts.contains(text), "\(text)")
        }
    }

    @Test func pointsAnAxisCannotShowAreSkipped() throws {
        var plot = LinePlot(title: "t", xLabel: "x", yLabel: "y")
        plot.xAxis = .log
        plot.xRange = 1...100
        plot.yRange = 0...10
        plot.series = [.init(name: "s", points: [(1, 1), (.nan, 2), (2, .infinity), (0, 3), (-1, 4), (10, 5), (100, -.infinity)])]
        let elements = try Self.elements(plot.svg())
        let area = try Self.plotArea(elements)
        let line = try #require(Self.polylines(elements).first)
        #expect(line.count == 2)
        #expect(line.allSatisfy { $0.x.isFinite && $0.y.isFinite })
        #expect(line.map(\.x) == [area.x, area.x + area.width / 2])
    }

    @Test func plotsWithoutDataAreValidAndSaySo() throws {
        var logOnly = LinePlot(title: "t", xLabel: "x", yLabel: "y")
        logOnly.yAxis = .log
        logOnly.series = [.init(name: "all non-positive", points: [(1, 0), (2, -3)])]
        var emptySeries = LinePlot(title: "t", xLabel: "x", yLabel: "y")
        emptySeries.series = [.init(name: "nothing yet", points: [])]
        emptySeries.xAxis = .logTime
        for plot in [LinePlot(title: "empty", xLabel: "x", yLabel: "y"), logOnly, emptySeries] {
            let elements = try Self.elements(plot.svg())
            let area = try Self.plotArea(elements)
            #expect(Self.texts(elements).contains("no data"))
            #expect(area.width > 0)
            #expect(Self.tickLabels(elements, "x-ticks").count >= 2)
            #expect(Self.tickLabels(elements, "y-ticks").count >= 2)
            #expect(Self.polylines(elements).allSatisfy { $0.isEmpty })
        }
        #expect(Self.texts(try Self.elements(emptySeries.svg())).contains("nothing yet"))
    }

    @Test func longSeriesAreThinnedToPixelColumnsKeepingSpikes() throws {
        let count = 100_000
        var points = (0..<count).map { (x: Double($0), y: sin(Double($0) / 500)) }
        points[54_321].y = 10
        points[12_345].y = -10
        var plot = LinePlot(title: "t", xLabel: "x", yLabel: "y")
        plot.yRange = -10...10
        plot.series = [.init(name: "long", points: points), .init(name: "long, dashed", points: points.reversed(), dashed: true)]
        let start = ContinuousClock.now
        let svg = plot.svg(width: 800, height: 450)
        #expect(ContinuousClock.now - start < .seconds(1))
        #expect(svg.utf8.count < 200_000)
        let elements = try Self.elements(svg)
        let area = try Self.plotArea(elements)
        for line in Self.polylines(elements) {
            #expect(line.count <= 2 * Int(area.width) + 2)
            #expect(line.count >= Int(area.width))
            #expect(line.contains { $0.y == area.y })
            #expect(line.contains { $0.y == area.y + area.height })
        }
    }

    @Test func legendAvoidsTheDataOrMovesBesideThePlot() throws {
        func legendAndArea(_ points: [(x: Double, y: Double)]) throws -> (x: Double, area: (x: Double, y: Double, width: Double, height: Double)) {
            var plot = LinePlot(title: "t", xLabel: "x", yLabel: "y")
            plot.series = [.init(name: "s", points: points)]
            let elements = try Self.elements(plot.svg())
            let legend = try #require(elements.first { Self.attribute($0, "class") == "legend" })
            return (Self.number(try #require(Self.children(legend, "rect").first), "x"), try Self.plotArea(elements))
        }
        // A falling line leaves the top right free.
        let falling = try legendAndArea([(0, 1), (1, 0)])
        #expect(falling.x > falling.area.x + falling.area.width / 2)
        // A rising line fills the top right, and the legend moves to the top left.
        let rising = try legendAndArea([(0, 0), (1, 1)])
        #expect(rising.x < rising.area.x + rising.area.width / 2)
        // A zigzag through every corner leaves no room inside: the legend goes beside the plot area.
        let zigzag = try legendAndArea((0...40).map { (Double($0), Double($0 % 2)) })
        #expect(zigzag.x > zigzag.area.x + zigzag.area.width)
    }

    @Test func closeEventsAreStaggeredAndDashed() throws {
        var plot = LinePlot(title: "t", xLabel: "x", yLabel: "y")
        plot.xRange = 0...100
        plot.series = [.init(name: "s", points: [(0, 0), (100, 1)])]
        plot.events = [.init(x: 50, label: "switch to subtask B"), .init(x: 51, label: "excursion"),
                       .init(x: 90, label: "far"), .init(x: 150, label: "beyond the range")]
        let elements = try Self.elements(plot.svg())
        let group = { (name: String) in elements.first { Self.attribute($0, "class") == name } }
        let lines = try #require(group("events"))
        #expect(Self.attribute(lines, "stroke-dasharray") != nil)
        #expect(Self.children(lines, "line").count == 3)
        let labels = Self.children(group("event-labels"), "text")
        #expect(labels.map { $0.stringValue ?? "" } == ["switch to subtask B", "excursion", "far"])
        let rows = labels.map { Self.number($0, "y") }
        #expect(rows[0] != rows[1])
        #expect(rows[2] == rows[0])
        // The plot area starts below both rows of labels.
        let area = try Self.plotArea(elements)
        #expect(area.y > rows.max()!)
    }

    @Test func paletteCyclesThroughDistinctColours() throws {
        var plot = LinePlot(title: "t", xLabel: "x", yLabel: "y")
        plot.series = (0..<9).map { .init(name: "s\($0)", points: [(0, Double($0)), (1, Double($0) + 1)]) }
        let colours = try Self.elements(plot.svg())
            .filter { Self.attribute($0, "class") == "series" }
            .map { Self.attribute($0, "stroke") ?? "" }
        #expect(colours.count == 9)
        #expect(Set(colours.prefix(8)).count == 8)
        #expect(colours[8] == colours[0])
    }

    /// A scatter draws a marker at every point, even many in one pixel column, with no line; each point's
    /// label sits beside it inside the document, clear of the others when there is room.
    @Test func scatterPointsKeepTheirLabelsApart() throws {
        var plot = LinePlot(title: "t", xLabel: "x", yLabel: "y")
        let points: [(x: Double, y: Double)] = [(1, 1), (1, 1.05), (1, 1.1), (1, 1.15), (1.2, 1), (10, 10)]
        let names = points.indices.map { "point \($0)" }
        plot.series = [.init(name: "points", points: points, joined: false, labels: names)]
        let elements = try Self.elements(plot.svg(width: 600, height: 400))
        let series = try #require(elements.first { Self.attribute($0, "class") == "series" })
        #expect(Self.children(series, "polyline").isEmpty)
        #expect(Self.children(series, "circle").count == points.count)
        let labels = Self.children(elements.first { Self.attribute($0, "class") == "point-labels" }, "text")
        #expect(labels.map { $0.stringValue ?? "" } == names)
        let boxes: [(x: Double, y: Double, width: Double)] = labels.map { label in
            let width = Double(label.stringValue?.count ?? 0) * 6
            return (Self.number(label, "x"), Self.number(label, "y"), width)
        }
        for (index, box) in boxes.enumerated() {
            #expect(box.x >= 0 && box.x + box.width <= 600, "\(box)")
            for other in boxes[..<index] {
                let apart = abs(other.y - box.y) >= 10 || other.x + other.width <= box.x || box.x + box.width <= other.x
                #expect(apart, "labels overlap: \(other) and \(box)")
            }
        }
    }

    @Test func sameInputGivesTheSameBytes() {
        let plot = Self.replay()
        #expect(plot.svg() == plot.svg())
        #expect(plot.svg(width: 500, height: 300) == plot.svg(width: 500, height: 300))
    }
}
