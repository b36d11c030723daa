import CalendarModel
import Foundation
import GoogleCalendar

/// When and how often the API client sends a request again.
///
/// Retried: 403 `rateLimitExceeded`/`userRateLimitExceeded`, 429, 500, 502, 503, 504 and
/// transport failures (`HTTPError.connection`). Never retried: `quotaExceeded` ("usage limits
/// exceeded"), 400, 401 (apart from one token refresh), 404, 409, 410, 412.
///
/// Retries are bounded by time, not by a count: a call is sent again until the client has gone
/// `maxWait` without progress (no call answered finally since its failures began), as Google
/// recommends for its APIs (truncated exponential backoff within a deadline). A server error or
/// a lost answer waits before retry n (1, 2, ...) a random duration between zero and
/// `min(maxDelay, baseDelay * 2^(n-1))` (full jitter). A rate refusal pauses every call of the
/// client instead (`Pacer`): for `Retry-After` when Google sends one, unless it is longer than
/// `maxRetryAfter`, in which case the error is thrown at once.
public struct RetryPolicy: Sendable {
    /// Sends in all, the first included (1: never retry). Unbounded by default: `maxWait` ends
    /// the retries.
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// The longest `Retry-After` waited for (5 minutes by default): a longer one fails the
    /// call at once, without a retry.
    public var maxRetryAfter: Duration
    /// How long the client goes on retrying while no call makes progress (10 minutes by
    /// default; `calport push --max-wait`). Then the call fails with its last error, saying so.
    public var maxWait: Duration
    /// Whether a create without a client-chosen identity (events.insert without `id` or
    /// `iCalUID`, calendars.insert) is sent again after a failure that may have been applied
    /// (network error, 5xx). Off: such a create may otherwise be duplicated.
    public var retryAmbiguousCreates: Bool
    /// A create with an id or iCalUID that meets 409 on its first attempt returns the existing
    /// event when that event holds what was sent (the calendar already is as asked; this also
    /// covers the transport re-sending a request whose answer was lost). Off: such a 409 is
    /// always an error. Either way, a 409 after an unclear attempt returns the existing event.
    public var acceptIdenticalOnConflict: Bool
    /// Picks the wait from its ceiling. Full jitter by default; tests pass `{ $0 }`.
    public var jitter: @Sendable (Duration) -> Duration

    public init(
        maxAttempts: Int = .max,
        baseDelay: Duration = .seconds(1),
        maxDelay: Duration = .seconds(64),
        maxRetryAfter: Duration = .seconds(300),
        maxWait: Duration = RetryPolicy.defaultMaxWait,
        retryAmbiguousCreates: Bool = false,
        acceptIdenticalOnConflict: Bool = true,
        jitter: @escaping @Sendable (Duration) -> Duration = RetryPolicy.fullJitter
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
        self.maxWait = maxWait
        self.retryAmbiguousCreates = retryAmbiguousCreates
        self.acceptIdenticalOnConflict = acceptIdenticalOnConflict
        self.jitter = jitter
    }

    public static let defaultMaxWait: Duration = .seconds(600)
    public static let standard = RetryPolicy()
    public static let never = RetryPolicy(maxAttempts: 1)

    /// A uniformly random duration in [0, ceiling].
    public static let fullJitter: @Sendable (Duration) -> Duration = { ceiling in
        ceiling <= .zero ? .zero : ceiling * Double.random(in: 0...1)
    }

    /// The ceiling of the wait before retry `n` (1-based): `min(maxDelay, baseDelay * 2^(n-1))`.
    public func ceiling(retry n: Int) -> Duration {
        let exponent = min(max(n - 1, 0), 30)
        let d = baseDelay * (1 << exponent)
        return d > maxDelay ? maxDelay : d
    }

    /// The wait before retry `n` (1-based), jittered.
    public func backoff(retry n: Int) -> Duration {
        let c = ceiling(retry: n)
        let d = jitter(c)
        return d < .zero ? .zero : (d > c ? c : d)
    }
}

