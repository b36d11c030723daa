import Foundation
import GoogleCalendar
import HTTP

/// One event call, sent alone (the `GoogleCalendarAPI` event methods build these) or as a part
/// of a batch. Whom to notify is part of every insert, update, patch and delete: there is no
/// default.
public struct BatchRequest: Sendable {
    public enum Operation: Sendable {
        case get(eventId: String)
        case insert(GoogleEvent, sendUpdates: SendUpdates)
        /// events.import: never sends mail, so no sendUpdates.
        case importEvent(GoogleEvent)
        case update(GoogleEvent, eventId: String, sendUpdates: SendUpdates)
        case patch(PatchBody, eventId: String, sendUpdates: SendUpdates)
        case delete(eventId: String, sendUpdates: SendUpdates)
    }

    /// A patch body: the set fields of an event, or raw JSON (where `null` clears a field).
    public enum PatchBody: Sendable {
        case event(GoogleEvent)
        case json(JSONValue)
    }

    public var operation: Operation
    /// The calendar; nil: the one given to `batch`.
    public var calendarId: String?
    /// 1: conferenceData is read and written (it is ignored otherwise). Writes only.
    public var conferenceDataVersion: Int?
    /// Writes only.
    public var supportsAttachments: Bool?
    /// An etag for `If-Match` (update, patch, delete): 412 when the event changed since.
    public var ifMatch: String?
    /// A partial-response mask.
    public var fields: String?

    public init(
        _ operation: Operation, calendarId: String? = nil, conferenceDataVersion: Int? = nil,
        supportsAttachments: Bool? = nil, ifMatch: String? = nil, fields: String? = nil
    ) {
        self.operation = operation
        self.calendarId = calendarId
        self.conferenceDataVersion = conferenceDataVersion
        self.supportsAttachments = supportsAttachments
        self.ifMatch = ifMatch
        self.fields = fields
    }

    public static func get(eventId: String, calendarId: String? = nil, fields: String? = nil) -> BatchRequest {
        BatchRequest(.get(eventId: eventId), calendarId: calendarId, fields: fields)
    }

    public static func insert(
        _ event: GoogleEvent, sendUpdates: SendUpdates, calendarId: String? = nil,
        conferenceDataVersion: Int? = nil, supportsAttachments: Bool? = nil
    ) -> BatchRequest {
        BatchRequest(.insert(event, sendUpdates: sendUpdates), calendarId: calendarId,
                     conferenceDataVersion: conferenceDataVersion, supportsAttachments: supportsAttachments)
    }

    public static func importEvent(
        _ event: GoogleEvent, calendarId: String? = nil, conferenceDataVersion: Int? = nil, supportsAttachments: Bool? = nil
    ) -> BatchRequest {
        BatchRequest(.importEvent(event), calendarId: calendarId,
                     conferenceDataVersion: conferenceDataVersion, supportsAttachments: supportsAttachments)
    }

    public static func update(
        _ event: GoogleEvent, eventId: String, sendUpdates: SendUpdates, ifMatch: String? = nil, calendarId: String? = nil,
        conferenceDataVersion: Int? = nil, supportsAttachments: Bool? = nil
    ) -> BatchRequest {
        BatchRequest(.update(event, eventId: eventId, sendUpdates: sendUpdates), calendarId: calendarId,
                     conferenceDataVersion: conferenceDataVersion, supportsAttachments: supportsAttachments, ifMatch: ifMatch)
    }

    public static func patch(
        _ changes: GoogleEvent, eventId: String, sendUpdates: SendUpdates, ifMatch: String? = nil, calendarId: String? = nil,
        conferenceDataVersion: Int? = nil, supportsAttachments: Bool? = nil
    ) -> BatchRequest {
        BatchRequest(.patch(.event(changes), eventId: eventId, sendUpdates: sendUpdates), calendarId: calendarId,
                     conferenceDataVersion: conferenceDataVersion, supportsAttachments: supportsAttachments, ifMatch: ifMatch)
    }

    public static func patch(
        json: JSONValue, eventId: String, sendUpdates: SendUpdates, ifMatch: String? = nil, calendarId: String? = nil,
        conferenceDataVersion: Int? = nil, supportsAttachments: Bool? = nil
    ) -> BatchRequest {
        BatchRequest(.patch(.json(json), eventId: eventId, sendUpdates: sendUpdates), calendarId: calendarId,
                     conferenceDataVersion: conferenceDataVersion, supportsAttachments: supportsAttachments, ifMatch: ifMatch)
    }

