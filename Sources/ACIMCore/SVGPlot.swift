import Foundation

/// A 2-D line plot written as a standalone SVG document: a title, labelled axes with round ticks and a light
/// grid, a legend in a corner the data leaves free (else beside the plot area), and event marks. Series take
/// the Okabe–Ito colour-blind-safe palette in turn. The same plot always gives the same bytes.
public struct LinePlot: Sendable {
    /// One line through its points, joined in the order given.
    public struct Series: Sendable {
        /// The legend entry.
        public var name: String
        /// Points that are not finite, or not positive on a log axis, are skipped.
        public var points: [(x: Double, y: Double)]
        public var dashed: Bool
        /// A small circle at each point drawn.
        public var markers: Bool
        /// Whether a line joins the points; without one, draw markers.
        public var joined: Bool
        /// A short text beside each point (as many as points), or none.
        public var labels: [String]

        public init(name: String, points: [(x: Double, y: Double)], dashed: Bool = false, markers: Bool = false,
                    joined: Bool = true, labels: [String] = []) {
            self.name = name
            self.points = points
            self.dashed = dashed
            self.markers = markers
            self.joined = joined
            self.labels = labels
        }
    }

    /// A vertical line at `x` with a short label: an event such as a subtask switch or a temperature excursion.
    /// Labels sit above the plot area, staggered in rows when they would run into each other.
    public struct EventMark: Sendable {
        public var x: Double
        public var label: String

        public init(x: Double, label: String) {
            self.x = x
            self.label = label
        }
    }

    /// How values map along an axis.
    public enum Axis: Sendable {
        /// Whether a positive value lies in low...high, allowing for rounding in how it was computed.
private func within(_ value: Double, _ low: Double, _ high: Double) -> Bool {
    value >= low * (1 - 1e-9) && value <= high * (1 + 1e-9)
}

/// Ticks every 1, 2 or 5 x 10^k.
        case linear
        /// Base 10, ticks at decades.
        case log
        /// Seconds on a log scale, ticks at the durations 1 s, 1 min, 1 h, 1 d, 1 week, 30 d and 1 year.
        case logTime
    }

    public var title: String
    /// What the x axis shows, with its unit, such as "deployment time".
    public var xLabel: String
    /// What the y axis shows, with its unit, such as "accuracy (%)".
    public var yLabel: String
    public var xAxis: Axis = .linear
    public var yAxis: Axis = .linear
    /// The y values shown; nil, or a range the axis cannot show, takes the data's rounded out to ticks.
    public var yRange: ClosedRange<Double>? = nil
    /// The x values shown, as `yRange`.
    public var xRange: ClosedRange<Double>? = nil
    public var series: [Series] = []
    public var events: [EventMark] = []

