import CalPort
import FakeGoogle
import Foundation
import GoogleAPI
import GoogleCalendar
import HTTP
import Testing

/// One HTTP client for the pull and archive tests' seeding (each CurlHTTPClient owns a thread).
let pullTestHTTP: CurlHTTPClient = try! CurlHTTPClient()

/// A fake Google account for one test: the server, a temporary directory, the environment the
/// calport binary runs with, and an API client for seeding and changing the calendar.
final class FakeAccount {
    let server: FakeGoogleServer
    let dir: URL
    let api: GoogleCalendarAPI
    static let token = "pull-test-token-0123456789"

    init(timeZone: String = "Europe/Berlin", accountEmail: String = "me@example.com") throws {
        server = try FakeGoogleServer(options: .init(accountEmail: accountEmail, timeZone: timeZone))
        dir = try Paths.temporaryDirectory()
        api = GoogleCalendarAPI(http: pullTestHTTP, staticToken: Self.token, root: server.baseURL, environment: [:],
                                retryPolicy: .never)
    }

    deinit {
        server.stop()
        try? FileManager.default.removeItem(at: dir)
    }

    var calendarId: String { server.primaryCalendarId }

    var environment: [String: String] {
        ["CALPORT_GOOGLE_API_ROOT": server.baseURL, "CALPORT_ACCESS_TOKEN": Self.token,
         "CALPORT_CONFIG_DIR": dir.appendingPathComponent("config").path,
         "XDG_STATE_HOME": dir.appendingPathComponent("state").path]
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// Runs calport against this account.
    func run(_ args: [String], environment extra: [String: String] = [:]) throws -> RunResult {
        try calport(args, environment: environment.merging(extra) { $1 })
    }

    /// Imports events in batches; returns them as Google stored them (with ids).
    @discardableResult
    func importEvents(_ events: [GoogleEvent], calendarId: String? = nil) async throws -> [GoogleEvent] {
        let results = try await api.batch(events.map { BatchRequest.importEvent($0) }, calendarId: calendarId ?? self.calendarId)
        return try results.map { r in
            if let e = r.error { throw e }
            return r.event!
        }
    }
}

/// Deterministic, varied Google events for seeding.
enum SeedEvents {
    static func time(_ s: String, _ zone: String? = nil) -> EventDateTime { EventDateTime(dateTime: s, timeZone: zone) }

    /// Event `i` of a generated calendar: timed events in several zones, all-day events, events
    /// with attendees, reminders, colours and extended properties, and weekly series.
    static func event(_ i: Int, tag: String = "seed") -> GoogleEvent {
        var g = GoogleEvent()
        g.iCalUID = "\(tag)-\(i)@calport.test"
        g.summary = "Event \(i)"
        let day = 1 + i % 27, month = 1 + (i / 28) % 12, year = 2024 + (i / 336) % 3
        let date = String(format: "%04d-%02d-%02d", year, month, day)
        switch i % 10 {
        case 0:
            g.summary = "Weekly \(i)"
            g.start = time("\(date)T08:30:00-05:00", "America/New_York")
            g.end = time("\(date)T09:00:00-05:00", "America/New_York")
            g.recurrence = ["RRULE:FREQ=WEEKLY;COUNT=6"]
            var r = GoogleEvent.Reminders()
            r.useDefault = false
            r.overrides = [GoogleEvent.Reminder(method: "popup", minutes: 15)]
            g.reminders = r
        case 1:
            g.start = EventDateTime(date: date)
            let next = String(format: "%04d-%02d-%02d", year, month, day + 1)
            g.end = EventDateTime(date: next)
            g.transparency = "transparent"
        case 2:
            g.start = time("\(date)T14:00:00+09:00", "Asia/Tokyo")
            g.end = time("\(date)T15:00:00+09:00", "Asia/Tokyo")
            var a = GoogleEvent.Attendee()
            a.email = "guest\(i)@example.com"
            a.responseStatus = "accepted"
            g.attendees = [a]
            g.colorId = "\(1 + i % 11)"
            var x = GoogleEvent.ExtendedProperties()
            x.shared = ["project": "p\(i)"]
            g.extendedProperties = x
        default:
            g.start = time("\(date)T10:00:00Z")
            g.end = time("\(date)T11:15:00Z")
            g.location = "Room \(i % 7)"
            g.description = "Line one of \(i)\nLine two, with a comma; and a semicolon"
        }
        return g
    }
}