    public static func delete(eventId: String, sendUpdates: SendUpdates, ifMatch: String? = nil, calendarId: String? = nil) -> BatchRequest {
        BatchRequest(.delete(eventId: eventId, sendUpdates: sendUpdates), calendarId: calendarId, ifMatch: ifMatch)
    }

    /// The method name in the discovery document.
    public var methodName: String {
        switch operation {
        case .get: "events.get"
        case .insert: "events.insert"
        case .importEvent: "events.import"
        case .update: "events.update"
        case .patch: "events.patch"
        case .delete: "events.delete"
        }
    }

    /// The request, path relative to the API root, with the calendar `calendarId` unless the
    /// request names its own.
    func call(calendarId defaultCalendar: String) -> APICall {
        let cal = calendarId ?? defaultCalendar
        var q = Query()
        var call: APICall
        func writeParameters(_ sendUpdates: SendUpdates?) {
            q.add("sendUpdates", sendUpdates?.rawValue)
            q.add("conferenceDataVersion", conferenceDataVersion)
            q.add("supportsAttachments", supportsAttachments)
        }
        switch operation {
        case .get(let eventId):
            call = APICall(name: methodName, method: "GET", path: GoogleCalendarAPI.eventPath(cal, eventId))
        case .insert(let e, let sendUpdates):
            writeParameters(sendUpdates)
            call = APICall(name: methodName, method: "POST", path: GoogleCalendarAPI.eventsPath(cal), body: APIJSON.bytes(e),
                           safety: .create(Self.recovery(for: e, calendarId: cal)))
        case .importEvent(let e):
            writeParameters(nil)
            call = APICall(name: methodName, method: "POST", path: GoogleCalendarAPI.eventsPath(cal) + "/import",
                           body: APIJSON.bytes(e), safety: .create(Self.recovery(for: e, calendarId: cal)))
        case .update(let e, let eventId, let sendUpdates):
            writeParameters(sendUpdates)
            call = APICall(name: methodName, method: "PUT", path: GoogleCalendarAPI.eventPath(cal, eventId), body: APIJSON.bytes(e))
        case .patch(let body, let eventId, let sendUpdates):
            writeParameters(sendUpdates)
            let bytes: [UInt8]
            switch body {
            case .event(let e): bytes = APIJSON.bytes(e)
            case .json(let j): bytes = Array((try? APIJSON.encoder().encode(j)) ?? Data("null".utf8))
            }
            call = APICall(name: methodName, method: "PATCH", path: GoogleCalendarAPI.eventPath(cal, eventId), body: bytes)
        case .delete(let eventId, let sendUpdates):
            q.add("sendUpdates", sendUpdates.rawValue)
            call = APICall(name: methodName, method: "DELETE", path: GoogleCalendarAPI.eventPath(cal, eventId), safety: .delete)
        }
        q.add("fields", fields)
        call.query = q
        if let ifMatch, !ifMatch.isEmpty {
            switch operation {
            case .update, .patch, .delete: call.headers.append(("If-Match", ifMatch.filter { $0 != "\r" && $0 != "\n" }))
            default: break
            }
        }
        return call
    }

    /// How to find the event a create made: by its client id, else by its iCalUID.
    static func recovery(for e: GoogleEvent, calendarId: String) -> Recovery? {
        if let id = e.id, !id.isEmpty { return Recovery(calendarId: calendarId, lookup: .id(id), sent: e) }
        if let uid = e.iCalUID, !uid.isEmpty {
            return Recovery(calendarId: calendarId, lookup: .iCalUID(uid, originalStartTime: e.originalStartTime), sent: e)
        }
        return nil
    }
}

/// The outcome of one batch part, in the order of the input.
public struct BatchResult: Sendable {
    /// The position of the request in the input.
    public var index: Int
    /// The part's HTTP status; 0 when it got none.
    public var status: Int
    /// The event Google returned (nil for deletes).
    public var event: GoogleEvent?
    public var error: GoogleAPIError?
    /// A create met 409 and `event` is the existing event (made by an unclear earlier attempt,
    /// or holding what was sent), or a delete met 404/410 after an unclear attempt.
    public var recovered: Bool
    /// How many times the part was sent.
    public var attempts: Int