    public init(title: String, xLabel: String, yLabel: String) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    /// The SVG document (UTF-8 text), `width` x `height` pixels.
    public func svg(width: Int = 800, height: Int = 450) -> String {
        let size = (width: Double(max(width, 1)), height: Double(max(height, 1)))
        let visible = series.map { $0.points.indices.filter { [points = $0.points] in xAxis.shows(points[$0].x) && yAxis.shows(points[$0].y) } }
        let shown = zip(series, visible).map { line, kept in kept.map { line.points[$0] } }
        let x = Scale(xAxis, range: xRange, data: shown.flatMap { $0.map(\.x) })
        let y = Scale(yAxis, range: yRange, data: shown.flatMap { $0.map(\.y) })
        let fractions = shown.map { $0.map { (x: x.fraction($0.x), y: y.fraction($0.y)) } }
        let marks = events.filter { xAxis.shows($0.x) }.map { (x: x.fraction($0.x), label: $0.label) }
            .filter { (0...1).contains($0.x) }
        let legend = Legend.size(series)

        var layout = Layout(size: size, y: y, marks: marks, rightMargin: 24)
        // A scatter keeps every point; a line keeps at most two vertices a pixel column.
        let pixels = { (plot: Rect) in zip(fractions, series).map { $1.joined ? thinned($0.map(plot.point)) : $0.map(plot.point) } }
        var lines = pixels(layout.plot)
        var legendBox = legend.flatMap { legend in
            layout.plot.corners(of: legend).first { box in !lines.contains { crosses($0, box) } }
        }
        if let legend, legendBox == nil {
            layout = Layout(size: size, y: y, marks: marks, rightMargin: legend.width + 2 * Style.gap)
            lines = pixels(layout.plot)
            legendBox = Rect(x: layout.plot.right + Style.gap, y: layout.plot.y,
                             width: legend.width, height: legend.height)
        }

        var svg = SVGWriter(width: Int(size.width), height: Int(size.height))
        svg.element("text", ["x": size.width / 2, "y": 20], ["text-anchor": "middle", "font-size": "15",
                                                             "font-weight": "bold"], text: title)
        svg.axes(x: x, y: y, plot: layout.plot, xLabel: xLabel, yLabel: yLabel, height: size.height)
        svg.events(layout.events, plot: layout.plot)
        svg.series(lines, styles: series, plot: layout.plot)
        svg.pointLabels(zip(series, zip(visible, fractions)).flatMap { line, placed in
            line.labels.count == line.points.count
                ? zip(placed.0, placed.1).map { (text: line.labels[$0], at: layout.plot.point($1)) } : []
        }, width: size.width)
        if let legendBox { svg.legend(series, in: legendBox) }
        if lines.allSatisfy(\.isEmpty) {
            svg.element("text", ["x": layout.plot.x + layout.plot.width / 2, "y": layout.plot.y + layout.plot.height / 2],
                        ["text-anchor": "middle", "fill": Style.muted, "font-style": "italic"], text: "no data")
        }
        return svg.document
    }
}

private extension LinePlot.Axis {
    /// Whether a value has a place on the axis.
    func shows(_ value: Double) -> Bool { value.isFinite && (self == .linear || value > 0) }

    /// The value in the axis's own (linear or log10) coordinate.
    func coordinate(_ value: Double) -> Double { self == .linear ? value : log10(value) }
}

/// Fixed drawing parameters.
private enum Style {
    /// Okabe–Ito, yellow last: it reads worst on white.
    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
    static let fontSize = 12.0
    static let lineHeight = 14.0
    static let gap = 12.0
    static let muted = "#666666"
    static let grid = "#E6E6E6"
    static let frame = "#444444"
    static let markerRadius = 2.5

    /// An estimate of a label's width; generous so that labels estimated apart do not touch.
    static func width(_ text: String) -> Double { Double(text.count) * fontSize * 0.6 }
}

private struct Tick {
    var value: Double
    var label: String
}

/// An axis's shown range and ticks; positions along it are fractions, 0 at the low end and 1 at the high end.
private struct Scale {
    let axis: LinePlot.Axis
    let low: Double, high: Double
    let ticks: [Tick]

    init(_ axis: LinePlot.Axis, range: ClosedRange<Double>?, data: [Double]) {
        self.axis = axis
        let fixed: ClosedRange<Double>? = range.flatMap {
            axis.shows($0.lowerBound) && axis.shows($0.upperBound) && $0.lowerBound < $0.upperBound ? $0 : nil
        }
        let span: (low: Double, high: Double)
        if let fixed {
            span = (fixed.lowerBound, fixed.upperBound)
        } else if let low = data.min(), let high = data.max() {
            span = low < high ? (low, high) : axis == .linear
                ? (low == 0 ? (-1, 1) : (low - abs(low) / 10, low + abs(low) / 10)) : (low / 10, low * 10)
        } else {
            span = axis == .linear ? (0, 1) : axis == .log ? (1, 100) : (1, 31_536_000)
        }
        let scale = switch axis {
        case .linear: linearTicks(span.low, span.high, roundOut: fixed == nil)
        case .log: decadeTicks(span.low, span.high, roundOut: fixed == nil)
        case .logTime: durationTicks(span.low, span.high, roundOut: fixed == nil)
        }
        (low, high, ticks) = (axis.coordinate(scale.low), axis.coordinate(scale.high), scale.ticks)
    }

