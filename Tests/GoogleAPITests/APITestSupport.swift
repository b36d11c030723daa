import Foundation
@testable import GoogleAPI
@testable import GoogleCalendar
import HTTP

/// An `HTTPClient` test double: records every request and answers from a script, in order;
/// when the script is used up, `fallback` answers (else 599).
final class ScriptedHTTP: HTTPClient, @unchecked Sendable {
    enum Step {
        case respond(HTTPResponse)
        case fail(HTTPError)
        case handle(@Sendable (HTTPRequest) -> HTTPResponse)
    }

    private let lock = NSLock()
    private var steps: [Step]
    private var recorded: [HTTPRequest] = []
    private let fallback: (@Sendable (HTTPRequest) -> HTTPResponse)?

    init(_ steps: [Step] = [], fallback: (@Sendable (HTTPRequest) -> HTTPResponse)? = nil) {
        self.steps = steps
        self.fallback = fallback
    }

    var requests: [HTTPRequest] { lock.withLock { recorded } }
    var remainingSteps: Int { lock.withLock { steps.count } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let step: Step? = lock.withLock {
            recorded.append(request)
            return steps.isEmpty ? nil : steps.removeFirst()
        }
        switch step {
        case .respond(let r)?: return r
        case .fail(let e)?: throw e
        case .handle(let h)?: return h(request)
        case nil: return fallback?(request) ?? HTTPResponse(status: 599, body: Array("script exhausted".utf8))
        }
    }
}

/// Records the waits instead of sleeping.
final class SleepLog: @unchecked Sendable {
    private let lock = NSLock()
    private var log: [Duration] = []
    var delays: [Duration] { lock.withLock { log } }
    func record(_ d: Duration) { lock.withLock { log.append(d) } }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    var value: Int { lock.withLock { n } }
    func increment() { lock.withLock { n += 1 } }
}

enum APIFixtures {
    static let token = "ya29.SECRET-TOKEN-123"
    static let root = "https://calendar.test/"
    static let calendarId = "a#b@group.calendar.google.com"
    static let encodedCalendarId = "a%23b%40group.calendar.google.com"

    /// Tiny deterministic waits: the ceiling itself (no randomness), 1 ms doubling to 32 ms.
    static func policy(maxAttempts: Int = 6) -> RetryPolicy {
        RetryPolicy(maxAttempts: maxAttempts, baseDelay: .milliseconds(1), maxDelay: .milliseconds(32), jitter: { $0 })
    }

    static func api(
        _ http: ScriptedHTTP, sleeps: SleepLog = SleepLog(), policy: RetryPolicy = policy(),
        token: @escaping @Sendable () async throws -> String = { APIFixtures.token },
        onTokenRejected: (@Sendable () async throws -> Void)? = nil
    ) -> GoogleCalendarAPI {
        GoogleCalendarAPI(
            http: http, root: root, environment: [:], retryPolicy: policy, sleep: { sleeps.record($0) },
            accessToken: token, onTokenRejected: onTokenRejected)
    }

    static func json(_ status: Int, _ body: String, headers: [String: String] = [:]) -> HTTPResponse {
        var h = headers
        h["content-type"] = h["content-type"] ?? "application/json; charset=UTF-8"
        return HTTPResponse(status: status, headers: h, body: Array(body.utf8))
    }

    static func googleError(_ status: Int, reason: String, message: String, domain: String = "global",
                            statusName: String? = nil, headers: [String: String] = [:]) -> HTTPResponse {
        let s = statusName.map { ",\"status\":\"\($0)\"" } ?? ""
        return json(status, """
            {"error":{"code":\(status),"message":"\(message)"\(s),"errors":[{"domain":"\(domain)","reason":"\(reason)","message":"\(message)"}]}}
            """, headers: headers)
    }

    static func eventJSON(id: String, iCalUID: String? = nil, summary: String = "Event", extra: String = "") -> String {
        let uid = iCalUID.map { ",\"iCalUID\":\"\($0)\"" } ?? ""
        return "{\"kind\":\"calendar#event\",\"id\":\"\(id)\",\"status\":\"confirmed\",\"summary\":\"\(summary)\"\(uid)\(extra)}"
    }