    public var succeeded: Bool { error == nil }

    public init(index: Int, status: Int, event: GoogleEvent? = nil, error: GoogleAPIError? = nil, recovered: Bool = false, attempts: Int = 1) {
        self.index = index
        self.status = status
        self.event = event
        self.error = error
        self.recovered = recovered
        self.attempts = attempts
    }
}

extension GoogleCalendarAPI {
    /// Sends event calls as multipart/mixed batches to `{root}batch/calendar/v3`, at most
    /// `partsPerBatch` (≤ 1000, Google's limit) per HTTP request, and returns one result per
    /// request in input order. Each call still counts against the quota.
    ///
    /// Parts that fail with a retryable status (rate limits, 5xx) are sent again in a later
    /// batch, paced and backed off as single requests are (see `runBatch`); a create that meets
    /// 409 is resolved as `importEvent` does (up to 8 lookups at a time). Throws only when a
    /// whole batch fails finally (400, 401 after a refresh, quotaExceeded, ...); a failed part
    /// is a result with an `error`.
    public func batch(_ requests: [BatchRequest], calendarId: String, partsPerBatch: Int = GoogleCalendarAPI.maxBatchParts) async throws -> [BatchResult] {
        let size = min(max(1, partsPerBatch), Self.maxBatchParts)
        var results: [BatchResult?] = Array(repeating: nil, count: requests.count)
        var start = 0
        while start < requests.count {
            let end = min(start + size, requests.count)
            let parts = (start..<end).map { PendingPart(index: $0, call: requests[$0].call(calendarId: calendarId)) }
            for r in try await runBatch(parts) { results[r.index] = r }
            start = end
        }
        return results.enumerated().map { i, r in
            r ?? BatchResult(index: i, status: 0, error: .invalidResponse(status: 0, operation: requests[i].methodName, detail: "no result"))
        }
    }

    struct PendingPart: Sendable {
        var index: Int
        var call: APICall
        var attempts = 0
        var ambiguous = false
    }

