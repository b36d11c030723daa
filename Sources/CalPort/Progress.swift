import Foundation

/// Progress of a long job on standard error: a redrawn bar on a terminal, and a plain line every
/// few seconds otherwise (cron logs, CI), so a user can tell a slow run from a stuck one.
/// Silent when `quiet`. Thread-safe.
public final class ProgressReporter: @unchecked Sendable {
    public let label: String
    private let lock = NSLock()
    private let interactive: Bool
    private let quiet: Bool
    private let interval: TimeInterval
    private let write: @Sendable (String) -> Void
    private let started = Date()
    private var total: Int?
    private var done = 0
    private var detail = ""
    private var lastDraw = Date.distantPast
    private var drewBar = false

    /// - Parameters:
    ///   - interactive: nil: whether standard error is a terminal.
    ///   - interval: seconds between lines when not interactive (a bar redraws at most 10 times a second).
    public init(label: String, total: Int? = nil, quiet: Bool = false, interactive: Bool? = nil,
                interval: TimeInterval = 5, write: @escaping @Sendable (String) -> Void = { StandardError.write($0) }) {
        self.label = label
        self.total = total
        self.quiet = quiet
        self.interactive = interactive ?? (isatty(2) == 1)
        self.interval = interval
        self.write = write
    }

    public func setTotal(_ total: Int) {
        lock.withLock { self.total = total }
    }

    /// Records `n` more items done; `detail` (e.g. "12 failed") is shown beside the count.
    public func advance(by n: Int = 1, detail: String? = nil) {
        lock.withLock {
            done += n
            if let detail { self.detail = detail }
            drawIfDue(force: false)
        }
    }

    /// Sets the count of items done.
    public func update(done: Int, detail: String? = nil) {
        lock.withLock {
            self.done = done
            if let detail { self.detail = detail }
            drawIfDue(force: false)
        }
    }

    /// Ends the bar (a terminal gets its final state and a newline).
    public func finish() {
        lock.withLock {
            guard !quiet else { return }
            if interactive {
                drawIfDue(force: true)
                if drewBar { write("\n") }
            }
        }
    }

    /// A message between progress updates, not overwritten by the bar.
    public func note(_ message: String) {
        lock.withLock {
            guard !quiet else { return }
            line(message)
        }
    }

    /// A failure the user must see: printed like `note`, and also when quiet (a cron job run
    /// with --quiet still mails what went wrong).
    public func problem(_ message: String) {
        lock.withLock { line(message) }
    }

    /// Called with the lock held.
    private func line(_ message: String) {
        if interactive && drewBar { write("\r\u{1B}[K") }
        write("calport: \(message)\n")
        if interactive && drewBar { drawIfDue(force: true) }
    }

    private func drawIfDue(force: Bool) {
        guard !quiet else { return }
        let now = Date()
        let gap = interactive ? 0.1 : interval
        guard force || now.timeIntervalSince(lastDraw) >= gap || (total.map { done >= $0 } ?? false) && !interactive && lastDraw == .distantPast
        else { return }
        lastDraw = now
        let line = render(now: now)
        if interactive {
            write("\r\u{1B}[K" + line)
            drewBar = true
        } else {
            write("calport: " + line + "\n")
        }
    }

    func render(now: Date) -> String {
        let elapsed = max(now.timeIntervalSince(started), 0.001)
        let rate = Double(done) / elapsed
        var parts: [String] = []
        if let total, total > 0 {
            let fraction = min(Double(done) / Double(total), 1)
            if interactive {
                let width = 24
                let filled = Int(fraction * Double(width))
                parts.append("[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "]")
            }
            parts.append("\(label) \(done)/\(total) (\(Int(fraction * 100))%)")
            if done > 0 && done < total {
                parts.append("about \(Self.duration(Double(total - done) / max(rate, 0.001))) left")
            }
        } else {
            parts.append("\(label) \(done)")
        }
        parts.append(String(format: "%.0f/s", rate))
        if !detail.isEmpty { parts.append(detail) }
        return parts.joined(separator: "  ")
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m"
    }
}
