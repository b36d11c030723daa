import CalendarModel
import Foundation
import GoogleCalendar

/// How to find the event a create (events.insert or events.import) made, when Google answers
/// 409: by the client-chosen id, else by iCalUID (and originalStartTime, for an exception of a
/// recurring event).
struct Recovery: Sendable {
    enum Lookup: Sendable {
        case id(String)
        case iCalUID(String, originalStartTime: EventDateTime?)
    }

    var calendarId: String
    var lookup: Lookup
    /// The event that was sent.
    var sent: GoogleEvent

    var wantCancelled: Bool { sent.status == "cancelled" }
}

extension GoogleCalendarAPI {
    /// What a 409 on a create means.
    ///
    /// - After an unclear attempt (no answer, or 5xx) the 409 is most likely that attempt's own
    ///   doing: the existing event is returned, whatever it holds.
    /// - Otherwise the event may have existed before, or the transport itself may have sent the
    ///   request again after a lost answer (libcurl silently re-sends a request whose reused
    ///   connection died before any answer came). With `acceptIdenticalOnConflict`, the existing
    ///   event is returned when it holds what was sent (so the calendar already is as asked);
    ///   else nil: the conflict stands.
    func resolveConflict(_ recovery: Recovery, afterUnclearAttempt: Bool) async throws -> GoogleEvent? {
        let existing: GoogleEvent?
        if afterUnclearAttempt {
            existing = try await findExisting(recovery)
        } else {
            guard retryPolicy.acceptIdenticalOnConflict,
                  let found = try? await findExisting(recovery), Self.sameContent(recovery.sent, found) else { return nil }
            existing = found
        }
        if existing != nil { statistics.update { $0.recoveredConflicts += 1 } }
        return existing
    }

    /// The event with the recovery's id or iCalUID, or nil.
    func findExisting(_ recovery: Recovery) async throws -> GoogleEvent? {
        switch recovery.lookup {
        case .id(let eventId):
            do {
                let e = try await getEvent(calendarId: recovery.calendarId, eventId: eventId)
                return e.status == "cancelled" && !recovery.wantCancelled ? nil : e
            } catch let e as GoogleAPIError where e.isNotFound || e.isGone {
                return nil
            }
        case .iCalUID(let uid, let originalStart):
            var o = ListOptions(iCalUID: uid)
            o.showDeleted = recovery.wantCancelled ? true : nil
            let found = try await allEvents(calendarId: recovery.calendarId, options: o).items
                .filter { $0.iCalUID == nil || $0.iCalUID == uid }
                .filter { recovery.wantCancelled || $0.status != "cancelled" }
            if let originalStart {
                return found.first { $0.originalStartTime.map { Self.sameStart($0, originalStart) } ?? false }
            }
            return found.first { $0.recurringEventId == nil && $0.originalStartTime == nil } ?? (found.count == 1 ? found[0] : nil)
        }
    }

    /// Whether `existing` holds what `sent` asked for: the same texts, times (as instants),
    /// recurrence, status, transparency, visibility, colour and extended properties. Fields
    /// Google fills in (ids, etags, creator, attendee state, ...) are not compared.
    static func sameContent(_ sent: GoogleEvent, _ existing: GoogleEvent) -> Bool {
        func text(_ s: String?) -> String { s ?? "" }
        func times(_ a: EventDateTime?, _ b: EventDateTime?) -> Bool {
            switch (a, b) {
            case (nil, nil): true
            case (let x?, let y?): sameStart(x, y)
            default: false
            }
        }
        func props(_ p: GoogleEvent.ExtendedProperties?) -> [String: [String: String]] {
            ["private": p?.private ?? [:], "shared": p?.shared ?? [:]]
        }
        return text(sent.summary) == text(existing.summary)
            && text(sent.description) == text(existing.description)
            && text(sent.location) == text(existing.location)
            && times(sent.start, existing.start)
            && times(sent.end, existing.end)
            && times(sent.originalStartTime, existing.originalStartTime)
            && (sent.recurrence ?? []) == (existing.recurrence ?? [])
            && (sent.status ?? "confirmed") == (existing.status ?? "confirmed")
            && (sent.transparency ?? "opaque") == (existing.transparency ?? "opaque")
            && (sent.visibility ?? "default") == (existing.visibility ?? "default")
            && (sent.colorId == nil || sent.colorId == existing.colorId)
            && (sent.iCalUID == nil || existing.iCalUID == nil || sent.iCalUID == existing.iCalUID)
            && props(sent.extendedProperties) == props(existing.extendedProperties)
    }

    /// Whether two EventDateTimes name the same date or instant.
    static func sameStart(_ a: EventDateTime, _ b: EventDateTime) -> Bool {
        if a.date != nil || b.date != nil { return a.date == b.date }
        guard let x = a.dateTime, let y = b.dateTime else { return false }
        if x == y { return true }
        guard let i = RFC3339.instant(x), let j = RFC3339.instant(y) else { return false }
        return i == j
    }
}