    /// One chunk: sends, retries the retryable parts, returns a result for every part.
    ///
    /// Each request carries as many pending parts as the pacer admits (fewer while Google's
    /// quota is tight). Parts refused for rate go again once the pacer lets them; parts that met
    /// a server error or got no answer go again after the policy's backoff. A part fails when
    /// its attempts run out, when the client has gone `maxWait` without progress, or on a final
    /// answer.
    func runBatch(_ parts: [PendingPart]) async throws -> [BatchResult] {
        var results: [BatchResult] = []
        var pending = parts
        var auth = AuthState()
        var round = 0
        var failingRounds = 0
        var lastError: [Int: GoogleAPIError] = [:]
        let policy = retryPolicy
        while !pending.isEmpty {
            let grant: Pacer.Grant
            do {
                grant = try await pacer.admit(upTo: pending.count)
            } catch let g as Pacer.GaveUp {
                for p in pending {
                    var e = lastError[p.index] ?? GoogleAPIError(status: 0, message: "Google refused or failed every call",
                                                                 operation: p.call.name, attempts: p.attempts)
                    e.gaveUpAfter = g.stalled
                    results.append(BatchResult(index: p.index, status: e.status, error: e, attempts: p.attempts))
                }
                return results
            }
            var sending = Array(pending.prefix(grant.count))
            let held = Array(pending.dropFirst(grant.count))
            round += 1
            let boundary = Self.makeBoundary(avoiding: sending.compactMap(\.call.body))
            for i in sending.indices { sending[i].attempts += 1 }
            let call = APICall(
                name: "batch", method: "POST", path: "batch/calendar/v3",
                body: Self.multipartBody(sending.map { ($0.index, $0.call) }, boundary: boundary, rootPath: rootPath),
                contentType: "multipart/mixed; boundary=\(boundary)", timeout: batchTimeout)
            statistics.update {
                $0.batches += 1
                $0.batchParts += sending.count
            }

            var outerError: GoogleAPIError?
            var answers: [Int: BatchPart] = [:]
            var token = ""
            do {
                let (response, t) = try await exchange(call, &auth)
                token = t
                if (200...299).contains(response.status) {
                    let parsed = try Self.parseMultipart(response, operation: "batch")
                    for (n, part) in parsed.enumerated() {
                        if let i = part.itemIndex { answers[i] = part } else if n < sending.count { answers[sending[n].index] = part }
                    }
                } else {
                    outerError = GoogleAPIError.from(response, operation: "batch", attempts: round, secrets: [t])
                }
            } catch let e as HTTPError {
                outerError = GoogleAPIError.transport(e, operation: "batch", attempts: round, outcomeUnknown: false, secrets: [])
            } catch {
                pacer.release(grant)
                throw error
            }
            if let outerError, Self.classify(outerError) == .final {
                pacer.report(grant, Self.pacingOutcome(of: outerError, parts: sending.count, acceptableWait: true))
                throw outerError
            }

            var retry: [PendingPart] = []
            var serverRetryAfter: Duration?
            var serverTrouble = false
            var conflicts: [(PendingPart, Recovery, GoogleAPIError)] = []
            var outcome = Pacer.Outcome()
            for var p in sending {
                var error: GoogleAPIError
                var failure: FailureClass
                if var e = outerError {
                    e.operation = p.call.name
                    e.attempts = p.attempts
                    error = e
                    failure = Self.classify(e)
                } else if let answer = answers[p.index] {
                    statistics.update { $0.batchPartsByStatus[answer.status, default: 0] += 1 }
                    if (200...299).contains(answer.status) {
                        outcome.answered += 1
                        outcome.final += 1
                        results.append(Self.success(p, answer))
                        continue
                    }
                    error = GoogleAPIError.from(status: answer.status, headers: answer.headers, body: answer.body,
                                                operation: p.call.name, attempts: p.attempts, secrets: [token])
                    failure = Self.classify(error)
                } else {
                    // No answer for this part: it may or may not have been applied.
                    error = GoogleAPIError(status: 0, message: "the batch answer has no part for this request",
                                           operation: p.call.name, attempts: p.attempts)
                    failure = .ambiguous
                }
                let acceptableWait = error.retryAfter.map { $0 <= policy.maxRetryAfter } ?? true
                var o = Self.pacingOutcome(of: error, parts: 1, acceptableWait: acceptableWait)
                if failure == .ambiguous && !error.isRetryable { o = Pacer.Outcome(failed: 1) }  // a part left unanswered
                outcome.answered += o.answered
                outcome.final += o.final
                outcome.refused += o.refused
                outcome.failed += o.failed
                if let after = o.retryAfter { outcome.retryAfter = max(outcome.retryAfter ?? .zero, after) }
                lastError[p.index] = error

                if outerError == nil {
                    if error.status == 409, case .create(let recovery?) = p.call.safety {
                        conflicts.append((p, recovery, error))
                        continue
                    }
                    if p.ambiguous, error.status == 404 || error.status == 410, case .delete = p.call.safety {
                        results.append(BatchResult(index: p.index, status: 204, recovered: true, attempts: p.attempts))
                        continue
                    }
                }

                switch failure {
                case .final:
                    results.append(BatchResult(index: p.index, status: error.status, error: error, attempts: p.attempts))
                    continue
                case .notApplied:
                    break
                case .ambiguous:
                    p.ambiguous = true
                    if case .create(nil) = p.call.safety, !policy.retryAmbiguousCreates {
                        error.outcomeUnknown = true
                        results.append(BatchResult(index: p.index, status: error.status, error: error, attempts: p.attempts))
                        continue
                    }
                }
                if p.attempts >= policy.maxAttempts || !acceptableWait {
                    results.append(BatchResult(index: p.index, status: error.status, error: error, attempts: p.attempts))
                    continue
                }
                if !error.isRateLimited {
                    serverTrouble = true
                    if let after = error.retryAfter { serverRetryAfter = max(serverRetryAfter ?? .zero, after) }
                }
                retry.append(p)
            }
            pacer.report(grant, outcome)
            results += try await resolveConflicts(conflicts)
            pending = retry + held
            if serverTrouble {
                failingRounds += 1
                try await wait(serverRetryAfter ?? policy.backoff(retry: failingRounds), retries: retry.count)
            } else {
                if outcome.final > 0 { failingRounds = 0 }
                // Refused for rate: the pacer holds the next request back.
                if !retry.isEmpty { try await wait(.zero, retries: retry.count) }
            }
        }
        return results
    }