    /// Where a value the axis shows falls.
    func fraction(_ value: Double) -> Double { (axis.coordinate(value) - low) / (high - low) }
}

private typealias TickedRange = (low: Double, high: Double, ticks: [Tick])

/// `n` x 10^`k` as exact decimal text: with `-k` decimals ("1500", "0.25"), or as "1.5e7" when `scientific`
/// ("1.5" when the exponent is 0).
private func decimal(_ n: Int, _ k: Int, scientific: Bool) -> String {
    guard n != 0 else { return "0" }
    let sign = n < 0 ? "-" : ""
    var digits = String(n.magnitude)
    if scientific {
        let fraction = digits.dropFirst().reversed().drop { $0 == "0" }.reversed()
        let exponent = k + digits.count - 1
        return sign + String(digits.prefix(1)) + (fraction.isEmpty ? "" : "." + String(fraction))
            + (exponent == 0 ? "" : "e\(exponent)")
    }
    if k >= 0 { return sign + digits + String(repeating: "0", count: k) }
    digits = String(repeating: "0", count: max(0, 1 - k - digits.count)) + digits
    return sign + digits.dropLast(-k) + "." + digits.suffix(-k)
}

/// 10^k, exact for the powers a double holds exactly and correctly rounded below 1.
private func power10(_ k: Int) -> Double { k >= 0 ? pow(10, Double(k)) : 1 / pow(10, Double(-k)) }

/// n x 10^k as a double, the closest one for |k| up to 22.
private func scaled(_ n: Int, _ k: Int) -> Double { k >= 0 ? Double(n) * power10(k) : Double(n) / power10(-k) }

/// The decade exponent of a positive value, rounded by `rule`, bounded so it converts whatever the value.
private func decadeExponent(_ value: Double, _ rule: FloatingPointRoundingRule) -> Int {
    Int(min(max(log10(value).rounded(rule), -400), 400))
}

/// Whether a positive value lies in low...high, allowing for rounding in how it was computed.
private func within(_ value: Double, _ low: Double, _ high: Double) -> Bool {
    value >= low * (1 - 1e-9) && value <= high * (1 + 1e-9)
}

/// Ticks every 1, 2 or 5 x 10^k, the finest step giving at most 8; with `roundOut`, the range widened to ticks.
private func linearTicks(_ low: Double, _ high: Double, roundOut: Bool) -> TickedRange {
    let span = high - low
    guard span.isFinite, span > 0 else { return (low, high, []) }
    let tolerance = 1e-9
    let decade = decadeExponent(span, .down)
    for k in decade - 1...decade + 1 {
        for m in [1, 2, 5] {
            let step = scaled(m, k)
            guard step > 0, max(abs(low), abs(high)) / step < 1e15 else { continue }
            let first = Int(roundOut ? (low / step + tolerance).rounded(.down) : (low / step - tolerance).rounded(.up))
            let last = Int(roundOut ? (high / step - tolerance).rounded(.up) : (high / step + tolerance).rounded(.down))
            guard first <= last, last - first < 8 else { continue }
            let scientific = k < -3 || max(abs(scaled(first * m, k)), abs(scaled(last * m, k))) >= 1e6
            let ticks = (first...last).map { Tick(value: scaled($0 * m, k), label: decimal($0 * m, k, scientific: scientific)) }
            return roundOut ? (scaled(first * m, k), scaled(last * m, k), ticks) : (low, high, ticks)
        }
    }
    return (low, high, [])
}

