import CalendarModel
import Foundation
import GoogleAPI
import GoogleCalendar

/// One calendar as events.list gave it: the envelope (name, zone, description) and the items.
public struct FetchedCalendar: Sendable {
    public var calendarId: String
    public var info: CalendarInfo
    public var items: [GoogleEvent]
    /// From the last page; nil when the listing had time bounds or Google gave none.
    public var nextSyncToken: String?
    public var pages: Int
}

/// Reads a calendar's events page by page (2,500 a page, the `PullFields` mask).
public struct CalendarFetcher: Sendable {
    public let api: GoogleCalendarAPI

    public init(api: GoogleCalendarAPI) { self.api = api }

    /// A full listing. `includeCancelled` asks for deleted events too (`showDeleted`); cancelled
    /// occurrences of live series come either way and become EXDATEs.
    public func full(calendarId: String, timeMin: String? = nil, timeMax: String? = nil, includeCancelled: Bool = false,
                     progress: ProgressReporter? = nil) async throws -> FetchedCalendar {
        let options = ListOptions(maxResults: 2500, showDeleted: includeCancelled ? true : nil, timeMin: timeMin,
                                  timeMax: timeMax, fields: PullFields.mask)
        var fetched = try await list(calendarId: calendarId, options: options, progress: progress)
        if timeMin != nil || timeMax != nil {
            fetched.items = try await completingSeries(fetched.items, calendarId: calendarId, includeCancelled: includeCancelled)
        }
        return fetched
    }

    /// Time bounds apply to each entry on its own: a series that reaches into the window comes
    /// with its whole RRULE, but its overrides and cancelled occurrences outside the window do
    /// not, and an .ics written from that alone would bring cancelled occurrences back and show
    /// moved ones at their old time. Each series in the window is therefore listed again whole,
    /// by its iCalUID (one request per series), and replaces what the bounded listing held of it.
    func completingSeries(_ items: [GoogleEvent], calendarId: String, includeCancelled: Bool) async throws -> [GoogleEvent] {
        var uids: [String] = []
        var seen: Set<String> = []
        for g in items where g.recurrence?.isEmpty == false || g.recurringEventId != nil {
            if let uid = g.iCalUID, !uid.isEmpty, seen.insert(uid).inserted { uids.append(uid) }
        }
        guard !uids.isEmpty else { return items }
        var whole: [String: [GoogleEvent]] = [:]
        for uid in uids {
            var o = ListOptions(maxResults: 2500, showDeleted: includeCancelled ? true : nil, iCalUID: uid)
            o.fields = PullFields.mask
            whole[uid] = try await api.allEvents(calendarId: calendarId, options: o).items
        }
        // The series' ids, so that tombstones (which carry no iCalUID) are replaced too.
        var seriesIds: Set<String> = []
        for list in whole.values {
            for g in list where g.recurringEventId == nil { if let id = g.id { seriesIds.insert(id) } }
        }
        var out: [GoogleEvent] = []
        var placed: Set<String> = []
        for g in items {
            if let uid = g.iCalUID, let list = whole[uid] {
                if placed.insert(uid).inserted { out += list }
                continue
            }
            if let master = g.recurringEventId, seriesIds.contains(master) { continue }
            out.append(g)
        }
        return out
    }

    /// What changed since `syncToken` (deleted events as tombstones). Throws a `GoogleAPIError`
    /// with `fullSyncRequired` when the token expired.
    public func changes(calendarId: String, syncToken: String, progress: ProgressReporter? = nil) async throws -> FetchedCalendar {
        let options = ListOptions(maxResults: 2500, syncToken: syncToken, fields: PullFields.mask)
        return try await list(calendarId: calendarId, options: options, progress: progress)
    }

    func list(calendarId: String, options: ListOptions, progress: ProgressReporter?) async throws -> FetchedCalendar {
        var fetched = FetchedCalendar(calendarId: calendarId, info: CalendarInfo(), items: [], nextSyncToken: nil, pages: 0)
        for try await page in api.eventPages(calendarId: calendarId, options: options) {
            if fetched.pages == 0 {
                fetched.info.name = page.summary
                fetched.info.description = page.description.flatMap { $0.isEmpty ? nil : $0 }
                fetched.info.timeZone = page.timeZone
            }
            fetched.pages += 1
            let items = page.items ?? []
            fetched.items += items
            fetched.nextSyncToken = page.nextSyncToken ?? fetched.nextSyncToken
            progress?.advance(by: items.count)
        }
        return fetched
    }
}
