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
    ///   event is returned when it holds what was sent (`GoogleEventDiff`, as push compares), so
    ///   the calendar already is as asked;
    ///   else nil: the conflict stands.
    func resolveConflict(_ recovery: Recovery, afterUnclearAttempt: Bool) async throws -> GoogleEvent? {
        let existing: GoogleEvent?
        if afterUnclearAttempt {
            existing = try await findExisting(recovery)
        } else {
            guard retryPolicy.acceptIdenticalOnConflict,
                  let found = try? await findExisting(recovery), GoogleEventDiff().same(recovery.sent, found) else { return nil }
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
                return found.first { $0.originalStartTime.map { GoogleEventDiff.sameInstant($0, originalStart) } ?? false }
            }
            return found.first { $0.recurringEventId == nil && $0.originalStartTime == nil } ?? (found.count == 1 ? found[0] : nil)
        }
    }
}