/// Ticks at decades (every other one or sparser when there are more than 8), at 1, 2 and 5 x 10^k when the
/// range holds fewer than two; with `roundOut`, the range widened to decades.
private func decadeTicks(_ low: Double, _ high: Double, roundOut: Bool, unit: String = "") -> TickedRange {
    let (low, high) = roundOut ? (power10(decadeExponent(low, .down)), power10(decadeExponent(high, .up))) : (low, high)
    let decades = Array(decadeExponent(low, .down)...decadeExponent(high, .up)).filter { within(power10($0), low, high) }
    let every = (decades.count + 7) / 8
    let marks: [(n: Int, k: Int)] = decades.count >= 2
        ? decades.filter { $0 % every == 0 }.map { (1, $0) }
        : (decadeExponent(low, .down)...decadeExponent(high, .down)).flatMap { k in
            [1, 2, 5].map { (n: $0, k: k) }.filter { within(scaled($0.n, $0.k), low, high) }
        }
    let scientific = marks.contains { scaled($0.n, $0.k) < 1e-3 || scaled($0.n, $0.k) >= 1e6 }
    return (low, high, marks.map { Tick(value: scaled($0.n, $0.k), label: decimal($0.n, $0.k, scientific: scientific) + unit) })
}

/// Named durations, the ticks of a `.logTime` axis.
private let durations = [
    Tick(value: 1, label: "1 s"), Tick(value: 60, label: "1 min"), Tick(value: 3600, label: "1 h"),
    Tick(value: 86_400, label: "1 d"), Tick(value: 604_800, label: "1 week"), Tick(value: 2_592_000, label: "30 d"),
    Tick(value: 31_536_000, label: "1 year"),
]

/// Ticks at the named durations inside the range, or at decades of seconds when fewer than two are; with
/// `roundOut`, the range widened to the next named durations (decades beyond them).
private func durationTicks(_ low: Double, _ high: Double, roundOut: Bool) -> TickedRange {
    let low = roundOut ? durations.last { $0.value <= low }?.value ?? power10(decadeExponent(low, .down)) : low
    let high = roundOut ? durations.first { $0.value >= high }?.value ?? power10(decadeExponent(high, .up)) : high
    let ticks = durations.filter { within($0.value, low, high) }
    return ticks.count >= 2 ? (low, high, ticks) : decadeTicks(low, high, roundOut: false, unit: " s")
}

private struct Point {
    var x: Double
    var y: Double
}

private struct Rect {
    var x, y, width, height: Double
    var right: Double { x + width }
    var bottom: Double { y + height }

    /// The pixel of a point given as fractions of the axes (y upwards).
    func point(_ fraction: (x: Double, y: Double)) -> Point {
        Point(x: x + fraction.x * width, y: bottom - fraction.y * height)
    }

    /// Boxes of `size` inside the corners, top-right first.
    func corners(of size: (width: Double, height: Double)) -> [Rect] {
        let inset = 8.0
        let (left, top) = (x + inset, y + inset)
        let (right, bottom) = (self.right - inset - size.width, self.bottom - inset - size.height)
        return [(right, top), (left, top), (right, bottom), (left, bottom)].map {
            Rect(x: $0.0, y: $0.1, width: size.width, height: size.height)
        }
    }
}

/// A series' pixels in the given order, each run of consecutive points in one pixel column reduced to its
/// lowest and highest (in the order they came): at most two vertices a column, and spikes stay. Pixels that
/// are not finite (a degenerate range) are dropped.
private func thinned(_ points: [Point]) -> [Point] {
    let points = points.filter { $0.x.isFinite && $0.y.isFinite }
    var kept: [Point] = []
    var start = 0
    while start < points.count {
        let column = points[start].x.rounded(.down)
        var (low, high, end) = (start, start, start + 1)
        while end < points.count, points[end].x.rounded(.down) == column {
            if points[end].y < points[low].y { low = end }
            if points[end].y > points[high].y { high = end }
            end += 1
        }
        kept.append(points[min(low, high)])
        if low != high { kept.append(points[max(low, high)]) }
        start = end
    }
    return kept
}