/// How far a listing (events.list, events.instances, calendarList.list) follows `nextPageToken`.
/// Past either limit the server is taken to be broken, not the calendar to be that large:
/// Google pages at most 2500 items, so 10,000 pages could hold 25 million, and 5 million items
/// is far more than a calendar holds. What the limits bound is how much a server that never
/// stops can make calport fetch and keep.
public struct ListingLimits: Sendable, Equatable {
    public var maxPages: Int
    public var maxItems: Int

    public init(maxPages: Int = 10_000, maxItems: Int = 5_000_000) {
        self.maxPages = max(1, maxPages)
        self.maxItems = max(1, maxItems)
    }

    public static let standard = ListingLimits()
}

/// The page tokens of one listing so far. A token seen before means the listing would loop
/// forever (a server that answers the same `nextPageToken` again, or cycles through a few), so
/// it ends the listing with an error, as does going past the limits.
struct PageTrail: Sendable {
    let operation: String
    let limits: ListingLimits
    /// Hashes, not the tokens: a hostile server's tokens may be long, and memory should stay
    /// bounded by the page limit alone. A collision (about 10^-11 at 10,000 pages) would end a
    /// good listing with a clear error, never loop.
    private var seen: Set<Int> = []
    private(set) var pages = 0
    private(set) var items = 0

    init(operation: String, limits: ListingLimits, startToken: String? = nil) {
        self.operation = operation
        self.limits = limits
        if let startToken, !startToken.isEmpty { seen.insert(startToken.hashValue) }
    }

    /// Takes in a page of `count` items that named `next` as the next page; returns the token
    /// to ask for, or nil when the listing is complete.
    mutating func follow(itemCount count: Int, next: String?) throws(GoogleAPIError) -> String? {
        pages += 1
        items += count
        if items > limits.maxItems {
            throw stop("the listing went on past \(limits.maxItems) items (\(pages) pages)")
        }
        guard let next, !next.isEmpty else { return nil }
        if pages >= limits.maxPages {
            throw stop("the listing went on past \(limits.maxPages) pages")
        }
        guard seen.insert(next.hashValue).inserted else {
            throw stop("page \(pages) named a page token that an earlier page had named already, so the listing would never end")
        }
        return next
    }

    private func stop(_ message: String) -> GoogleAPIError {
        GoogleAPIError(status: 0, message: message, operation: operation, attempts: 1, localKind: .endlessListing)
    }
}

/// Waits; injectable so that tests never sleep.
public typealias APISleeper = @Sendable (Duration) async throws -> Void

/// Counters of what the client sent and got back, for progress lines and benchmarks.
public struct APIStatistics: Sendable, Equatable {
    /// HTTP requests sent (a batch counts once), retries and token refreshes included.
    public var requests = 0
    /// Requests (or batch parts) sent again after a retryable failure.
    public var retries = 0
    /// HTTP answers by status (batch parts not included).
    public var byStatus: [Int: Int] = [:]
    /// Sends that got no answer.
    public var transportErrors = 0
    /// Times the token-rejected hook ran.
    public var tokenRefreshes = 0
    /// Batch HTTP requests and the parts they carried.
    public var batches = 0
    public var batchParts = 0
    public var batchPartsByStatus: [Int: Int] = [:]
    /// Creates that met 409 and returned the existing event (after an unclear earlier attempt,
    /// or because it holds what was sent).
    public var recoveredConflicts = 0
    /// Total time spent waiting before retries.
    public var waited: Duration = .zero

    public init() {}
}

final class StatisticsBox: @unchecked Sendable {
    private let lock = Lock()
    private var stats = APIStatistics()
    func update(_ body: (inout APIStatistics) -> Void) { lock.withLock { body(&stats) } }
    var snapshot: APIStatistics { lock.withLock { stats } }
    func reset() { lock.withLock { stats = APIStatistics() } }
}

