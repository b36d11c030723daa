import Foundation
import HTTP
import Testing
@testable import FakeGoogle

@Suite(.timeLimit(.minutes(1)))
struct BatchTests {
    static func part(_ id: String, _ requestLine: String, json: [String: Any]?) throws -> String {
        var s = "Content-Type: application/http\r\nContent-ID: <\(id)>\r\n\r\n\(requestLine)\r\n"
        if let json {
            let body = String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
            s += "Content-Type: application/json\r\n\r\n\(body)\r\n"
        } else {
            s += "\r\n"
        }
        return s
    }

    static func body(_ parts: [String], boundary: String) -> [UInt8] {
        Array((parts.map { "--\(boundary)\r\n\($0)" }.joined() + "--\(boundary)--\r\n").utf8)
    }

    /// The parts of a multipart/mixed response: Content-ID, status, body.
    static func parse(_ reply: Reply) throws -> [(String?, Int, [String: Any])] {
        let type = try #require(reply.headers["content-type"])
        let boundary = try #require(Multipart.boundary(type))
        return Multipart.split(reply.body, boundary: boundary).map { part in
            let text = String(decoding: part.body, as: UTF8.self)
            let statusLine = text.split(separator: "\r\n").first.map(String.init) ?? ""
            let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
            let (_, body) = Multipart.headersAndBody(Array(part.body.drop { $0 != 10 }.dropFirst()))
            let json = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
            return (part.headers["content-id"], status, json)
        }
    }

    @Test func threePartsAnsweredInOrder() async throws {
        let fake = try Fake()
        let path = "POST /calendar/v3/calendars/primary/events/import HTTP/1.1"
        let parts = [
            try Self.part("item1", path, json: timedEvent("One", extra: ["iCalUID": "one@x"])),
            try Self.part("item2", path, json: timedEvent("Two", extra: ["iCalUID": "one@x"])),  // duplicate of item1
            try Self.part("item3", "POST https://www.googleapis.com/calendar/v3/calendars/me%40example.com/events/import", json: timedEvent("Three", extra: ["iCalUID": "three@x"])),
        ]
        let reply = try await fake.send("POST", "batch/calendar/v3", raw: Self.body(parts, boundary: "calport_b"),
                                        headers: [("Content-Type", "multipart/mixed; boundary=calport_b")])
        #expect(reply.status == 200)
        let answers = try Self.parse(reply)
        #expect(answers.map(\.0) == ["<response-item1>", "<response-item2>", "<response-item3>"])
        #expect(answers.map(\.1) == [200, 409, 200])
        #expect(answers[0].2["summary"] as? String == "One")
        #expect(((answers[1].2["error"] as? [String: Any])?["errors"] as? [[String: Any]])?.first?["reason"] as? String == "duplicate")
        #expect(answers[2].2["summary"] as? String == "Three")
        #expect(try await fake.events().items.count == 2)
        #expect(fake.server.requestCount(for: "batch") == 1)
        #expect(fake.server.requestCount(for: "events.import") == 3)
    }

    @Test func batchLimitsAndAuth() async throws {
        let fake = try Fake()
        let one = try Self.part("a", "GET /calendar/v3/calendars/primary/events", json: nil)
        let tooMany = Self.body(Array(repeating: one, count: 1001), boundary: "b")
        let big = try await fake.send("POST", "batch/calendar/v3", raw: tooMany, headers: [("Content-Type", "multipart/mixed; boundary=b")])
        #expect(big.status == 400)
        let unauthorized = try await fake.send("POST", "batch/calendar/v3", raw: Self.body([one], boundary: "b"),
                                               headers: [("Content-Type", "multipart/mixed; boundary=b")], authorized: false)
        #expect(unauthorized.status == 401)
        let ok = try await fake.send("POST", "batch/calendar/v3", raw: Self.body([one, one], boundary: "b"),
                                     headers: [("Content-Type", "multipart/mixed; boundary=b")])
        #expect(try Self.parse(ok).map(\.1) == [200, 200])
        // Faults hit parts one by one.
        fake.server.failNext(1, with: .rateLimitExceeded)
        let faulted = try await fake.send("POST", "batch/calendar/v3", raw: Self.body([one, one], boundary: "b"),
                                          headers: [("Content-Type", "multipart/mixed; boundary=b")])
        #expect(try Self.parse(faulted).map(\.1) == [403, 200])
    }
}
