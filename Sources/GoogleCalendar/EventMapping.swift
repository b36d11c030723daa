import CalendarModel
import Foundation

/// The fields of the Google mapping. Each case is mapped in both directions by one
/// exhaustive `switch` per direction, so a field added here does not compile until both
/// directions handle it.
public enum EventField: String, CaseIterable, Sendable {
    case iCalUID, originalStartTime, start, end, recurrence
    case summary, description, location
    case status, transparency, visibility, sequence
}

/// Options that decide what the mapping does where iCalendar and Google differ.
public struct MappingOptions: Sendable {
    /// The zone floating times are placed in when the calendar names none (`--default-tz`).
    public var defaultTimeZone: String?
    public init(defaultTimeZone: String? = nil) { self.defaultTimeZone = defaultTimeZone }
}

/// Maps the neutral model to Google Event resources and back.
public struct GoogleEventMapper: Sendable {
    public var options: MappingOptions
    /// The calendar's zone (X-WR-TIMEZONE or the events list's `timeZone`).
    public var calendarTimeZone: String?

    public init(options: MappingOptions = MappingOptions(), calendarTimeZone: String? = nil) {
        self.options = options
        self.calendarTimeZone = calendarTimeZone
    }

    /// The zone that floating times are read in: the calendar's, else `--default-tz`.
    var floatingZone: String? { calendarTimeZone ?? options.defaultTimeZone }

    // MARK: - Model to Google

    public func googleEvent(from e: Event, report: (Diagnostic) -> Void) -> GoogleEvent {
        var g = GoogleEvent()
        g.kind = "calendar#event"
        var said: Set<String> = []
        func diag(_ s: Diagnostic.Severity, _ m: String) {
            if said.insert(m).inserted { report(Diagnostic(s, m, uid: e.uid)) }
        }
        let recurring = e.isRecurring
        for field in EventField.allCases {
            switch field {
            case .iCalUID: g.iCalUID = e.uid
            case .originalStartTime:
                g.originalStartTime = e.recurrenceID.map { dateTime($0, recurring: true, diag) }
            case .start: g.start = e.start.map { dateTime($0, recurring: recurring, diag) }
            case .end:
                // Google needs an end: DURATION and RFC 5545's defaults become an explicit one.
                g.end = endTime(e).map { dateTime($0, recurring: recurring, diag) }
            case .recurrence:
                var lines: [String] = []
                lines += e.recurrenceRules.map { "RRULE:" + $0 }
                lines += e.exceptionRules.map { "EXRULE:" + $0 }
                lines += e.recurrenceDates.map(GoogleEventMapper.rdateLine)
                lines += e.exceptionDates.map { Property(name: "EXDATE", parameters: $0.icalParameters, value: $0.icalValue).contentLine }
                g.recurrence = lines.isEmpty ? nil : lines
            case .summary: g.summary = e.summary
            case .description: g.description = e.description
            case .location: g.location = e.location
            case .status: g.status = e.status.map { $0.rawValue.lowercased() }
            case .transparency: g.transparency = e.transparency.map { $0.rawValue.lowercased() }
            case .visibility:
                switch e.classification {
                case .public?: g.visibility = "public"
                case .private?: g.visibility = "private"
                case .confidential?: g.visibility = "confidential"
                case .other(let v)?: diag(.warning, "CLASS \(v) has no Google visibility; left at the calendar default")
                case nil: break
                }
            case .sequence: g.sequence = e.sequence
            }
        }
        return g
    }

    private func endTime(_ e: Event) -> EventTime? {
        guard let start = e.start else { return e.end }
        if let end = e.end { return end }
        if let d = e.duration {
            // Days are nominal: added on the wall clock, then the offset is found again at the
            // new wall time, so a day across a DST change stays a calendar day.
            let t = start.adding(d)
            if case .zoned(let l, let z, _) = t, let tz = GoogleTime.zone(z) {
                return .zoned(l, tzid: z, utcOffset: GoogleTime.offset(tz, at: l))
            }
            return t
        }
        return e.effectiveEnd
    }

