import Foundation
import GoogleCalendar

/// Whether an event in Google already holds what calport would send: the fields calport writes
/// and an update can change, normalised (Google's defaults filled in, times compared as
/// instants or dates, lists compared as sets). Ids, etags, timestamps, creator, organizer,
/// iCalUID, sequence and conference data are not compared: they are Google's, read-only after
/// creation, or rewritten by Google.
///
/// The attendees' own answers (response status, comment, additional guests) are Google's side
/// of the story in every mode and are not compared: a guest who accepted in Google does not
/// make the event differ from the .ics. Reminders are compared only when the source decides
/// them (`reminders`; see `PushOptions.sourceDecidesReminders`).
enum PushComparison {
    /// The names of the fields that differ; empty when the event is as wanted.
    static func differences(wanted w: GoogleEvent, existing e: GoogleEvent, reminders compareReminders: Bool = true) -> [String] {
        var out: [String] = []
        func check(_ name: String, _ same: Bool) { if !same { out.append(name) } }
        check("summary", (w.summary ?? "") == (e.summary ?? ""))
        check("description", (w.description ?? "") == (e.description ?? ""))
        check("location", (w.location ?? "") == (e.location ?? ""))
        check("start", sameTime(w.start, e.start))
        check("end", sameTime(w.end, e.end))
        check("recurrence", Set(w.recurrence ?? []) == Set(e.recurrence ?? []))
        check("status", (w.status ?? "confirmed") == (e.status ?? "confirmed"))
        check("transparency", (w.transparency ?? "opaque") == (e.transparency ?? "opaque"))
        check("visibility", (w.visibility ?? "default") == (e.visibility ?? "default"))
        check("colorId", w.colorId == e.colorId)
        check("attendees", attendees(w.attendees) == attendees(e.attendees))
        if compareReminders { check("reminders", reminders(w.reminders) == reminders(e.reminders)) }
        check("extendedProperties", (w.extendedProperties?.private ?? [:]) == (e.extendedProperties?.private ?? [:])
            && (w.extendedProperties?.shared ?? [:]) == (e.extendedProperties?.shared ?? [:]))
        check("source", (w.source?.url, w.source?.title) == (e.source?.url, e.source?.title))
        check("attachments", attachments(w.attachments) == attachments(e.attachments))
        check("guestsCanInviteOthers", (w.guestsCanInviteOthers ?? true) == (e.guestsCanInviteOthers ?? true))
        check("guestsCanModify", (w.guestsCanModify ?? false) == (e.guestsCanModify ?? false))
        check("guestsCanSeeOtherGuests", (w.guestsCanSeeOtherGuests ?? true) == (e.guestsCanSeeOtherGuests ?? true))
        check("anyoneCanAddSelf", (w.anyoneCanAddSelf ?? false) == (e.anyoneCanAddSelf ?? false))
        check("privateCopy", (w.privateCopy ?? false) == (e.privateCopy ?? false))
        check("endTimeUnspecified", (w.endTimeUnspecified ?? false) == (e.endTimeUnspecified ?? false))
        return out
    }

    static func sameTime(_ a: EventDateTime?, _ b: EventDateTime?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (let x?, let y?):
            if x.date != nil || y.date != nil { return x.date == y.date }
            guard let s = x.dateTime, let t = y.dateTime else { return false }
            guard s == t || EventKey.instant(s, zone: x.timeZone) == EventKey.instant(t, zone: y.timeZone) else { return false }
            // The zone decides how a series repeats across daylight-saving changes.
            return x.timeZone == nil || x.timeZone == y.timeZone
        default: return false
        }
    }

    /// What the source says about an attendee: who, and how invited. Not the answer.
    struct AttendeeValue: Hashable {
        var email: String, name: String, optional: Bool, resource: Bool
    }

    static func attendees(_ list: [GoogleEvent.Attendee]?) -> Set<AttendeeValue> {
        Set((list ?? []).map {
            AttendeeValue(email: ($0.email ?? "").lowercased(), name: $0.displayName ?? "", optional: $0.optional ?? false,
                          resource: $0.resource ?? false)
        })
    }

    /// `wanted`'s attendees with the answers `existing` holds for the same addresses (compared
    /// without case), so that an update does not reset what guests replied in Google. Attendees
    /// new in the source come with the source's answer; those the source dropped are dropped.
    static func keepingReplies(_ wanted: [GoogleEvent.Attendee]?, from existing: [GoogleEvent.Attendee]?) -> [GoogleEvent.Attendee]? {
        guard var list = wanted, let existing, !existing.isEmpty else { return wanted }
        var answers: [String: GoogleEvent.Attendee] = [:]
        for a in existing { if let email = a.email?.lowercased() { answers[email] = a } }
        for i in list.indices {
            guard let email = list[i].email?.lowercased(), let had = answers[email] else { continue }
            list[i].responseStatus = had.responseStatus
            list[i].comment = had.comment
            list[i].additionalGuests = had.additionalGuests
        }
        return list
    }

    struct RemindersValue: Hashable {
        var useDefault: Bool
        var overrides: [String]
    }

    static func reminders(_ r: GoogleEvent.Reminders?) -> RemindersValue {
        // No reminders object: Google uses the calendar's defaults.
        guard let r else { return RemindersValue(useDefault: true, overrides: []) }
        return RemindersValue(useDefault: r.useDefault ?? false,
                              overrides: (r.overrides ?? []).map { "\($0.method ?? "popup")/\($0.minutes ?? 0)" }.sorted())
    }

    static func attachments(_ list: [GoogleEvent.EventAttachment]?) -> [String] {
        (list ?? []).map { "\($0.fileUrl ?? "")\u{0}\($0.title ?? "")\u{0}\($0.mimeType ?? "")" }
    }
}
