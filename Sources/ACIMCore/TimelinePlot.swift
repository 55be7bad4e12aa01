import Foundation

/// A timeline as SVG: one row per resource, a bar for every span it was busy, coloured by what it worked
/// for, with a cycle axis and a legend. The same timeline gives the same bytes.
public struct TimelinePlot: Sendable {
    public struct Bar: Sendable {
        public var row: String
        public var start: Double
        public var end: Double
        /// What the span worked for (its colour and legend entry).
        public var group: String

        public init(row: String, start: Double, end: Double, group: String) {
            self.row = row
            self.start = start
            self.end = end
            self.group = group
        }
    }

    public var title: String
    public var xLabel: String
    /// Rows top to bottom.
    public var rows: [String]
    public var bars: [Bar]

    public init(title: String, xLabel: String, rows: [String], bars: [Bar]) {
        self.title = title
        self.xLabel = xLabel
        self.rows = rows
        self.bars = bars
    }

    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                          "#bcbd22", "#17becf"]

    public func svg(width: Int = 1000) -> String {
        let left = 150.0, right = 20.0, top = 40.0, rowHeight = 14.0
        let groups = bars.reduce(into: [String]()) { if !$0.contains($1.group) { $0.append($1.group) } }
        let legendRows = Double((groups.count + 5) / 6)
        let plotHeight = Double(rows.count) * rowHeight
        let height = top + plotHeight + 46 + legendRows * 16
        let span = max(1, bars.map(\.end).max() ?? 1)
        let scale = (Double(width) - left - right) / span
        let rowIndex = Dictionary(rows.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        func n(_ x: Double) -> String { String(format: "%.2f", x) }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"10\">\n"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        svg += "<text x=\"\(n(left))\" y=\"20\" font-size=\"13\">\(escaped(title))</text>\n"
        for (i, row) in rows.enumerated() {
            let y = top + Double(i) * rowHeight
            if i % 2 == 0 { svg += "<rect x=\"\(n(left))\" y=\"\(n(y))\" width=\"\(n(Double(width) - left - right))\" height=\"\(n(rowHeight))\" fill=\"#f4f4f4\"/>\n" }
            svg += "<text x=\"\(n(left - 4))\" y=\"\(n(y + rowHeight - 3))\" text-anchor=\"end\">\(escaped(row))</text>\n"
        }
        for bar in bars {
            guard let i = rowIndex[bar.row] else { continue }
            let color = Self.palette[groups.firstIndex(of: bar.group)! % Self.palette.count]
            svg += "<rect x=\"\(n(left + bar.start * scale))\" y=\"\(n(top + Double(i) * rowHeight + 1))\" "
                + "width=\"\(n(max(0.5, (bar.end - bar.start) * scale)))\" height=\"\(n(rowHeight - 2))\" fill=\"\(color)\"/>\n"
        }
        let axis = top + plotHeight
        svg += "<line x1=\"\(n(left))\" y1=\"\(n(axis))\" x2=\"\(n(Double(width) - right))\" y2=\"\(n(axis))\" stroke=\"black\"/>\n"
        let step = Self.tickStep(span)
        for tick in stride(from: 0.0, through: span, by: step) {
            let x = left + tick * scale
            svg += "<line x1=\"\(n(x))\" y1=\"\(n(axis))\" x2=\"\(n(x))\" y2=\"\(n(axis + 4))\" stroke=\"black\"/>"
            svg += "<text x=\"\(n(x))\" y=\"\(n(axis + 14))\" text-anchor=\"middle\">\(Int(tick))</text>\n"
        }
        svg += "<text x=\"\(n(left + (Double(width) - left - right) / 2))\" y=\"\(n(axis + 28))\" text-anchor=\"middle\">\(escaped(xLabel))</text>\n"
        for (k, group) in groups.enumerated() {
            let x = left + Double(k % 6) * 130, y = axis + 46 + Double(k / 6) * 16
            svg += "<rect x=\"\(n(x))\" y=\"\(n(y - 9))\" width=\"10\" height=\"10\" fill=\"\(Self.palette[k % Self.palette.count])\"/>"
            svg += "<text x=\"\(n(x + 14))\" y=\"\(n(y))\">\(escaped(group))</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// A round tick step giving 4 to 10 ticks over `span`.
    static func tickStep(_ span: Double) -> Double {
        let raw = span / 6, magnitude = pow(10, floor(log10(raw)))
        return [1.0, 2, 5, 10].map { $0 * magnitude }.first { span / $0 <= 10 } ?? raw
    }

    private func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
