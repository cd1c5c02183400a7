import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A progress bar for long work, on stderr: done/total, percent, rate, elapsed and ETA, plus
/// caller-supplied fields (loss, lr, ...). On a terminal it redraws one line; otherwise (logs,
/// CI) it prints a line at most every `quietInterval` seconds so logs stay readable.
public final class ProgressBar {
    public let label: String
    public let total: Int
    public let unit: String
    private(set) public var completed: Int
    private let start: Date
    private let startCount: Int
    private var lastPrint = Date.distantPast
    private let interactive: Bool
    private let quietInterval: TimeInterval

    public init(label: String, total: Int, unit: String = "it", alreadyCompleted: Int = 0, quietInterval: TimeInterval = 10) {
        self.label = label
        self.total = total
        self.unit = unit
        completed = alreadyCompleted
        startCount = alreadyCompleted
        start = Date()
        interactive = isatty(STDERR_FILENO) != 0
        self.quietInterval = quietInterval
    }

    /// Advance by `count` and redraw; `fields` are appended as "key value".
    public func advance(by count: Int = 1, fields: [(String, String)] = []) {
        completed += count
        let now = Date()
        let finished = completed >= total
        guard finished || now.timeIntervalSince(lastPrint) >= (interactive ? 0.1 : quietInterval) else { return }
        lastPrint = now
        let line = Self.render(label: label, completed: completed, total: total, unit: unit,
                               elapsed: now.timeIntervalSince(start), countedSinceStart: completed - startCount, fields: fields)
        let text = interactive ? "\r\u{1B}[2K" + line + (finished ? "\n" : "") : line + "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// The line itself (pure; tested).
    public static func render(label: String, completed: Int, total: Int, unit: String, elapsed: TimeInterval,
                              countedSinceStart: Int, fields: [(String, String)] = [], width: Int = 24) -> String {
        let fraction = total > 0 ? min(1, Double(completed) / Double(total)) : 0
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "=", count: filled) + (filled < width ? ">" + String(repeating: " ", count: width - filled - 1) : "")
        let rate = elapsed > 0 ? Double(countedSinceStart) / elapsed : 0
        let remaining = rate > 0 ? Double(total - completed) / rate : .nan
        var text = "\(label) [\(bar)] \(completed)/\(total) \(String(format: "%3.0f", fraction * 100))% "
        text += rate >= 1 || rate == 0 ? String(format: "%.2f \(unit)/s", rate) : String(format: "%.2f s/\(unit)", 1 / rate)
        text += " elapsed \(clock(elapsed)) ETA \(remaining.isFinite ? clock(remaining) : "--:--")"
        for (key, value) in fields { text += " \(key) \(value)" }
        return text
    }

    /// h:mm:ss or m:ss.
    public static func clock(_ seconds: TimeInterval) -> String {
        let s = max(0, Int(seconds.rounded()))
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
