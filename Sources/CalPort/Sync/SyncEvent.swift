import CalendarModel
import Foundation
import GoogleCalendar

/// One event of a UID in the form two-way sync compares: the series (or single event) under
/// `instance` nil, an override under its original start (`EventKey.instance`). The event is
/// normalised (`SyncNormalForm`): what changes without anyone editing the event (DTSTAMP,
/// LAST-MODIFIED, SEQUENCE, Google's ids and links, the order of properties and attendees) is
/// left out, so that two reads of the same event compare equal.
struct SyncEvent: Codable, Hashable, Sendable {
    var instance: String?
    var event: Event
}

/// Turns either side's events of one UID into `SyncEvent`s, and hashes them.
///
/// Both sides go through Google's representation: a local event is mapped to Google and read
/// back, a Google event is read. Two events that Google would show alike therefore compare
/// equal, whichever side they were read from, and what Google cannot hold (X- properties,
/// VALARM details) is compared through the carrier that keeps it.
struct SyncNormalForm: Sendable {
    let mapper: GoogleEventMapper
    /// The Google calendar's id: an ORGANIZER that is the calendar itself is what Google adds
    /// to every event it holds, not something a user wrote.
    let calendarId: String
    /// UTC offsets of the zones local events name (their VTIMEZONEs first, then the tz
    /// database), for expanding a series.
    var utcOffset: @Sendable (String, LocalDateTime) -> Int? = { TimeZoneNames.utcOffset(tzid: $0, at: $1) }

    /// Properties that change without an edit, or that only one side has by nature.
    static let ignoredProperties: Set<String> = [
        "DTSTAMP", "LAST-MODIFIED", "CREATED", "SEQUENCE", "PRODID",
        "X-GOOGLE-ID", "X-GOOGLE-ETAG", "X-GOOGLE-HTML-LINK", "X-GOOGLE-RECURRING-EVENT-ID", "X-GOOGLE-CREATOR",
        "X-GOOGLE-CONFERENCE", "X-GOOGLE-PRIVATE-COPY", "X-GOOGLE-EVENT-TYPE",
        // Whether the calendar's default reminders apply: Google sets it on every event it
        // stores; it is the calendar's setting, not the event's content.
        "X-GOOGLE-REMINDERS-USE-DEFAULT",
    ]

    /// The Google events of a UID (series, overrides, cancelled occurrences) as sync compares them.
    func events(google items: [GoogleEvent]) -> [SyncEvent] {
        let folded = mapper.foldingCancelledOccurrences(items) { _ in }
        var out: [SyncEvent] = []
        for g in folded {
            if g.status == "cancelled" && g.start == nil { continue }
            let e = mapper.event(from: g) { _ in }
            if SeriesShapes.isSyntheticSeries(e) { continue }
            // An override Google holds as a single event (its series is not there) carries its
            // RECURRENCE-ID, which the mapping restores: its instance is that occurrence.
            let instance = EventKey(g)?.instance ?? Self.instance(of: g)
                ?? (e.recurrenceID != nil ? mapper.googleEvent(from: e) { _ in }.originalStartTime.flatMap(EventKey.stamp) : nil)
            out.append(SyncEvent(instance: instance, event: normalised(e)))
        }
        return Self.sorted(out)
    }

    /// A local object's events as sync compares them: each mapped to Google and read back.
    func events(local object: CalendarObject) -> [SyncEvent] {
        events(google: google(object))
    }

    /// The local object's events mapped to Google (ids left for the writer to choose).
    func google(_ object: CalendarObject) -> [GoogleEvent] {
        object.events.map { e in
            var g = mapper.googleEvent(from: e) { _ in }
            g.id = nil
            g.recurringEventId = nil
            return g
        }
    }

    static func instance(of g: GoogleEvent) -> String? {
        g.originalStartTime.flatMap(EventKey.stamp)
    }

    static func sorted(_ events: [SyncEvent]) -> [SyncEvent] {
        events.sorted { ($0.instance ?? "") < ($1.instance ?? "") }
    }

    func normalised(_ event: Event) -> Event {
        var e = event
        e.timestamp = nil
        e.created = nil
        e.lastModified = nil
        e.sequence = nil
        e.properties = e.properties.filter { !Self.ignoredProperties.contains($0.name) }
            .sorted { ($0.name, $0.value, "\($0.parameters)") < ($1.name, $1.value, "\($1.parameters)") }
        e.attendees.sort { ($0.email ?? $0.address).lowercased() < ($1.email ?? $1.address).lowercased() }
        if let o = e.organizer, let email = o.email, email.lowercased() == calendarId.lowercased() { e.organizer = nil }
        var seen: Set<String> = []
        e.exceptionDates = e.exceptionDates.filter { seen.insert($0.icalValue).inserted }.sorted { $0.icalValue < $1.icalValue }
        e.rejection = nil
        // Google's default: an event without STATUS is confirmed.
        if e.status == .confirmed { e.status = nil }
        return e
    }

