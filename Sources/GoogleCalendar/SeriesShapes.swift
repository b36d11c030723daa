import CalendarModel

/// Shapes that real exports contain and Google cannot hold as they are, made into shapes with
/// the same occurrences (docs/mapping.md, "Recurrence"). Works on a whole list of events: the
/// series and its overrides must be seen together.
public enum SeriesShapes {
    /// Marks the series calport builds for overrides whose series is not in the input; it is
    /// carried to Google, and dropped again when calport reads the event back.
    public static let syntheticSeriesMarker = "X-CALPORT-SYNTHETIC-SERIES"

    /// Whether `e` is a series that calport built for overrides without one (see `repair`).
    public static func isSyntheticSeries(_ e: Event) -> Bool {
        e.recurrenceID == nil && e.properties.contains { $0.name == syntheticSeriesMarker }
    }

    /// Repairs, in place and in order:
    /// - an override whose RECURRENCE-ID is a date-time on an all-day series (older Google
    ///   exports write `RECURRENCE-ID:20030425T000000Z`): the date, which is what it names;
    /// - an override whose RECURRENCE-ID is also in its series' EXDATE (Apple Calendar writes
    ///   this for moved occurrences): the override wins, the EXDATE goes, since Google refuses an
    ///   exception for an instance it excluded and the moved occurrence would be lost;
    /// - overrides whose series is not in the list (an invitation to one occurrence, a feed of
    ///   singles sharing a UID): Google holds one event per iCalUID, so they get a series of
    ///   their own, one RDATE per original start, marked (`syntheticSeriesMarker`), whose every
    ///   instance they override. Google then shows exactly the overrides.
    /// `makingSeries` false leaves overrides without a series as they are (what an .ics means
    /// needs no series for them; only Google does).
    ///
    /// Returns where the series it made are in `events`, in ascending order.
    @discardableResult
    public static func repair(_ events: inout [Event], makingSeries: Bool = true, report: (Diagnostic) -> Void) -> [Int] {
        var seriesIndex: [String: Int] = [:]
        for (i, e) in events.enumerated() where e.recurrenceID == nil {
            if let uid = e.uid, seriesIndex[uid] == nil { seriesIndex[uid] = i }
        }
        var orphans: [String: [Int]] = [:]
        var orphanOrder: [String] = []
        for i in events.indices {
            guard let uid = events[i].uid, let rid = events[i].recurrenceID else { continue }
            guard let s = seriesIndex[uid] else {
                if orphans[uid] == nil { orphanOrder.append(uid) }
                orphans[uid, default: []].append(i)
                continue
            }
            if events[s].start?.isDate == true, !rid.isDate {
                let day = EventTime.date(rid.localDateTime.date)
                report(Diagnostic(.note, "RECURRENCE-ID \(rid.icalValue) names a day of an all-day series; read as \(day.icalValue)", uid: uid))
                events[i].recurrenceID = day
            }
            let r = events[i].recurrenceID!
            if events[i].status != .cancelled, events[s].exceptionDates.contains(where: { sameOccurrence($0, r) }) {
                events[s].exceptionDates.removeAll { sameOccurrence($0, r) }
                report(Diagnostic(.note, "the occurrence at \(r.icalValue) is both excluded (EXDATE) and overridden; the override wins, as calendar apps show it", uid: uid))
            }
        }
        var added: [(at: Int, series: Event)] = []
        for uid in orphanOrder where makingSeries {
            let list = orphans[uid]!.sorted { order(events[$0].recurrenceID!, events[$1].recurrenceID!) }
            let first = events[list[0]]
            var series = first
            series.recurrenceID = nil
            series.recurrenceIDThisAndFuture = false
            series.start = first.recurrenceID
            // As long as the first override: each instance is overridden, so only its start matters.
            series.duration = nil
            series.end = nil
            if let s = first.start, let e = first.effectiveEnd, let seconds = span(s, e), let start = series.start {
                series.end = start.adding(ICalDuration(seconds: seconds))
            }
            series.recurrenceRules = []
            series.exceptionRules = []
            series.exceptionDates = []
            // Every original start an RDATE, the first too (the same as DTSTART, which RFC 5545
            // allows): even one override needs a recurring event to be an exception of.
            series.recurrenceDates = list.map { .time(events[$0].recurrenceID!) }
            series.status = nil
            series.properties.append(Property(name: syntheticSeriesMarker, value: "TRUE"))
            report(Diagnostic(.note, "\(list.count) override\(list.count == 1 ? "" : "s") of a series that is not in the input: written with a series of their own (one RDATE per occurrence), which Google needs for one iCalUID; calport drops it again on the way back", uid: uid))
            added.append((list[0], series))
        }
        // Each made series goes just before its first override.
        for (at, series) in added.sorted(by: { $0.at > $1.at }) { events.insert(series, at: at) }
        // Inserted from the end, so each one moves the later ones on by one.
        return added.map(\.at).sorted().enumerated().map { k, at in at + k }
    }

    /// The same occurrence: equal values, or the same instant.
    static func sameOccurrence(_ a: EventTime, _ b: EventTime) -> Bool {
        if a == b { return true }
        if let x = a.instant, let y = b.instant { return x == y }
        return a.isDate == b.isDate && a.localDateTime == b.localDateTime && a.tzid == b.tzid
    }

    static func order(_ a: EventTime, _ b: EventTime) -> Bool {
        if let x = a.instant, let y = b.instant { return x < y }
        return a.localDateTime.secondsSinceEpoch < b.localDateTime.secondsSinceEpoch
    }

    /// Seconds from `s` to `e` when both are date-times, as wall times (same zone) or instants.
    static func span(_ s: EventTime, _ e: EventTime) -> Int? {
        guard !s.isDate, !e.isDate else { return nil }
        if let x = s.instant, let y = e.instant { return max(0, y - x) }
        return max(0, e.localDateTime.secondsSinceEpoch - s.localDateTime.secondsSinceEpoch)
    }
}