    static func rdateLine(_ r: RecurrenceDate) -> String {
        switch r {
        case .time(let t): return Property(name: "RDATE", parameters: t.icalParameters, value: t.icalValue).contentLine
        case .period(let s, let e):
            var params = [Parameter("VALUE", "PERIOD")]
            params += s.icalParameters.filter { $0.name == "TZID" }
            return Property(name: "RDATE", parameters: params, value: s.icalValue + "/" + e.icalValue).contentLine
        case .periodWithDuration(let s, let d):
            var params = [Parameter("VALUE", "PERIOD")]
            params += s.icalParameters.filter { $0.name == "TZID" }
            return Property(name: "RDATE", parameters: params, value: s.icalValue + "/" + d.icalString).contentLine
        }
    }

    func dateTime(_ t: EventTime, recurring: Bool, _ diag: (Diagnostic.Severity, String) -> Void) -> EventDateTime {
        switch t {
        case .date(let d):
            return EventDateTime(date: d.extendedFormat)
        case .utc(let l):
            return EventDateTime(dateTime: l.extendedFormat + "Z", timeZone: recurring ? "UTC" : nil)
        case .zoned(let l, let tzid, let off):
            let iana = TimeZoneNames.ianaName(for: tzid)
            // The offset the reader resolved (from the input's VTIMEZONE) is the truth;
            // the tz database fills in only when the reader had none.
            let offset = off ?? iana.flatMap(GoogleTime.zone).map { GoogleTime.offset($0, at: l) }
            if let offset {
                if iana == nil && recurring {
                    diag(.warning, "TZID \"\(tzid)\" is not an IANA zone name; Google needs one to expand a recurring event")
                }
                return EventDateTime(dateTime: l.extendedFormat + GoogleTime.offsetString(offset), timeZone: iana)
            }
            diag(.error, "TZID \"\(tzid)\" is unknown, so the event's times have no offset and Google will reject them")
            return EventDateTime(dateTime: l.extendedFormat, timeZone: iana)
        case .floating(let l):
            guard let zoneName = floatingZone, let tz = GoogleTime.zone(zoneName) else {
                if let z = floatingZone {
                    diag(.error, "zone \"\(z)\" for floating times is not in the tz database")
                } else {
                    diag(.error, "floating times need a zone: the calendar has no X-WR-TIMEZONE; give --default-tz ZONE")
                }
                return EventDateTime(dateTime: l.extendedFormat)
            }
            return EventDateTime(dateTime: l.extendedFormat + GoogleTime.offsetString(GoogleTime.offset(tz, at: l)), timeZone: zoneName)
        }
    }

    // MARK: - Google to model

    public func event(from g: GoogleEvent, report: (Diagnostic) -> Void) -> Event {
        var e = Event()
        let uid = g.iCalUID ?? g.id
        func diag(_ s: Diagnostic.Severity, _ m: String) { report(Diagnostic(s, m, uid: uid)) }
        for field in EventField.allCases {
            switch field {
            case .iCalUID:
                e.uid = g.iCalUID ?? g.id.map { $0 + "@google.com" }
            case .originalStartTime: e.recurrenceID = g.originalStartTime.flatMap { eventTime($0, "originalStartTime", diag) }
            case .start: e.start = g.start.flatMap { eventTime($0, "start", diag) }
            case .end: e.end = g.end.flatMap { eventTime($0, "end", diag) }
            case .recurrence:
                for line in g.recurrence ?? [] { applyRecurrence(line, to: &e, diag) }
            case .summary: e.summary = g.summary
            case .description: e.description = g.description
            case .location: e.location = g.location
            case .status:
                if let s = g.status {
                    if let v = Status(rawValue: s.uppercased()) { e.status = v } else { diag(.warning, "unknown status \"\(s)\"") }
                }
            case .transparency:
                if let t = g.transparency {
                    if let v = Transparency(rawValue: t.uppercased()) { e.transparency = v } else {
                        diag(.warning, "unknown transparency \"\(t)\"")
                    }
                }
            case .visibility:
                switch g.visibility {
                case "public"?: e.classification = .public
                case "private"?: e.classification = .private
                case "confidential"?: e.classification = .confidential
                case "default"?, nil: break
                case let v?: diag(.warning, "unknown visibility \"\(v)\"")
                }
            case .sequence: e.sequence = g.sequence
            }
        }
        return e
    }

