import CalendarModel
import Foundation
import GoogleAPI
import GoogleCalendar

/// A Google calendar as a `CalendarStore`: its entries are Google's Event resources (a series,
/// a single event, an override, a cancelled occurrence), by event id, versioned by etag.
///
/// A listing since a token is Google's incremental sync (`syncToken`, deleted events
/// included): an event deleted whole is an entry without item; a cancelled occurrence of a
/// live series stays an item (`status: cancelled`, it is an EXDATE of its series). A token
/// Google no longer honours (410) throws `StoreError.tokenExpired`. Writes go in multipart
/// batches, with `If-Match` where the writer names a version, and email nobody unless
/// `sendUpdates` says so.
public final class GoogleCalendarStore: CalendarStore, @unchecked Sendable {
    public typealias Item = GoogleEvent

    public struct Options: Sendable {
        /// How new events are made: `import` keeps iCalUID and organizer and never emails;
        /// `insert` makes the calendar the organizer and emails as `sendUpdates` says.
        public enum CreateMethod: String, Sendable { case `import`, insert }

        /// The partial-response mask of listings (`PullFields`: every field calport maps).
        public var fields: String = PullFields.mask
        /// Full listings only: include deleted events (`showDeleted`). Listings since a token
        /// always do.
        public var includeDeleted = false
        public var sendUpdates: SendUpdates = .none
        public var createMethod: CreateMethod = .import
        /// Calls per batch request.
        public var batchSize = 50

        public init() {}
    }

    public let api: GoogleCalendarAPI
    public let calendarId: String
    public let options: Options

    public init(api: GoogleCalendarAPI, calendarId: String, options: Options = Options()) {
        self.api = api
        self.calendarId = calendarId
        self.options = options
    }

    public var location: String { "google:\(calendarId)" }

    /// Every event of an iCalUID, deleted ones included: what a create that met 409 collides
    /// with (Google keeps deleted events, and an import of their iCalUID is refused).
    public func events(iCalUID uid: String) async throws -> [GoogleEvent] {
        try await api.allEvents(calendarId: calendarId, options: ListOptions(maxResults: 2500, showDeleted: true, iCalUID: uid,
                                                                             fields: options.fields)).items
    }

    public func list(since token: String?) async throws -> StoreListing<GoogleEvent> {
        var o = ListOptions(maxResults: 2500, fields: options.fields)
        if let token {
            o.syncToken = token
            o.showDeleted = true
        } else if options.includeDeleted {
            o.showDeleted = true
        }
        var listing = StoreListing<GoogleEvent>(entries: [], isComplete: token == nil, nextToken: nil)
        var first = true
        do {
            for try await page in api.eventPages(calendarId: calendarId, options: o) {
                if first {
                    listing.info.name = page.summary
                    listing.info.description = page.description.flatMap { $0.isEmpty ? nil : $0 }
                    listing.info.timeZone = page.timeZone
                    first = false
                }
                for g in page.items ?? [] {
                    guard let id = g.id else { continue }
                    let deleted = g.status == "cancelled" && g.recurringEventId == nil && g.originalStartTime == nil
                    listing.entries.append(StoreEntry(id: id, version: g.etag ?? "", item: deleted ? nil : g))
                }
                listing.nextToken = page.nextSyncToken ?? listing.nextToken
            }
        } catch let e as GoogleAPIError where token != nil && e.fullSyncRequired {
            throw StoreError.tokenExpired
        }
        return listing
    }

    public func apply(_ changes: [StoreChange<GoogleEvent>],
                      progress: (@Sendable (Int, StoreOutcome<GoogleEvent>) -> Void)?) async -> [StoreOutcome<GoogleEvent>] {
        guard !changes.isEmpty else { return [] }
        let requests = changes.map(request)
        let results: [BatchResult]
        do {
            results = try await api.batch(requests, calendarId: calendarId, partsPerBatch: max(1, options.batchSize))
        } catch {
            let failure = Failure(error)
            let outcome = StoreOutcome<GoogleEvent>.failed(message: failure.description, transient: failure.outcome == .unavailable)
            for i in changes.indices { progress?(i, outcome) }
            return changes.map { _ in outcome }
        }
        var outcomes: [StoreOutcome<GoogleEvent>] = []
        for (i, r) in results.enumerated() {
            let outcome = Self.outcome(r, change: changes[i])
            progress?(i, outcome)
            outcomes.append(outcome)
        }
        return outcomes
    }

    func request(_ change: StoreChange<GoogleEvent>) -> BatchRequest {
        let conference: (GoogleEvent) -> Int? = { $0.conferenceData != nil ? 1 : nil }
        let attachments: (GoogleEvent) -> Bool? = { $0.attachments?.isEmpty == false ? true : nil }
        switch change {
        case .create(var g, let id):
            g.id = id ?? g.id
            g.etag = nil
            switch options.createMethod {
            case .import:
                return BatchRequest(.importEvent(g), conferenceDataVersion: conference(g), supportsAttachments: attachments(g))
            case .insert:
                return BatchRequest(.insert(g, sendUpdates: options.sendUpdates), conferenceDataVersion: conference(g),
                                    supportsAttachments: attachments(g))
            }
        case .update(let id, var g, let ifMatch):
            g.etag = nil
            return BatchRequest(.update(g, eventId: id, sendUpdates: options.sendUpdates), conferenceDataVersion: conference(g),
                                supportsAttachments: attachments(g), ifMatch: ifMatch)
        case .delete(let id, let ifMatch):
            return BatchRequest(.delete(eventId: id, sendUpdates: options.sendUpdates), ifMatch: ifMatch)
        }
    }

    static func outcome(_ r: BatchResult, change: StoreChange<GoogleEvent>) -> StoreOutcome<GoogleEvent> {
        guard let error = r.error else {
            switch change {
            case .delete(let id, _): return .done(StoreEntry(id: id, version: "", item: nil))
            case .create, .update:
                guard let g = r.event, let id = g.id ?? change.id else {
                    return .failed(message: "Google answered without the event", transient: false)
                }
                return .done(StoreEntry(id: id, version: g.etag ?? "", item: g))
            }
        }
        switch r.status {
        case 412: return .preconditionFailed
        case 404, 410: return .notFound
        case 409: return .alreadyExists
        default: return .failed(message: error.description, transient: Failure(error).outcome == .unavailable)
        }
    }
}