    static func event(summary: String, id: String? = nil, iCalUID: String? = nil) -> GoogleEvent {
        var e = GoogleEvent()
        e.summary = summary
        e.id = id
        e.iCalUID = iCalUID
        e.start = EventDateTime(dateTime: "2026-03-02T09:00:00+01:00", timeZone: "Europe/Berlin")
        e.end = EventDateTime(dateTime: "2026-03-02T10:00:00+01:00", timeZone: "Europe/Berlin")
        return e
    }
}

/// A URL taken apart: path (still percent-encoded) and decoded query items in order.
struct ParsedURL {
    var path: String
    var rawQuery: String
    var items: [(String, String)]

    init(_ url: String) {
        let c = URLComponents(string: url)!
        path = c.percentEncodedPath
        rawQuery = c.percentEncodedQuery ?? ""
        items = (c.queryItems ?? []).map { ($0.name, $0.value ?? "") }
    }

    func values(_ name: String) -> [String] { items.filter { $0.0 == name }.map(\.1) }
    func value(_ name: String) -> String? { values(name).first }
    var names: [String] { items.map(\.0) }
}

/// Batch bodies taken apart by the test itself (not by the code under test).
struct ParsedBatchPart {
    var headers: [String: String]
    var requestLine: String
    var innerHeaders: [String: String]
    var body: String
}

enum BatchText {
    static func boundary(_ contentType: String) -> String? {
        guard let r = contentType.range(of: "boundary=") else { return nil }
        return String(contentType[r.upperBound...]).trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
    }

    /// Splits a multipart/mixed request body: every line ends in CRLF.
    static func parseRequest(_ body: [UInt8], contentType: String) -> [ParsedBatchPart]? {
        guard let b = boundary(contentType) else { return nil }
        let text = String(decoding: body, as: UTF8.self)
        guard text.hasSuffix("--\(b)--\r\n") else { return nil }
        var chunks = text.components(separatedBy: "--\(b)")
        guard chunks.first == "", chunks.last == "--\r\n" else { return nil }
        chunks = Array(chunks.dropFirst().dropLast())
        return chunks.compactMap { chunk -> ParsedBatchPart? in
            guard chunk.hasPrefix("\r\n"), chunk.hasSuffix("\r\n") else { return nil }
            // Swift strings count "\r\n" as one Character.
            let inner = String(chunk.dropFirst("\r\n".count).dropLast("\r\n".count))
            guard let split = inner.range(of: "\r\n\r\n") else { return nil }
            let headers = headerMap(String(inner[..<split.lowerBound]))
            let http = String(inner[split.upperBound...])
            guard let lineEnd = http.range(of: "\r\n") else { return nil }
            let requestLine = String(http[..<lineEnd.lowerBound])
            let afterLine = String(http[lineEnd.upperBound...])
            if afterLine.hasPrefix("\r\n") {
                return ParsedBatchPart(headers: headers, requestLine: requestLine, innerHeaders: [:], body: String(afterLine.dropFirst("\r\n".count)))
            }
            guard let hdrEnd = afterLine.range(of: "\r\n\r\n") else { return nil }
            return ParsedBatchPart(headers: headers, requestLine: requestLine,
                                   innerHeaders: headerMap(String(afterLine[..<hdrEnd.lowerBound])),
                                   body: String(afterLine[hdrEnd.upperBound...]))
        }
    }

    static func headerMap(_ s: String) -> [String: String] {
        var m: [String: String] = [:]
        for line in s.components(separatedBy: "\r\n") {
            guard let c = line.firstIndex(of: ":") else { continue }
            m[line[..<c].lowercased()] = line[line.index(after: c)...].trimmingCharacters(in: .whitespaces)
        }
        return m
    }

    /// A batch answer with parts (content id, status, JSON body) in the given order.
    static func response(boundary: String = "batch_resp_XYZ", _ parts: [(id: String, status: Int, body: String)],
                         lineEnding: String = "\r\n") -> HTTPResponse {
        let nl = lineEnding
        var s = ""
        for p in parts {
            s += "--\(boundary)\(nl)Content-Type: application/http\(nl)Content-ID: <response-\(p.id)>\(nl)\(nl)"
            s += "HTTP/1.1 \(p.status) \(p.status == 200 ? "OK" : "Error")\(nl)Content-Type: application/json; charset=UTF-8\(nl)"
            s += "Vary: Origin\(nl)\(nl)\(p.body)\(nl)"
        }
        s += "--\(boundary)--\(nl)"
        return HTTPResponse(status: 200, headers: ["content-type": "multipart/mixed; boundary=\(boundary)"], body: Array(s.utf8))
    }
}
