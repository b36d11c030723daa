import CalPort
import FakeGoogle
import Foundation
import GoogleAPI
import GoogleCalendar
import HTTP
import Testing

/// A fake Google, a state directory and the environment to run `calport push` against them.
final class PushHarness {
    let fake: FakeGoogleServer
    let directory: URL
    let calendarId: String
    var token = "test-token"

    init(timeZone: String = "Europe/Berlin") throws {
        fake = try FakeGoogleServer()
        directory = try Paths.temporaryDirectory()
        calendarId = try fake.createCalendar(summary: "push tests", timeZone: timeZone)
    }

    deinit {
        fake.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    var environment: [String: String] {
        ["CALPORT_GOOGLE_API_ROOT": fake.baseURL, "CALPORT_ACCESS_TOKEN": token,
         "CALPORT_STATE_DIR": directory.appendingPathComponent("state").path,
         "CALPORT_CONFIG_DIR": directory.appendingPathComponent("config").path]
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func write(_ name: String, _ text: String) throws -> String {
        let p = path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return p
    }

    /// A generated calendar (`CalendarGenerator`): recurring series with overrides and
    /// cancelled occurrences, several zones, attendees, alarms.
    func generate(events: Int, seed: Int = 7) throws -> String {
        let out = path("gen-\(events)-\(seed).ics")
        try CalendarGenerator.calendar(events: events, seed: seed).write(to: URL(fileURLWithPath: out))
        return out
    }

    func push(_ input: String, _ extra: [String] = [], stdin: Data? = nil) throws -> RunResult {
        try calport(["push", input, "--calendar", calendarId] + extra, stdin: stdin, environment: environment)
    }

    /// Writes the calendar as `calport pull` would see it: events.list with deleted events
    /// (cancelled occurrences as tombstones), and each deleted series or event read in full.
    func pullBack(to name: String) async throws -> String {
        let api = GoogleCalendarAPI(http: try CurlHTTPClient(), staticToken: token, root: fake.baseURL, retryPolicy: .never)
        var o = ListOptions(maxResults: 2500, showDeleted: true)
        o.fields = nil
        var items: [GoogleEvent] = []
        var zone: String?
        for try await page in api.eventPages(calendarId: calendarId, options: o) {
            zone = page.timeZone ?? zone
            for g in page.items ?? [] {
                if g.status == "cancelled", g.recurringEventId == nil, let id = g.id {
                    items.append(try await api.getEvent(calendarId: calendarId, eventId: id))
                } else {
                    items.append(g)
                }
            }
        }
        var envelope = GoogleEvents()
        envelope.kind = "calendar#events"
        envelope.timeZone = zone
        envelope.items = items
        let p = path(name)
        try JSONCodec.compactEncoder().encode(envelope).write(to: URL(fileURLWithPath: p))
        return p
    }

    func api() throws -> GoogleCalendarAPI {
        GoogleCalendarAPI(http: try CurlHTTPClient(), staticToken: token, root: fake.baseURL, retryPolicy: .never)
    }

    /// Stored events (deleted ones included) by what they stand for: a series or single event by
    /// iCalUID, an exception by iCalUID and original start. Counts duplicates.
    func storedKeys() -> [String: Int] {
        var out: [String: Int] = [:]
        let events = fake.storedEvents(calendarId: calendarId)
        var uidById: [String: String] = [:]
        for g in events { if let id = g.id, let uid = g.iCalUID { uidById[id] = uid } }
        for g in events {
            let uid = g.iCalUID ?? g.recurringEventId.flatMap { uidById[$0] } ?? "?"
            var key = uid
            if let o = g.originalStartTime { key += " @ " + (o.date ?? instantKey(o.dateTime ?? "")) }
            out[key, default: 0] += 1
        }
        return out
    }

    func instantKey(_ s: String) -> String {
        let f = ISO8601DateFormatter()
        guard let d = f.date(from: s) else { return s }
        return String(Int(d.timeIntervalSince1970))
    }

    /// Write calls the fake received (batch parts included).
    var writeCalls: Int {
        ["events.import", "events.insert", "events.update", "events.patch", "events.delete"].reduce(0) { $0 + fake.requestCount(for: $1) }
    }
}

struct PushReportFile: Decodable {
    struct Summary: Decodable {
        var planned: [String: Int]
        var created: Int
        var updated: Int
        var revived: Int
        var unchanged: Int
        var skipped: Int
        var rejected: Int
        var failed: Int
        var notificationsRequested: Int
        var notificationsPlannedByDomain: [String: Int]
    }
    struct Item: Decodable {
        var uid: String
        var recurrenceId: String?
        var action: String
        var state: String
        var googleId: String?
        var reason: String?
        var changes: [String]?
        var error: String?
    }
    var exitCode: Int32
    var dryRun: Bool
    var requests: Int
    var summary: Summary
    var items: [Item]

    static func read(_ path: String) throws -> PushReportFile {
        try JSONDecoder().decode(PushReportFile.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

struct VerifyReportFile: Decodable {
    struct Difference: Decodable {
        var kind: String
        var uid: String
        var occurrence: String
        var field: String?
    }
    var differences: [Difference]
    var occurrencesA: Int
    var occurrencesB: Int
}
