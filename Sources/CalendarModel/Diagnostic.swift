/// A recoverable problem found while reading or mapping: the batch goes on, the user is told.
public struct Diagnostic: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Severity: String, Hashable, Sendable, Codable, Comparable {
        case note, warning, error
        public static func < (a: Severity, b: Severity) -> Bool {
            let order: [Severity] = [.note, .warning, .error]
            return order.firstIndex(of: a)! < order.firstIndex(of: b)!
        }
    }

    public var severity: Severity
    public var message: String
    /// The input's name (`-` for stdin) when known.
    public var file: String?
    /// 1-based line of the component or line the diagnostic is about.
    public var line: Int?
    /// The event's UID, when the problem belongs to one.
    public var uid: String?

    public init(_ severity: Severity, _ message: String, file: String? = nil, line: Int? = nil, uid: String? = nil) {
        self.severity = severity
        self.message = message
        self.file = file
        self.line = line
        self.uid = uid
    }

    /// `file:line: warning: message [UID x]`, the form compilers use, so editors can jump to it.
    public var description: String {
        var s = ""
        if let file { s += file + ":" }
        if let line { s += "\(line):" }
        if !s.isEmpty { s += " " }
        s += "\(severity.rawValue): \(message)"
        if let uid { s += " (UID \(uid))" }
        return s
    }
}

/// Where diagnostics go. The CLI prints them to stderr; tests collect them.
public protocol DiagnosticSink: AnyObject, Sendable {
    func emit(_ diagnostic: Diagnostic)
}

/// Collects diagnostics in memory (thread-safe).
public final class DiagnosticCollector: DiagnosticSink, @unchecked Sendable {
    private var items: [Diagnostic] = []
    private let lock = Lock()

    public init() {}

    public func emit(_ diagnostic: Diagnostic) { lock.withLock { items.append(diagnostic) } }
    public var diagnostics: [Diagnostic] { lock.withLock { items } }
}