    /// Looks up what the creates that met 409 found, a few at a time.
    func resolveConflicts(_ conflicts: [(PendingPart, Recovery, GoogleAPIError)]) async throws -> [BatchResult] {
        guard !conflicts.isEmpty else { return [] }
        return try await withThrowingTaskGroup(of: BatchResult.self) { group in
            var results: [BatchResult] = []
            var next = 0
            func start() {
                let (p, recovery, conflict) = conflicts[next]
                next += 1
                group.addTask { [self] in
                    do {
                        if let existing = try await resolveConflict(recovery, afterUnclearAttempt: p.ambiguous) {
                            return BatchResult(index: p.index, status: 200, event: existing, recovered: true, attempts: p.attempts)
                        }
                        return BatchResult(index: p.index, status: conflict.status, error: conflict, attempts: p.attempts)
                    } catch let e as GoogleAPIError {
                        return BatchResult(index: p.index, status: e.status, error: e, attempts: p.attempts)
                    }
                }
            }
            while next < min(conflicts.count, Self.conflictLookups) { start() }
            while let r = try await group.next() {
                results.append(r)
                if next < conflicts.count { start() }
            }
            return results
        }
    }

    /// Concurrent lookups for batch parts that met 409.
    static let conflictLookups = 8

    static func success(_ p: PendingPart, _ answer: BatchPart) -> BatchResult {
        if case .delete = p.call.safety { return BatchResult(index: p.index, status: answer.status, attempts: p.attempts) }
        if answer.body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return BatchResult(index: p.index, status: answer.status, attempts: p.attempts)
        }
        do {
            let e = try APIJSON.decode(GoogleEvent.self, answer.body, operation: p.call.name, status: answer.status)
            return BatchResult(index: p.index, status: answer.status, event: e, attempts: p.attempts)
        } catch let e as GoogleAPIError {
            return BatchResult(index: p.index, status: answer.status, error: e, attempts: p.attempts)
        } catch {
            return BatchResult(index: p.index, status: answer.status,
                               error: .invalidResponse(status: answer.status, operation: p.call.name, detail: "\(error)"), attempts: p.attempts)
        }
    }

    // MARK: multipart/mixed

    /// A boundary that occurs in none of the bodies.
    static func makeBoundary(avoiding bodies: [[UInt8]]) -> String {
        while true {
            var rng = SystemRandomNumberGenerator()
            let b = "calport_batch_" + (0..<3).map { _ in String(rng.next() as UInt64, radix: 16) }.joined()
            let needle = Array(b.utf8)
            if !bodies.contains(where: { Multipart.find(needle, in: $0, from: 0) != nil }) { return b }
        }
    }

    /// The batch body: one `application/http` part per call, `Content-ID: <item-N>` with N the
    /// 1-based position of the call in the input.
    static func multipartBody(_ parts: [(index: Int, call: APICall)], boundary: String, rootPath: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(parts.reduce(0) { $0 + ($1.call.body?.count ?? 0) + 300 })
        for (index, call) in parts {
            var head = "--\(boundary)\r\nContent-Type: application/http\r\nContent-ID: <item-\(index + 1)>\r\n\r\n"
            let q = call.query.encoded
            head += "\(call.method) \(rootPath)\(call.path)\(q.isEmpty ? "" : "?" + q) HTTP/1.1\r\n"
            if let body = call.body {
                head += "Content-Type: \(call.contentType)\r\nContent-Length: \(body.count)\r\n"
            }
            for (name, value) in call.headers { head += "\(name): \(value)\r\n" }
            head += "\r\n"
            out += head.utf8
            if let body = call.body { out += body }
            out += "\r\n".utf8
        }
        out += "--\(boundary)--\r\n".utf8
        return out
    }

    /// The parts of a multipart/mixed batch answer, each an embedded HTTP response.
    static func parseMultipart(_ response: HTTPResponse, operation: String) throws -> [BatchPart] {
        let contentType = response.header("content-type") ?? ""
        guard contentType.lowercased().contains("multipart/"), let boundary = Multipart.boundary(from: contentType) else {
            throw GoogleAPIError.invalidResponse(status: response.status, operation: operation,
                                                 detail: "expected multipart/mixed, got \(contentType.isEmpty ? "no content type" : contentType)")
        }
        return try Multipart.parts(response.body, boundary: boundary).map { raw in
            let (partHeaders, inner) = Multipart.splitHeaders(raw)
            let (statusLine, headers, body) = Multipart.splitResponse(inner)
            let fields = statusLine.split(separator: " ", maxSplits: 2)
            guard fields.count >= 2, fields[0].hasPrefix("HTTP/"), let status = Int(fields[1]) else {
                throw GoogleAPIError.invalidResponse(status: response.status, operation: operation,
                                                     detail: "a batch part has no HTTP status line")
            }
            return BatchPart(contentID: partHeaders["content-id"], status: status, headers: headers, body: body)
        }
    }
}