/// Whether a polyline (or its single point, with room for a marker) touches a box (Liang–Barsky clipping).
private func crosses(_ line: [Point], _ box: Rect) -> Bool {
    let r = Style.markerRadius
    let box = Rect(x: box.x - r, y: box.y - r, width: box.width + 2 * r, height: box.height + 2 * r)
    let segments = line.count == 1 ? [(line[0], line[0])] : Array(zip(line, line.dropFirst()))
    return segments.contains { p, q in
        var (enter, leave) = (0.0, 1.0)
        let (dx, dy) = (q.x - p.x, q.y - p.y)
        for (direction, room) in [(-dx, p.x - box.x), (dx, box.right - p.x), (-dy, p.y - box.y), (dy, box.bottom - p.y)] {
            if direction == 0 {
                if room < 0 { return false }
            } else if direction < 0 {
                enter = max(enter, room / direction)
            } else {
                leave = min(leave, room / direction)
            }
        }
        return enter <= leave
    }
}

/// An event mark placed: its line's pixel column, its label's start and anchor, and its row above the plot.
private struct PlacedEvent {
    var x: Double
    var labelX: Double
    var anchor: String
    var row: Int
    var label: String
}

/// The tick labels that keep clear of the last one kept, each `extent` long along the axis and centred on its tick.
private func legible(_ ticks: [(label: String, at: Double)], extent: (String) -> Double) -> [(label: String, at: Double)] {
    var kept: [(label: String, at: Double)] = []
    for tick in ticks where kept.last.map({ abs(tick.at - $0.at) >= (extent(tick.label) + extent($0.label)) / 2 + 4 }) ?? true {
        kept.append(tick)
    }
    return kept
}

/// Where the plot area and the event labels go in the document.
private struct Layout {
    static let maxEventRows = 3
    let plot: Rect
    let events: [PlacedEvent]

    init(size: (width: Double, height: Double), y: Scale, marks: [(x: Double, label: String)], rightMargin: Double) {
        let tickWidth = y.ticks.map { Style.width($0.label) }.max() ?? 0
        let left = (2 * Style.gap + Style.lineHeight + tickWidth).rounded(.up)
        let width = max(size.width - left - rightMargin.rounded(.up), 1)
        var rowEnds: [Double] = []
        var events: [PlacedEvent] = []
        let ordered = marks.enumerated().sorted { ($0.element.x, $0.offset) < ($1.element.x, $1.offset) }.map(\.element)
        for mark in ordered {
            let x = left + mark.x * width
            let labelWidth = Style.width(mark.label)
            let fitsRight = x + 3 + labelWidth <= size.width
            let start = fitsRight ? x + 3 : x - 3 - labelWidth
            let free = rowEnds.firstIndex { $0 + 6 <= start }
            let row = free ?? (rowEnds.count < Self.maxEventRows ? rowEnds.count
                : rowEnds.indices.min { rowEnds[$0] < rowEnds[$1] } ?? 0)
            if row == rowEnds.count { rowEnds.append(0) }
            rowEnds[row] = max(rowEnds[row], start + labelWidth)
            events.append(PlacedEvent(x: x, labelX: fitsRight ? x + 3 : x - 3, anchor: fitsRight ? "start" : "end",
                                      row: row, label: mark.label))
        }
        let top = 30 + Double(rowEnds.count) * Style.lineHeight + (rowEnds.isEmpty ? 0 : 6)
        plot = Rect(x: left, y: top, width: width, height: max(size.height - top - 48, 1))
        self.events = events
    }
}

/// The legend box's measures.
private enum Legend {
    /// The length of an entry's line sample.
    static let sample = 24.0

    /// The box for the series' entries; nil without series.
    static func size(_ series: [LinePlot.Series]) -> (width: Double, height: Double)? {
        guard let text = series.map({ Style.width($0.name) }).max() else { return nil }
        return ((2 * 8 + sample + 6 + text).rounded(.up), 8 + Double(series.count) * 16)
    }
}

/// An SVG document written element by element, with coordinates to two decimals.
private struct SVGWriter {
    private var body: String

    /// The finished document.
    var document: String { body + "</svg>\n" }

