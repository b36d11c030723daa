import CalendarModel

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
                StandardError.write("calport: \(d)\n")
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

public enum StandardError {
    public static func write(_ s: String) {
        var s = s
        s.withUTF8 { buf in
            var off = 0
            while off < buf.count {
                #if canImport(Glibc)
                let n = Glibc.write(2, buf.baseAddress! + off, buf.count - off)
                #else
                let n = Darwin.write(2, buf.baseAddress! + off, buf.count - off)
                #endif
                if n <= 0 { return }
                off += n
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
