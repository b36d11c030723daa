import CalendarModel
import Foundation
import GoogleAPI
import GoogleCalendar

/// A Google calendar as a `CalendarStore`: entries are Google Event resources (a series, a
/// single event, an override, a cancelled occurrence), ids are Google event ids, versions are
/// etags, and change tokens are Google's sync tokens.
///
/// Deletions: Google keeps a deleted event as a `cancelled` tombstone, and a cancelled
/// occurrence of a live series looks much the same. Only the first is a deletion (an entry
/// without an item); a cancelled occurrence (one with `recurringEventId` or
/// `originalStartTime`) stays an item, because it is part of its series (an EXDATE, which the
/// mapping folds in). Callers that need Google's tombstones themselves (pull's JSON, push's
/// planning, the archive's mirror) read `listing(since:)`, the same listing before it becomes
/// entries.
///
/// Writes go through `GoogleCalendarAPI.batch` (`options.batchSize` events a request, paced and
/// retried there); `apply` reports each batch's outcomes as it comes back.
public final class GoogleCalendarStore: CalendarStore {
    public typealias Item = GoogleEvent

    /// How a create without a reason to notify anyone is sent.
    public enum CreateMethod: String, Sendable {
        /// events.import: a private copy that keeps the event's iCalUID and never sends mail.
        case `import`
        /// events.insert: the calendar becomes the organizer; `sendUpdates` decides the mail.
        case insert
    }

    public struct Options: Sendable {
        /// The partial-response mask of listings (with `etag`: it is the entries' version).
        public var fields: String
        /// RFC 3339 bounds of a full listing (Google refuses them with a sync token). A series
        /// that reaches into the bounds is listed whole when `completesSeries`.
        public var timeMin: String?
        public var timeMax: String?
        /// Full listings include deleted events (`showDeleted`). Listings since a token always
        /// do: Google includes deletions in every incremental listing.
        public var includeDeleted: Bool
        /// With bounds, lists each series in them again whole (see `completingSeries`).
        public var completesSeries: Bool
        /// Whom Google emails about updates, deletes and inserts. Nobody unless asked.
        public var sendUpdates: SendUpdates
        public var createMethod: CreateMethod
        /// Events per batch request (at most Google's 1,000).
        public var batchSize: Int

        public init(fields: String = PullFields.mask, timeMin: String? = nil, timeMax: String? = nil, includeDeleted: Bool = false,
                    completesSeries: Bool = true, sendUpdates: SendUpdates = .none, createMethod: CreateMethod = .import,
                    batchSize: Int = GoogleCalendarAPI.maxBatchParts) {
            self.fields = fields
            self.timeMin = timeMin
            self.timeMax = timeMax
            self.includeDeleted = includeDeleted
            self.completesSeries = completesSeries
            self.sendUpdates = sendUpdates
            self.createMethod = createMethod
            self.batchSize = batchSize
        }
    }

    /// One listing as Google gave it: every resource in Google's order, tombstones included.
    public struct Listing: Sendable {
        public var events: [GoogleEvent]
        /// The calendar's name, description and zone from the listing's first page.
        public var info: CalendarInfo
        /// From the last page; nil when Google gave none.
        public var nextSyncToken: String?
        public var pages: Int
        /// False for the changes since a sync token.
        public var isComplete: Bool

        /// The listing as store entries (see `GoogleCalendarStore` for deletions). Events
        /// without an id (a `fields` mask without `id`) are left out.
        public var storeListing: StoreListing<GoogleEvent> {
            StoreListing(entries: events.compactMap(GoogleCalendarStore.entry), isComplete: isComplete,
                         nextToken: nextSyncToken, info: info)
        }
    }

    public let api: GoogleCalendarAPI
    public let calendarId: String
    public let options: Options
    /// Hears how many events each page brought.
    let progress: ProgressReporter?

    public init(api: GoogleCalendarAPI, calendarId: String, options: Options = Options(), progress: ProgressReporter? = nil) {
        self.api = api
        self.calendarId = calendarId
        self.options = options
        self.progress = progress
    }

    public var location: String { GoogleCalendarSide.prefix + calendarId }

    // MARK: Listing

    public func list(since token: String?) async throws -> StoreListing<GoogleEvent> {
        try await listing(since: token).storeListing
    }

