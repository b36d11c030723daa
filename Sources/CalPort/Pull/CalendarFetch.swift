import CalendarModel
import Foundation
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
        return try await list(calendarId: calendarId, options: options, progress: progress)
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