    /// A digest of the events, equal for equal normal forms.
    static func hash(_ events: [SyncEvent]) -> String {
        SHA256Digest.hex(SHA256Digest.hash(Array(encode(events).utf8)))
    }

    static func encode(_ events: [SyncEvent]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(events)) ?? Data(), as: UTF8.self)
    }
}

/// The three-way merge of one UID: fields changed on one side since the version both agreed on
/// are taken from that side; a field changed on both sides to different values is a conflict.
/// Fields are the event's own (SUMMARY, DTSTART, the attendee list, the X- properties as one
/// set); events of the UID (the series, each override) are merged one by one, and an override
/// added or removed on one side is taken from that side.
enum SyncMerge {
    struct Result: Sendable {
        var events: [SyncEvent]
        /// "SUMMARY of the series", "DTSTART of the override at 20261208T090000Z".
        var conflicts: [String]
    }

    static func merge(base: [SyncEvent], local: [SyncEvent], google: [SyncEvent]) -> Result {
        func byInstance(_ l: [SyncEvent]) -> [String: Event] {
            Dictionary(l.map { ($0.instance ?? "", $0.event) }, uniquingKeysWith: { a, _ in a })
        }
        let b = byInstance(base), l = byInstance(local), g = byInstance(google)
        var out: [SyncEvent] = []
        var conflicts: [String] = []
        for key in Set(b.keys).union(l.keys).union(g.keys).sorted() {
            let name = key.isEmpty ? "the series" : "the override at \(key)"
            let instance: String? = key.isEmpty ? nil : key
            switch (b[key], l[key], g[key]) {
            case (_, nil, nil):
                continue
            case (nil, let x?, nil), (nil, nil, let x?):
                out.append(SyncEvent(instance: instance, event: x))
            case (let base?, let x?, nil), (let base?, nil, let x?):
                // Removed on one side: gone, unless the other side changed it (the edit wins).
                if x != base { out.append(SyncEvent(instance: instance, event: x)) }
            case (let base, let x?, let y?):
                let (merged, fields) = mergeEvent(base: base, local: x, google: y)
                conflicts += fields.map { "\($0) of \(name)" }
                out.append(SyncEvent(instance: instance, event: merged))
            }
        }
        return Result(events: out, conflicts: conflicts)
    }

    /// Field by field. With no base (both sides added the event), a field that differs is a conflict.
    static func mergeEvent(base: Event?, local: Event, google: Event) -> (Event, [String]) {
        // Guests answer in Google: their responses always come from there, so a response is
        // never a local change (nor a conflict).
        func answers(_ e: Event) -> Event {
            var e = e
            e.attendees = e.attendees.map { a in
                guard let email = a.email?.lowercased(),
                      let answer = google.attendees.first(where: { $0.email?.lowercased() == email }) else { return a }
                var a = a
                a.participationStatus = answer.participationStatus
                return a
            }
            return e
        }
        let local = answers(local), base = base.map(answers)
        if local == google { return (local, []) }
        guard let l = fields(local), let g = fields(google) else { return (local, ["the event"]) }
        let b = base.flatMap(fields) ?? [:]
        var merged = l
        var conflicts: [String] = []
        for key in Set(l.keys).union(g.keys).sorted() {
            let lv = l[key], gv = g[key], bv = b[key]
            if lv == gv { continue }
            if base != nil && lv == bv {
                merged[key] = gv
            } else if base != nil && gv == bv {
                merged[key] = lv
            } else {
                conflicts.append(fieldName(key))
            }
        }
        return (decode(merged) ?? local, conflicts)
    }

    static func fields(_ e: Event) -> [String: String]? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(e),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        var out: [String: String] = [:]
        for (k, v) in object {
            guard let d = try? JSONSerialization.data(withJSONObject: v, options: [.sortedKeys, .fragmentsAllowed]) else { return nil }
            out[k] = String(decoding: d, as: UTF8.self)
        }
        return out
    }

    static func decode(_ fields: [String: String]) -> Event? {
        let text = "{" + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
        return try? JSONDecoder().decode(Event.self, from: Data(text.utf8))
    }

    /// The iCalendar name of a model field, for messages.
    static func fieldName(_ key: String) -> String {
        switch key {
        case "summary": "SUMMARY"
        case "description": "DESCRIPTION"
        case "location": "LOCATION"
        case "start": "DTSTART"
        case "end", "duration": "DTEND"
        case "status": "STATUS"
        case "transparency": "TRANSP"
        case "classification": "CLASS"
        case "organizer": "ORGANIZER"
        case "attendees": "ATTENDEE"
        case "alarms": "VALARM"
        case "recurrenceRules": "RRULE"
        case "exceptionDates": "EXDATE"
        case "recurrenceDates": "RDATE"
        case "categories": "CATEGORIES"
        case "properties": "other properties"
        default: key
        }
    }
}