    /// Every event (`token` nil; within the bounds, if any), or what changed since `token`.
    /// A token Google no longer honours (410, or 400 "Invalid sync token") throws
    /// `StoreError.tokenExpired`.
    public func listing(since token: String?) async throws -> Listing {
        guard let token else {
            let o = ListOptions(maxResults: 2500, showDeleted: options.includeDeleted ? true : nil, timeMin: options.timeMin,
                                timeMax: options.timeMax, fields: options.fields)
            var listing = try await pages(o, isComplete: true)
            if options.completesSeries && (options.timeMin != nil || options.timeMax != nil) {
                listing.events = try await completingSeries(listing.events)
            }
            return listing
        }
        do {
            // No bounds, no showDeleted: Google refuses the one with a sync token and needs not the other.
            return try await pages(ListOptions(maxResults: 2500, syncToken: token, fields: options.fields), isComplete: false)
        } catch let e as GoogleAPIError where e.fullSyncRequired {
            throw StoreError.tokenExpired
        }
    }

    /// Every event of the calendar (within the bounds, if any), handed to `take` a page at a
    /// time instead of gathered: for a caller that keeps less of each event than a whole
    /// `GoogleEvent` (push's plan of a large calendar). The listing comes back without its
    /// events. Series are not completed (`completesSeries`), so this takes no bounds.
    public func listing(each take: @escaping ([GoogleEvent]) -> Void) async throws -> Listing {
        precondition(options.timeMin == nil && options.timeMax == nil, "a listing page by page takes no time bounds")
        let o = ListOptions(maxResults: 2500, showDeleted: options.includeDeleted ? true : nil, fields: options.fields)
        return try await pages(o, isComplete: true, take: take)
    }

    /// Every entry of one iCalUID (a series with its overrides and cancelled occurrences, or a
    /// single event), deleted ones included when `options.includeDeleted`.
    public func events(iCalUID: String) async throws -> [GoogleEvent] {
        let o = ListOptions(maxResults: 2500, showDeleted: options.includeDeleted ? true : nil, iCalUID: iCalUID, fields: options.fields)
        return try await api.allEvents(calendarId: calendarId, options: o).items
    }

    /// The pages of a listing; their events are gathered in the listing, or handed to `take`.
    func pages(_ options: ListOptions, isComplete: Bool, take: (([GoogleEvent]) -> Void)? = nil) async throws -> Listing {
        var listing = Listing(events: [], info: CalendarInfo(), nextSyncToken: nil, pages: 0, isComplete: isComplete)
        for try await page in api.eventPages(calendarId: calendarId, options: options) {
            if listing.pages == 0 {
                listing.info.name = page.summary
                listing.info.description = page.description.flatMap { $0.isEmpty ? nil : $0 }
                listing.info.timeZone = page.timeZone
            }
            listing.pages += 1
            let items = page.items ?? []
            if let take { take(items) } else { listing.events += items }
            listing.nextSyncToken = page.nextSyncToken ?? listing.nextSyncToken
            progress?.advance(by: items.count)
        }
        return listing
    }