    func eventTime(_ d: EventDateTime, _ field: String, _ diag: (Diagnostic.Severity, String) -> Void) -> EventTime? {
        if let date = d.date {
            guard let v = GoogleTime.parseDate(date) else { diag(.error, "\(field).date \"\(date)\" is not YYYY-MM-DD"); return nil }
            return .date(v)
        }
        guard let s = d.dateTime else { diag(.error, "\(field) has neither date nor dateTime"); return nil }
        guard let (local, offset) = GoogleTime.parseDateTime(s) else {
            diag(.error, "\(field).dateTime \"\(s)\" is not an RFC 3339 date-time")
            return nil
        }
        if let zoneName = d.timeZone {
            guard let tz = GoogleTime.zone(zoneName) else {
                diag(.error, "\(field).timeZone \"\(zoneName)\" is not in the tz database")
                return offset.map { .utc(local.adding(seconds: -$0)) } ?? .floating(local)
            }
            if zoneName == "UTC" || zoneName == "Etc/UTC", offset == nil || offset == 0 { return .utc(local) }
            if let offset {
                // Google writes dateTime in the calendar's offset; re-express it in the event's zone.
                let instant = local.secondsSinceEpoch - offset
                let zoneOffset = tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant)))
                return .zoned(LocalDateTime(secondsSinceEpoch: instant + zoneOffset), tzid: zoneName, utcOffset: zoneOffset)
            }
            return .zoned(local, tzid: zoneName, utcOffset: GoogleTime.offset(tz, at: local))
        }
        if let offset { return .utc(local.adding(seconds: -offset)) }
        if let z = floatingZone, let tz = GoogleTime.zone(z) {
            return .zoned(local, tzid: z, utcOffset: GoogleTime.offset(tz, at: local))
        }
        diag(.warning, "\(field).dateTime \"\(s)\" has no offset and no timeZone; kept as a floating time")
        return .floating(local)
    }

    private func applyRecurrence(_ line: String, to e: inout Event, _ diag: (Diagnostic.Severity, String) -> Void) {
        guard let p = Property(contentLine: line) else {
            diag(.error, "recurrence line \"\(line)\" is not an iCalendar content line")
            return
        }
        let tzid = p.parameter("TZID")?.value
        func times(_ value: String) -> [EventTime] {
            value.split(separator: ",").compactMap { v in
                guard let t = EventTime(icalValue: String(v), tzid: tzid) else {
                    diag(.error, "\(p.name) value \"\(v)\" is not a DATE or DATE-TIME")
                    return nil
                }
                return resolved(t)
            }
        }
        switch p.name {
        case "RRULE": e.recurrenceRules.append(p.value)
        case "EXRULE": e.exceptionRules.append(p.value)
        case "EXDATE": e.exceptionDates += times(p.value)
        case "RDATE":
            if p.parameter("VALUE")?.value.uppercased() == "PERIOD" {
                for v in p.value.split(separator: ",") {
                    let parts = v.split(separator: "/")
                    guard parts.count == 2, let s = EventTime(icalValue: String(parts[0]), tzid: tzid) else {
                        diag(.error, "RDATE period \"\(v)\" is malformed")
                        continue
                    }
                    if let end = EventTime(icalValue: String(parts[1]), tzid: tzid) {
                        e.recurrenceDates.append(.period(start: resolved(s), end: resolved(end)))
                    } else if let d = ICalDuration(icalString: String(parts[1])) {
                        e.recurrenceDates.append(.periodWithDuration(start: resolved(s), duration: d))
                    } else {
                        diag(.error, "RDATE period \"\(v)\" is malformed")
                    }
                }
            } else {
                e.recurrenceDates += times(p.value).map { .time($0) }
            }
        default:
            diag(.warning, "recurrence line \(p.name) is not RRULE, EXRULE, RDATE or EXDATE; ignored")
        }
    }

    /// Fills in the UTC offset of a zoned time from the tz database.
    private func resolved(_ t: EventTime) -> EventTime {
        if case .zoned(let l, let z, nil) = t, let tz = GoogleTime.zone(z) {
            return .zoned(l, tzid: z, utcOffset: GoogleTime.offset(tz, at: l))
        }
        return t
    }
}
