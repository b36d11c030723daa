import Foundation
@testable import GoogleAPI
@testable import GoogleCalendar
import HTTP
import Testing

private typealias F = APIFixtures

/// Answers a batch request with 200 and an event per part, echoing the part's summary.
private func echoBatch(_ r: HTTPRequest) -> HTTPResponse {
    guard let parts = BatchText.parseRequest(r.body ?? [], contentType: r.header("Content-Type") ?? "") else {
        return HTTPResponse(status: 400)
    }
    return BatchText.response(parts.map { p in
        let id = String(p.headers["content-id"]!.dropFirst().dropLast())  // <item-N> -> item-N
        let summary = (try? JSONDecoder().decode(GoogleEvent.self, from: Data(p.body.utf8)))?.summary ?? "?"
        return (id, 200, F.eventJSON(id: "g-\(id)", summary: summary))
    })
}

@Suite struct APIBatchTests {
    @Test func batchRequestBodyFormat() async throws {
        let http = ScriptedHTTP([.handle(echoBatch)])
        let api = F.api(http)
        var moved = F.event(summary: "Moved")
        moved.location = "Room 2"
        let requests: [BatchRequest] = [
            .importEvent(F.event(summary: "One", iCalUID: "one@x"), conferenceDataVersion: 1),
            .insert(F.event(summary: "Two", id: "abcdef12345"), sendUpdates: .none, supportsAttachments: true),
            .update(moved, eventId: "ev#3", sendUpdates: .externalOnly, ifMatch: "\"etag-3\""),
            .patch(F.event(summary: "Four"), eventId: "ev4", sendUpdates: .all, calendarId: "other@group.calendar.google.com"),
            .delete(eventId: "ev5", sendUpdates: .none),
            .get(eventId: "ev6"),
        ]
        let results = try await api.batch(requests, calendarId: F.calendarId)
        #expect(results.count == 6)

        #expect(http.requests.count == 1)
        let r = http.requests[0]
        #expect(r.method == "POST")
        #expect(r.url == "https://calendar.test/batch/calendar/v3")
        #expect(r.header("Authorization") == "Bearer \(F.token)")
        #expect(r.header("Accept") == "application/json")
        let contentType = try #require(r.header("Content-Type"))
        #expect(contentType.hasPrefix("multipart/mixed; boundary="))
        let parts = try #require(BatchText.parseRequest(r.body!, contentType: contentType))
        #expect(parts.count == 6)
        #expect(parts.map { $0.headers["content-type"] } == Array(repeating: "application/http", count: 6))
        #expect(parts.map { $0.headers["content-id"] } == (1...6).map { "<item-\($0)>" })
        let cal = "/calendar/v3/calendars/\(F.encodedCalendarId)/events"
        #expect(parts.map(\.requestLine) == [
            "POST \(cal)/import?conferenceDataVersion=1 HTTP/1.1",
            "POST \(cal)?sendUpdates=none&supportsAttachments=true HTTP/1.1",
            "PUT \(cal)/ev%233?sendUpdates=externalOnly HTTP/1.1",
            "PATCH /calendar/v3/calendars/other%40group.calendar.google.com/events/ev4?sendUpdates=all HTTP/1.1",
            "DELETE \(cal)/ev5?sendUpdates=none HTTP/1.1",
            "GET \(cal)/ev6 HTTP/1.1",
        ])
        for p in parts.prefix(4) {
            #expect(p.innerHeaders["content-type"] == "application/json")
            #expect(p.innerHeaders["content-length"] == String(p.body.utf8.count))
            #expect(p.innerHeaders["authorization"] == nil)
        }
        #expect(parts[2].innerHeaders["if-match"] == "\"etag-3\"")
        #expect(parts[4].body.isEmpty && parts[5].body.isEmpty)
        let decoded = try parts.prefix(4).map { try JSONDecoder().decode(GoogleEvent.self, from: Data($0.body.utf8)) }
        #expect(decoded.map(\.summary) == ["One", "Two", "Moved", "Four"])
        #expect(decoded[0].iCalUID == "one@x" && decoded[1].id == "abcdef12345" && decoded[2].location == "Room 2")

        #expect(results.map(\.summary) == ["One", "Two", "Moved", "Four", nil, "?"])
        #expect(results[4].event == nil && results[4].succeeded)
        #expect(api.stats.batches == 1 && api.stats.batchParts == 6 && api.stats.requests == 1)
    }

    @Test func batchResponseIsMappedByContentIdWithOneFailedPart() async throws {
        let http = ScriptedHTTP([
            .respond(BatchText.response([
                (id: "item-3", status: 200, body: F.eventJSON(id: "c", summary: "Three")),
                (id: "item-1", status: 200, body: F.eventJSON(id: "a", summary: "One")),
                (id: "item-2", status: 404, body: #"{"error":{"code":404,"message":"Not Found","errors":[{"domain":"global","reason":"notFound","message":"Not Found"}]}}"#),
            ])),
        ])
        let results = try await F.api(http).batch([
            .patch(F.event(summary: "One"), eventId: "a", sendUpdates: .none),
            .patch(F.event(summary: "Two"), eventId: "missing", sendUpdates: .none),
            .patch(F.event(summary: "Three"), eventId: "c", sendUpdates: .none),
        ], calendarId: "primary")
        #expect(results.map(\.index) == [0, 1, 2])
        #expect(results.map(\.status) == [200, 404, 200])
        #expect(results[0].event?.id == "a" && results[2].event?.id == "c")
        #expect(results[1].event == nil)
        let error = try #require(results[1].error)
        #expect(error.isNotFound && error.reason == "notFound" && error.operation == "events.patch")
        #expect(http.requests.count == 1, "a 404 part is not sent again")
    }

    @Test func batchAnswerWithBareLineFeedsAndQuotedBoundary() async throws {
        var answer = BatchText.response(boundary: "b_1", [(id: "item-1", status: 204, body: "")], lineEnding: "\n")
        answer.headers["content-type"] = "multipart/mixed; boundary=\"b_1\""
        let http = ScriptedHTTP([.respond(answer)])
        let results = try await F.api(http).batch([.delete(eventId: "x", sendUpdates: .none)], calendarId: "primary")
        #expect(results.count == 1 && results[0].status == 204 && results[0].succeeded)
    }

    @Test func retryableFailedPartsAreSentAgainAlone() async throws {
        let sleeps = SleepLog()
        let http = ScriptedHTTP([
            .respond(BatchText.response([
                (id: "item-1", status: 200, body: F.eventJSON(id: "a")),
                (id: "item-2", status: 403, body: #"{"error":{"code":403,"message":"Rate Limit Exceeded","errors":[{"domain":"usageLimits","reason":"rateLimitExceeded"}]}}"#),
                (id: "item-3", status: 503, body: #"{"error":{"code":503,"message":"Backend Error"}}"#),
            ])),
            .handle(echoBatch),
        ])
        let api = F.api(http, sleeps: sleeps)
        let results = try await api.batch([
            .importEvent(F.event(summary: "One", iCalUID: "1@x")),
            .importEvent(F.event(summary: "Two", iCalUID: "2@x")),
            .importEvent(F.event(summary: "Three", iCalUID: "3@x")),
        ], calendarId: "primary")
        #expect(results.allSatisfy { $0.succeeded })
        #expect(results.map(\.attempts) == [1, 2, 2])
        #expect(results.map(\.summary) == ["Event", "Two", "Three"])
        let second = try #require(BatchText.parseRequest(http.requests[1].body!, contentType: http.requests[1].header("Content-Type")!))
        #expect(second.map { $0.headers["content-id"] } == ["<item-2>", "<item-3>"])
        #expect(sleeps.delays == [.milliseconds(1)])
        #expect(api.stats.retries == 2 && api.stats.batchPartsByStatus == [200: 3, 403: 1, 503: 1])
    }

    @Test func importPartAfterServerErrorThenConflictIsRecovered() async throws {
        let http = ScriptedHTTP([
            .respond(BatchText.response([(id: "item-1", status: 500, body: #"{"error":{"code":500,"message":"Backend Error"}}"#)])),
            .respond(BatchText.response([(id: "item-1", status: 409, body: #"{"error":{"code":409,"message":"The requested identifier already exists.","errors":[{"domain":"global","reason":"duplicate"}]}}"#)])),
            .respond(F.json(200, "{\"items\":[\(F.eventJSON(id: "made", iCalUID: "u@x", summary: "Once"))]}")),
        ])
        let results = try await F.api(http).batch([.importEvent(F.event(summary: "Once", iCalUID: "u@x"))], calendarId: "primary")
        #expect(results[0].succeeded && results[0].recovered && results[0].event?.id == "made")
        #expect(ParsedURL(http.requests[2].url).value("iCalUID") == "u@x")
    }

    @Test func conflictingPartsAreLookedUp() async throws {
        let dup = #"{"error":{"code":409,"message":"The requested identifier already exists.","errors":[{"domain":"global","reason":"duplicate"}]}}"#
        let same = F.event(summary: "Same", id: "aaaaa11111")
        let http = ScriptedHTTP([
            .respond(BatchText.response([(id: "item-1", status: 409, body: dup), (id: "item-2", status: 409, body: dup)])),
        ], fallback: { r in
            ParsedURL(r.url).path.hasSuffix("/aaaaa11111")
                ? F.json(200, String(decoding: try! JSONEncoder().encode(same), as: UTF8.self))
                : F.json(200, F.eventJSON(id: "bbbbb22222", summary: "Someone else's"))
        })
        let results = try await F.api(http).batch([
            .insert(same, sendUpdates: .none),
            .insert(F.event(summary: "Mine", id: "bbbbb22222"), sendUpdates: .none),
        ], calendarId: "primary")
        #expect(results[0].succeeded && results[0].recovered && results[0].event?.id == "aaaaa11111")
        #expect(results[1].error?.isConflict == true && !results[1].recovered)
        #expect(http.requests.count == 3)
    }

    @Test func moreThanAThousandRequestsAreSplit() async throws {
        let http = ScriptedHTTP(fallback: echoBatch)
        let requests = (0..<1001).map { BatchRequest.importEvent(F.event(summary: "E\($0)", iCalUID: "\($0)@x")) }
        let results = try await F.api(http).batch(requests, calendarId: "primary")
        #expect(http.requests.count == 2)
        let sizes = http.requests.map { BatchText.parseRequest($0.body!, contentType: $0.header("Content-Type")!)?.count }
        #expect(sizes == [1000, 1])
        #expect(results.count == 1001 && results.allSatisfy { $0.succeeded })
        #expect(results.map(\.summary) == (0..<1001).map { "E\($0)" })
        #expect(results.last?.event?.id == "g-item-1001")
    }

    @Test func wholeBatchFailuresThrow() async throws {
        let http = ScriptedHTTP([.respond(F.googleError(403, reason: "quotaExceeded", message: "Calendar usage limits exceeded.", domain: "usageLimits"))])
        let error = await #expect(throws: GoogleAPIError.self) {
            _ = try await F.api(http).batch([.get(eventId: "a")], calendarId: "primary")
        }
        #expect(error?.isQuotaExceeded == true && http.requests.count == 1)
    }

    @Test func emptyBatchSendsNothing() async throws {
        let http = ScriptedHTTP()
        #expect(try await F.api(http).batch([], calendarId: "primary").isEmpty)
        #expect(http.requests.isEmpty)
    }
}

private extension BatchResult {
    var summary: String? { event?.summary }
}