    /// Time bounds apply to each entry on its own: a series that reaches into the window comes
    /// with its whole RRULE, but its overrides and cancelled occurrences outside the window do
    /// not, and an .ics written from that alone would bring cancelled occurrences back and show
    /// moved ones at their old time. Each series in the window is therefore listed again whole,
    /// by its iCalUID (one request per series), and replaces what the bounded listing held of it.
    func completingSeries(_ items: [GoogleEvent]) async throws -> [GoogleEvent] {
        var uids: [String] = []
        var seen: Set<String> = []
        for g in items where g.recurrence?.isEmpty == false || g.recurringEventId != nil {
            if let uid = g.iCalUID, !uid.isEmpty, seen.insert(uid).inserted { uids.append(uid) }
        }
        guard !uids.isEmpty else { return items }
        var whole: [String: [GoogleEvent]] = [:]
        for uid in uids { whole[uid] = try await events(iCalUID: uid) }
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

    /// A cancelled occurrence of a series (an EXDATE), as opposed to a deleted event.
    public static func isCancelledOccurrence(_ g: GoogleEvent) -> Bool {
        g.status == "cancelled" && (g.originalStartTime != nil || g.recurringEventId != nil)
    }

    /// A listed resource as an entry: a deleted event (a tombstone that is not a cancelled
    /// occurrence) has no item. Nil without an id.
    static func entry(_ g: GoogleEvent) -> StoreEntry<GoogleEvent>? {
        guard let id = g.id else { return nil }
        let deleted = g.status == "cancelled" && !isCancelledOccurrence(g)
        return StoreEntry(id: id, version: g.etag ?? "", item: deleted ? nil : g)
    }

    // MARK: Writing

    /// Sends the changes in batches of `options.batchSize`; `progress` hears each batch's
    /// outcomes when its answer is read.
    ///
    /// Outcomes: 2xx is `.done` with the event as Google now holds it (its etag the new
    /// version; a delete's entry has no item). 412 is `.preconditionFailed`, 404 and 410
    /// `.notFound` (for a delete: the event is already gone, which a caller may count as done).
    /// A create with an id or iCalUID that meets 409 is `.done` when the existing event is what
    /// an unclear earlier attempt made or holds what was sent (as `GoogleCalendarAPI.batch`
    /// resolves it), else `.alreadyExists`. Rate limits, quota, 5xx and network failures are
    /// transient failures; anything else fails with Google's message. A batch Google refuses
    /// whole (401 after a refresh, quotaExceeded) fails its changes and every later one: sending
    /// more would meet the same answer, and for the quota prolong the block.
    public func apply(_ changes: [StoreChange<GoogleEvent>],
                      progress: (@Sendable (_ index: Int, _ outcome: StoreOutcome<GoogleEvent>) -> Void)?) async -> [StoreOutcome<GoogleEvent>] {
        let requests = changes.map(request)
        var outcomes: [StoreOutcome<GoogleEvent>] = []
        outcomes.reserveCapacity(changes.count)
        let size = min(max(1, options.batchSize), GoogleCalendarAPI.maxBatchParts)
        var start = 0
        var refused: StoreOutcome<GoogleEvent>?
        while start < changes.count {
            let end = min(start + size, changes.count)
            var chunk: [StoreOutcome<GoogleEvent>]
            if let refused {
                chunk = Array(repeating: refused, count: end - start)
            } else {
                do {
                    let results = try await api.batch(Array(requests[start..<end]), calendarId: calendarId, partsPerBatch: end - start)
                    chunk = results.enumerated().map { i, r in Self.outcome(of: r, for: changes[start + i]) }
                } catch {
                    // The whole request failed (or the token provider did, or the task was cancelled).
                    let f = (error as? GoogleAPIError).map(Self.failure) ?? .failed(message: "\(error)", transient: false)
                    refused = f
                    chunk = Array(repeating: f, count: end - start)
                }
            }
            for (i, o) in chunk.enumerated() { progress?(start + i, o) }
            outcomes += chunk
            start = end
        }
        return outcomes
    }

    func request(_ change: StoreChange<GoogleEvent>) -> BatchRequest {
        switch change {
        case .create(var event, let id):
            if let id { event.id = id }
            switch options.createMethod {
            case .import: return .importEvent(event)
            case .insert: return .insert(event, sendUpdates: options.sendUpdates)
            }
        case .update(let id, let event, let ifMatch):
            return .update(event, eventId: id, sendUpdates: options.sendUpdates, ifMatch: ifMatch)
        case .delete(let id, let ifMatch):
            return .delete(eventId: id, sendUpdates: options.sendUpdates, ifMatch: ifMatch)
        }
    }

    static func outcome(of r: BatchResult, for change: StoreChange<GoogleEvent>) -> StoreOutcome<GoogleEvent> {
        guard let e = r.error else {
            switch change {
            case .delete(let id, _):
                return .done(StoreEntry(id: id, version: "", item: nil))
            case .create(let sent, let id):
                let event = r.event ?? sent
                return .done(StoreEntry(id: event.id ?? id ?? "", version: event.etag ?? "", item: event))
            case .update(let id, let sent, _):
                let event = r.event ?? sent
                return .done(StoreEntry(id: event.id ?? id, version: event.etag ?? "", item: event))
            }
        }
        switch e.status {
        case 412: return .preconditionFailed
        case 404, 410: return .notFound
        case 409:
            if case .create = change { return .alreadyExists }
            return failure(e)
        default: return failure(e)
        }
    }

    static func failure(_ e: GoogleAPIError) -> StoreOutcome<GoogleEvent> {
        let transient = e.isRetryable || e.isRateLimited || e.isQuotaExceeded || e.isServerError || e.kind == .transport
        return .failed(message: e.message.isEmpty ? e.description : e.message, transient: transient)
    }
}
