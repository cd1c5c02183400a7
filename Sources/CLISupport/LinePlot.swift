import Foundation

/// A small SVG line chart (no plotting library exists for Swift on Linux; this is ~80 lines):
/// one or more named series of (x, y) points, linear axes with ticks, a legend.
public struct LinePlot {
    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public init(name: String, points: [(x: Double, y: Double)]) { self.name = name; self.points = points }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]

    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    static let colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]

    public func svg(width: Double = 640, height: Double = 400) -> String {
        let points = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let (left, right, top, bottom) = (70.0, 20.0, 40.0, 50.0)
        var xMin = points.map(\.x).min() ?? 0, xMax = points.map(\.x).max() ?? 1
        var yMin = points.map(\.y).min() ?? 0, yMax = points.map(\.y).max() ?? 1
        if xMax == xMin { xMin -= 1; xMax += 1 }
        if yMax == yMin { yMin -= 1; yMax += 1 }
        let pad = (yMax - yMin) * 0.05
        (yMin, yMax) = (yMin - pad, yMax + pad)
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * (width - left - right) }
        func py(_ y: Double) -> Double { height - bottom - (y - yMin) / (yMax - yMin) * (height - top - bottom) }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"\(width / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">\(escape(title))</text>\n"
        for i in 0...5 {
            let y = yMin + (yMax - yMin) * Double(i) / 5, x = xMin + (xMax - xMin) * Double(i) / 5
            out += "<line x1=\"\(left)\" x2=\"\(width - right)\" y1=\"\(py(y))\" y2=\"\(py(y))\" stroke=\"#ddd\"/>"
            out += "<text x=\"\(left - 6)\" y=\"\(py(y) + 4)\" text-anchor=\"end\">\(tick(y))</text>\n"
            out += "<text x=\"\(px(x))\" y=\"\(height - bottom + 18)\" text-anchor=\"middle\">\(tick(x))</text>\n"
        }
        out += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(width - left - right)\" height=\"\(height - top - bottom)\" fill=\"none\" stroke=\"#333\"/>\n"
        out += "<text x=\"\((left + width - right) / 2)\" y=\"\(height - 12)\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        out += "<text transform=\"translate(16 \((top + height - bottom) / 2)) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        for (i, s) in series.enumerated() {
            let colour = Self.colours[i % Self.colours.count]
            let path = s.points.filter { $0.x.isFinite && $0.y.isFinite }.map { "\(px($0.x)),\(py($0.y))" }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" points=\"\(path)\"/>\n"
            out += "<text x=\"\(width - right - 8)\" y=\"\(top + 16 + 16 * Double(i))\" text-anchor=\"end\" fill=\"\(colour)\">\(escape(s.name))</text>\n"
        }
        return out + "</svg>\n"
    }

    private func tick(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude >= 1e4 || (magnitude < 1e-2 && magnitude > 0) { return String(format: "%.1e", value) }
        return magnitude >= 100 ? String(format: "%.0f", value) : String(format: "%.3g", value)
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