/// One part of a batch answer.
struct BatchPart: Sendable {
    var contentID: String?
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    /// The 0-based input index from `<response-item-N>`.
    var itemIndex: Int? {
        guard var id = contentID?.trimmingCharacters(in: .whitespaces) else { return nil }
        if id.hasPrefix("<") { id.removeFirst() }
        if id.hasSuffix(">") { id.removeLast() }
        guard let r = id.range(of: "item-", options: .backwards), let n = Int(id[r.upperBound...]), n >= 1 else { return nil }
        return n - 1
    }
}

enum Multipart {
    /// The `boundary` parameter of a Content-Type (quotes removed).
    static func boundary(from contentType: String) -> String? {
        for param in contentType.split(separator: ";").dropFirst() {
            let kv = param.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var v = kv[1].trimmingCharacters(in: .whitespaces)
            if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
            return v.isEmpty ? nil : v
        }
        return nil
    }

    /// The first index ≥ `from` where `needle` occurs in `hay`.
    static func find(_ needle: [UInt8], in hay: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, hay.count >= needle.count else { return nil }
        return hay.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                let first = n[0], last = h.count - n.count
                var i = from
                while i <= last {
                    if h[i] == first {
                        var j = 1
                        while j < n.count && h[i + j] == n[j] { j += 1 }
                        if j == n.count { return i }
                    }
                    i += 1
                }
                return nil
            }
        }
    }

    /// The contents of the parts (without the line break before each delimiter).
    static func parts(_ body: [UInt8], boundary: String) throws -> [[UInt8]] {
        let delimiter = Array("--\(boundary)".utf8)
        var starts: [Int] = []
        var i = 0
        while let at = find(delimiter, in: body, from: i) {
            if at == 0 || body[at - 1] == 0x0A { starts.append(at) }
            i = at + delimiter.count
        }
        var result: [[UInt8]] = []
        for (k, at) in starts.enumerated() {
            var from = at + delimiter.count
            if from + 1 < body.count, body[from] == 0x2D, body[from + 1] == 0x2D { break }  // closing delimiter
            while from < body.count, body[from] != 0x0A { from += 1 }  // rest of the delimiter line
            from += 1
            var to = k + 1 < starts.count ? starts[k + 1] : body.count
            if to > from, body[to - 1] == 0x0A { to -= 1 }
            if to > from, body[to - 1] == 0x0D { to -= 1 }
            if from <= to { result.append(Array(body[from..<to])) }
        }
        return result
    }

    /// Header lines (names lower-cased) up to the first empty line, and the rest.
    static func splitHeaders(_ bytes: [UInt8]) -> ([String: String], [UInt8]) {
        var headers: [String: String] = [:]
        var i = 0
        while i < bytes.count {
            var end = i
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            var lineEnd = end
            if lineEnd > i, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let next = min(end + 1, bytes.count)
            if lineEnd == i { return (headers, Array(bytes[next...])) }
            let line = String(decoding: bytes[i..<lineEnd], as: UTF8.self)
            if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                headers[name] = headers[name].map { "\($0), \(value)" } ?? value
            }
            i = next
        }
        return (headers, [])
    }

    /// An embedded HTTP response: status line, headers, body.
    static func splitResponse(_ bytes: [UInt8]) -> (String, [String: String], [UInt8]) {
        var start = 0
        while start < bytes.count, bytes[start] == 0x0D || bytes[start] == 0x0A { start += 1 }
        var end = start
        while end < bytes.count, bytes[end] != 0x0A { end += 1 }
        var lineEnd = end
        if lineEnd > start, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
        let statusLine = String(decoding: bytes[start..<lineEnd], as: UTF8.self)
        let rest = end < bytes.count ? Array(bytes[(end + 1)...]) : []
        let (headers, body) = splitHeaders(rest)
        return (statusLine, headers, body)
    }
}
