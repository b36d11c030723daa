import CalendarModel
import SystemSupport

/// Counts diagnostics by severity and passes them on (to stderr in the CLI).
public final class DiagnosticCounter: DiagnosticSink, @unchecked Sendable {
    private let next: DiagnosticSink?
    private let lock = Lock()
    private var counts: [Diagnostic.Severity: Int] = [:]

    public init(forwardingTo next: DiagnosticSink?) { self.next = next }

    public func emit(_ d: Diagnostic) {
        lock.withLock { counts[d.severity, default: 0] += 1 }
        next?.emit(d)
    }

    public var errors: Int { lock.withLock { counts[.error] ?? 0 } }
    public var warnings: Int { lock.withLock { counts[.warning] ?? 0 } }
    public var total: Int { lock.withLock { counts.values.reduce(0, +) } }
}

/// Writes each diagnostic as one line to a file descriptor (stderr by default).
public final class DiagnosticPrinter: DiagnosticSink, @unchecked Sendable {
    private let lock = Lock()
    private let limit: Int
    private var printed = 0
    private var suppressed = 0

    /// At most `limit` lines are printed; the rest are counted and summarised by `finish()`.
    public init(limit: Int = 200) { self.limit = limit }

    public func emit(_ d: Diagnostic) {
        lock.withLock {
            if printed < limit {
                printed += 1
                StandardError.write("calport: \(TerminalText.oneLine("\(d)"))\n")
            } else {
                suppressed += 1
            }
        }
    }

    public func finish() {
        lock.withLock {
            if suppressed > 0 { StandardError.write("calport: \(suppressed) more diagnostics not shown\n") }
        }
    }
}

/// Text from the input or from Google, made safe to print: a diagnostic must stay one line, and
/// a calendar must not move the cursor, recolour or retitle the user's terminal.
public enum TerminalText {
    /// The longest diagnostic printed; a 50 MB line quoted whole would fill the terminal.
    public static let maximumLength = 1_000

    /// Control characters as visible escapes (`\r`, `\n`, `\u{1B}`), tabs kept; newlines too
    /// unless `keepNewlines` is false.
    public static func escaped(_ s: String, keepNewlines: Bool) -> String {
        guard s.unicodeScalars.contains(where: { needsEscape($0, keepNewlines: keepNewlines) }) else { return s }
        var out = ""
        for u in s.unicodeScalars {
            guard needsEscape(u, keepNewlines: keepNewlines) else { out.unicodeScalars.append(u); continue }
            switch u {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out += "\\u{" + String(u.value, radix: 16, uppercase: true) + "}"
            }
        }
        return out
    }

    /// One line: every control character escaped, and cut at `maximumLength` characters.
    public static func oneLine(_ s: String) -> String {
        let e = escaped(s, keepNewlines: false)
        guard e.utf8.count > maximumLength else { return e }
        let kept = e.prefix(maximumLength)
        return kept + "… (\(e.count - kept.count) more characters)"
    }

    /// C0 and C1 controls and DEL; TAB is harmless.
    static func needsEscape(_ u: Unicode.Scalar, keepNewlines: Bool) -> Bool {
        switch u.value {
        case 0x09: false
        case 0x0A: !keepNewlines
        case 0..<0x20, 0x7F, 0x80..<0xA0: true
        default: false
        }
    }
}

/// Writes all of `s` to `fd` (`SystemSupport.writeAll`); the errno of a failed write, else nil.
private func writeAll(_ fd: Int32, _ s: String) -> Int32? {
    var s = s
    return s.withUTF8 { buf in buf.baseAddress.flatMap { SystemSupport.writeAll(fd, $0, buf.count) } }
}

/// Standard output for what a command prints (tables, reports, tokens): unbuffered, and a write
/// that fails (a full disk, a closed descriptor) is an error the command reports with exit 1,
/// never a crash and never a silent success.
public enum StandardOutput {
    public static func write(_ s: String) throws(OutputError) {
        if let failure = writeAll(1, s) {
            throw OutputError(description: "cannot write to standard output: \(String(cString: strerror(failure)))")
        }
    }
}

public enum StandardError {
    /// Writes `s` with control characters escaped (newlines kept: callers end their lines). A
    /// failure has nowhere to be reported.
    public static func write(_ s: String) {
        _ = writeAll(2, TerminalText.escaped(s, keepNewlines: true))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