/// Coalesces token refreshes: concurrent requests that met a 401 with the same token run the
/// token-rejected hook once.
final class RefreshGate: @unchecked Sendable {
    private let lock = Lock()
    private var generation = 0
    private var running: (generation: Int, task: Task<Void, Error>)?

    var currentGeneration: Int { lock.withLock { generation } }

    /// Runs `hook` unless a refresh newer than `seenGeneration` already finished or is running.
    func refresh(after seenGeneration: Int, hook: @escaping @Sendable () async throws -> Void) async throws -> Bool {
        let task: Task<Void, Error>? = lock.withLock {
            if generation > seenGeneration { return nil }
            if let r = running, r.generation == generation { return r.task }
            let t = Task { try await hook() }
            running = (generation, t)
            return t
        }
        guard let task else { return false }
        do {
            try await task.value
        } catch {
            lock.withLock { if running?.task == task { running = nil } }
            throw error
        }
        lock.withLock {
            if running?.task == task {
                running = nil
                generation += 1
            }
        }
        return true
    }
}

enum APIJSON {
    static func decoder() -> JSONDecoder { JSONDecoder() }

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    static func data(_ bytes: [UInt8]) -> Data { Data(bytes) }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], operation: String, status: Int) throws -> T {
        do {
            return try decoder().decode(T.self, from: Data(bytes))
        } catch {
            throw GoogleAPIError.invalidResponse(status: status, operation: operation, detail: "\(T.self): \(Self.summary(of: error))")
        }
    }

    /// A decoding error without the data itself.
    static func summary(of error: Error) -> String {
        switch error as? DecodingError {
        case .dataCorrupted(let c)?: "corrupt JSON at \(path(c.codingPath))"
        case .keyNotFound(let k, let c)?: "missing \(k.stringValue) at \(path(c.codingPath))"
        case .typeMismatch(let t, let c)?: "expected \(t) at \(path(c.codingPath))"
        case .valueNotFound(let t, let c)?: "missing \(t) at \(path(c.codingPath))"
        default: "not JSON"
        }
    }

    private static func path(_ p: [CodingKey]) -> String {
        p.isEmpty ? "top level" : p.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    static func bytes(_ event: GoogleEvent) -> [UInt8] { Array(FastJSON.compact(event).utf8) }
}

/// Percent-encoding for path segments and query values: everything but RFC 3986 unreserved
/// characters is escaped (so `@`, `#`, `+`, `/`, `=`, `&` and spaces all are), and path
/// segments of dots alone are escaped whole.
enum PercentEncoding {
    static func encode(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        let hex: [Character] = Array("0123456789ABCDEF")
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(Unicode.Scalar(b)))
            default:
                out.append("%")
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            }
        }
        return out
    }

    /// A path segment: `encode`, and a segment of dots alone ("." or "..") has its dots escaped
    /// as well. Left as they are, curl removes such a segment (RFC 3986 §5.2.4, with the one
    /// before it for ".."), so a calendar id ".." would address another resource. Dots within
    /// an id (`a.b@group.calendar.google.com`) are no path step and stay readable.
    static func pathSegment(_ s: String) -> String {
        guard !s.isEmpty, s.utf8.allSatisfy({ $0 == UInt8(ascii: ".") }) else { return encode(s) }
        return String(repeating: "%2E", count: s.utf8.count)
    }
}

/// Query parameters in the order they were added (repeated names allowed).
struct Query: Sendable {
    var items: [(String, String)] = []

    mutating func add(_ name: String, _ value: String?) { if let value { items.append((name, value)) } }
    mutating func add(_ name: String, _ value: Int?) { if let value { items.append((name, String(value))) } }
    mutating func add(_ name: String, _ value: Bool?) { if let value { items.append((name, value ? "true" : "false")) } }
    mutating func add(_ name: String, _ values: [String]) { for v in values { items.append((name, v)) } }

    var encoded: String {
        items.map { "\(PercentEncoding.encode($0.0))=\(PercentEncoding.encode($0.1))" }.joined(separator: "&")
    }
}