    init(width: Int, height: Int) {
        body = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" \
        font-family="sans-serif" font-size="\(Int(Style.fontSize))">
        <rect width="100%" height="100%" fill="white"/>

        """
    }

    /// An element: numeric attributes (in key order) then text ones (in the order given), and its text.
    mutating func element(_ name: String, _ numbers: [String: Double], _ attributes: KeyValuePairs<String, String> = [:],
                          text: String? = nil) {
        body += "<" + name
        for (key, value) in numbers.sorted(by: { $0.key < $1.key }) { body += " \(key)=\"\(Self.number(value))\"" }
        for (key, value) in attributes { body += " \(key)=\"\(Self.escaped(value))\"" }
        body += text.map { ">" + Self.escaped($0) + "</\(name)>\n" } ?? "/>\n"
    }

    mutating func open(_ attributes: KeyValuePairs<String, String>) {
        body += "<g" + attributes.map { " \($0.key)=\"\(Self.escaped($0.value))\"" }.joined() + ">\n"
    }

    mutating func close() { body += "</g>\n" }

    /// Grid, frame, ticks with their labels, and the axis labels.
    mutating func axes(x: Scale, y: Scale, plot: Rect, xLabel: String, yLabel: String, height: Double) {
        let xs = x.ticks.map { (label: $0.label, at: plot.point((x.fraction($0.value), 0)).x) }
        let ys = y.ticks.map { (label: $0.label, at: plot.point((0, y.fraction($0.value))).y) }
        open(["class": "grid", "stroke": Style.grid])
        for tick in xs { element("line", ["x1": tick.at, "x2": tick.at, "y1": plot.y, "y2": plot.bottom]) }
        for tick in ys { element("line", ["x1": plot.x, "x2": plot.right, "y1": tick.at, "y2": tick.at]) }
        close()
        element("rect", ["x": plot.x, "y": plot.y, "width": plot.width, "height": plot.height],
                ["class": "plot-area", "fill": "none", "stroke": Style.frame])
        open(["class": "x-ticks", "text-anchor": "middle"])
        for tick in xs {
            element("line", ["x1": tick.at, "x2": tick.at, "y1": plot.bottom, "y2": plot.bottom + 5], ["stroke": Style.frame])
        }
        for tick in legible(xs, extent: Style.width) { element("text", ["x": tick.at, "y": plot.bottom + 18], text: tick.label) }
        close()
        open(["class": "y-ticks", "text-anchor": "end"])
        for tick in ys { element("line", ["x1": plot.x - 5, "x2": plot.x, "y1": tick.at, "y2": tick.at], ["stroke": Style.frame]) }
        for tick in legible(ys, extent: { _ in Style.fontSize }) {
            element("text", ["x": plot.x - 8, "y": tick.at + 4], text: tick.label)
        }
        close()
        element("text", ["x": plot.x + plot.width / 2, "y": height - 10], ["class": "x-label", "text-anchor": "middle"],
                text: xLabel)
        let labelX = Style.gap + Style.fontSize / 2, labelY = plot.y + plot.height / 2
        element("text", ["x": labelX, "y": labelY],
                ["class": "y-label", "text-anchor": "middle",
                 "transform": "rotate(-90 \(Self.number(labelX)) \(Self.number(labelY)))"], text: yLabel)
    }

    /// Dashed vertical lines from each label's row down through the plot area, then the labels.
    mutating func events(_ events: [PlacedEvent], plot: Rect) {
        guard !events.isEmpty else { return }
        let rowTop = { (row: Int) in 30 + Double(row) * Style.lineHeight }
        open(["class": "events", "stroke": Style.muted, "stroke-dasharray": "4 3"])
        for event in events { element("line", ["x1": event.x, "x2": event.x, "y1": rowTop(event.row + 1), "y2": plot.bottom]) }
        close()
        open(["class": "event-labels", "fill": Style.muted])
        for event in events {
            element("text", ["x": event.labelX, "y": rowTop(event.row) + 11], ["text-anchor": event.anchor], text: event.label)
        }
        close()
    }

    /// Each series as a polyline (clipped to the plot area) and, when asked or when it is a single point, markers.
    mutating func series(_ lines: [[Point]], styles: [LinePlot.Series], plot: Rect) {
        body += "<defs><clipPath id=\"plot-area\"><rect x=\"\(Self.number(plot.x))\" y=\"\(Self.number(plot.y))\" "
            + "width=\"\(Self.number(plot.width))\" height=\"\(Self.number(plot.height))\"/></clipPath></defs>\n"
        open(["clip-path": "url(#plot-area)", "fill": "none", "stroke-width": "1.5", "stroke-linejoin": "round"])
        for (index, (line, style)) in zip(lines, styles).enumerated() {
            let colour = Style.palette[index % Style.palette.count]
            open(["class": "series", "stroke": colour])
            if line.count > 1, style.joined {
                body += "<polyline points=\"" + line.map { Self.number($0.x) + "," + Self.number($0.y) }
                    .joined(separator: " ") + "\"" + (style.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n"
            }
            if style.markers || !style.joined || line.count == 1 {
                for point in line { element("circle", ["cx": point.x, "cy": point.y, "r": Style.markerRadius], ["fill": colour]) }
            }
            close()
        }
        close()
    }

    /// Small labels beside their points: each at the first of upper right, lower right, upper left, lower left,
    /// and a line further up or down on the right, that stays inside the document and clear of the labels
    /// placed before it (else upper right).
    mutating func pointLabels(_ labels: [(text: String, at: Point)], width: Double) {
        guard !labels.isEmpty else { return }
        open(["class": "point-labels", "font-size": "10", "fill": Style.muted])
        var placed: [Rect] = []
        for label in labels {
            let size = (width: Style.width(label.text) * 10 / Style.fontSize, height: 10.0)
            let boxes = [(4.0, -4.0), (4, 12), (-4 - size.width, -4), (-4 - size.width, 12), (4, -16), (4, 24)].map { dx, dy in
                Rect(x: label.at.x + dx, y: label.at.y + dy - size.height, width: size.width, height: size.height)
            }
            let free = boxes.first { box in
                box.x >= 0 && box.right <= width && !placed.contains {
                    $0.x < box.right && box.x < $0.right && $0.y < box.bottom && box.y < $0.bottom
                }
            } ?? boxes[0]
            placed.append(free)
            element("text", ["x": free.x, "y": free.bottom], text: label.text)
        }
        close()
    }

    /// The legend box: per series a line sample in its colour and dash style, and its name.
    mutating func legend(_ series: [LinePlot.Series], in box: Rect) {
        open(["class": "legend"])
        element("rect", ["x": box.x, "y": box.y, "width": box.width, "height": box.height],
                ["fill": "white", "fill-opacity": "0.9", "stroke": "#BBBBBB"])
        for (index, entry) in series.enumerated() {
            let colour = Style.palette[index % Style.palette.count]
            let y = box.y + 12 + Double(index) * 16
            let sample = (start: box.x + 8, end: box.x + 8 + Legend.sample)
            if entry.joined {
                element("line", ["x1": sample.start, "x2": sample.end, "y1": y, "y2": y],
                        ["stroke": colour, "stroke-width": "1.5", "stroke-dasharray": entry.dashed ? "6 4" : "none"])
            }
            if entry.markers || !entry.joined {
                element("circle", ["cx": (sample.start + sample.end) / 2, "cy": y, "r": Style.markerRadius], ["fill": colour])
            }
            element("text", ["x": sample.end + 6, "y": y + 4], text: entry.name)
        }
        close()
    }

    /// A coordinate to at most two decimals, without a locale; beyond a million pixels it is clamped.
    static func number(_ value: Double) -> String {
        let hundredths = value.isFinite ? Int((min(max(value, -1e6), 1e6) * 100).rounded()) : 0
        let (whole, part) = (hundredths.magnitude / 100, hundredths.magnitude % 100)
        let sign = hundredths < 0 ? "-" : ""
        if part == 0 { return sign + String(whole) }
        return sign + String(whole) + "." + (part % 10 == 0 ? String(part / 10) : (part < 10 ? "0" : "") + String(part))
    }

    /// Text for XML: markup characters as entities, characters XML cannot hold as U+FFFD.
    static func escaped(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            case "\t", "\n", "\r": escaped.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF: escaped += "\u{FFFD}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
