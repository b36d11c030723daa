import CalendarModel
import ICalendar

/// RANGE=THISANDFUTURE overrides change an occurrence and every later one; Google has no
/// such thing. The series is split: the original ends just before the override, and a new
/// series (its own UID) starts with the override's changes and carries the rest.
enum SeriesSplitter {
    static func containsRangeOverride(_ events: [Event]) -> Bool { events.contains { $0.recurrenceIDThisAndFuture } }

    static func split(_ events: [Event], utcOffset: @escaping (String, LocalDateTime) -> Int?, report: (Diagnostic) -> Void) -> [Event] {
        guard containsRangeOverride(events) else { return events }
        let parts = splitParts(events, utcOffset: utcOffset, report: report)
        return parts.events.enumerated().filter { !parts.removed.contains($0.offset) }.map(\.element) + parts.added
    }

    /// What `split` does, in parts: `events` changed in place (the same positions), the
    /// positions of the overrides that became series (`split` leaves them out), and the new
    /// series (`split` puts them after the rest, in this order).
    static func splitParts(_ events: [Event], utcOffset: @escaping (String, LocalDateTime) -> Int?,
                           report: (Diagnostic) -> Void) -> (events: [Event], removed: Set<Int>, added: [Event]) {
        var out = events
        // Apply the earliest range override of each series first.
        let ranged = out.indices.filter { out[$0].recurrenceIDThisAndFuture }
            .sorted { (out[$0].recurrenceID?.localDateTime ?? .init(year: 1, month: 1, day: 1)) < (out[$1].recurrenceID?.localDateTime ?? .init(year: 1, month: 1, day: 1)) }
        var removed: Set<Int> = []
        var added: [Event] = []
        for i in ranged {
            let o = out[i]
            guard let uid = o.uid, let rid = o.recurrenceID,
                  let m = out.indices.first(where: { out[$0].uid == uid && out[$0].recurrenceID == nil && out[$0].isRecurring && !removed.contains($0) }),
                  let masterStart = out[m].start
            else {
                report(Diagnostic(.warning, "RANGE=THISANDFUTURE override has no recurring series with its UID; kept as one override", uid: o.uid))
                continue
            }
            let master = out[m]
            let ridInstant = instant(rid, utcOffset) ?? 0
            // Occurrences of the series before the override (for COUNT). The expansion is bounded;
            // when a bound cut it short the count is too low, and the user is told.
            let counted = RecurrenceExpander.expand(master, windowStart: Int.min / 4, windowEnd: ridInstant, limit: 1_000_000, utcOffset: utcOffset)
            let before = counted.occurrences.count
            if master.recurrenceRules.contains(where: { $0.uppercased().contains("COUNT=") }) {
                for p in counted.problems {
                    report(Diagnostic(.warning, "RANGE=THISANDFUTURE at \(rid.icalValue): counting the \(before) occurrences before it: \(p); the new series' COUNT may be too high", uid: uid))
                }
            }
            let newUID = uid + "-" + rid.icalValue
            // The original series ends just before the override.
            out[m].recurrenceRules = master.recurrenceRules.map { endRule($0, before: rid, start: masterStart, utcOffset) }
            out[m].recurrenceDates = master.recurrenceDates.filter { (instant($0.start, utcOffset) ?? 0) < ridInstant }
            out[m].exceptionDates = master.exceptionDates.filter { (instant($0, utcOffset) ?? 0) < ridInstant }
            // The new series: the override's content, shifted occurrences from there on.
            let delta = (o.start.flatMap { instant($0, utcOffset) } ?? ridInstant) - ridInstant
            var series = o
            series.uid = newUID
            series.recurrenceID = nil
            series.recurrenceIDThisAndFuture = false
            series.recurrenceRules = master.recurrenceRules.map { remainingRule($0, already: before, shift: delta) }
            series.exceptionRules = master.exceptionRules
            series.recurrenceDates = master.recurrenceDates.filter { (instant($0.start, utcOffset) ?? 0) >= ridInstant }
                .map { .time(shifted($0.start, by: delta, utcOffset)) }
            series.exceptionDates = master.exceptionDates.filter { (instant($0, utcOffset) ?? 0) >= ridInstant }.map { shifted($0, by: delta, utcOffset) }
            if series.start == nil { series.start = shifted(masterStart, by: delta, utcOffset) }
            if series.end == nil && series.duration == nil {
                series.end = master.end.map { shifted($0, by: delta + (ridInstant - (instant(masterStart, utcOffset) ?? ridInstant)), utcOffset) }
                series.duration = master.duration
            }
            removed.insert(i)
            added.append(series)
            // Later single overrides of the series belong to the new one.
            for j in out.indices where out[j].uid == uid && j != i && !out[j].recurrenceIDThisAndFuture {
                if let r = out[j].recurrenceID, (instant(r, utcOffset) ?? 0) >= ridInstant {
                    out[j].uid = newUID
                    out[j].recurrenceID = shifted(r, by: delta, utcOffset)
                }
            }
            report(Diagnostic(.note, "RANGE=THISANDFUTURE at \(rid.icalValue): the series is split; occurrences from there on are the new series \(newUID)", uid: uid))
        }
        return (out, removed, added)
    }

    static func instant(_ t: EventTime, _ utcOffset: (String, LocalDateTime) -> Int?) -> Int? {
        switch t {
        case .date(let d): return d.daysSinceEpoch * 86_400
        case .floating(let l): return l.secondsSinceEpoch
        case .utc(let l): return l.secondsSinceEpoch
        case .zoned(let l, let z, let off): return (off ?? utcOffset(z, l)).map { l.secondsSinceEpoch - $0 }
        }
    }

    /// The same wall-clock shift on any kind of time (offsets are found again by readers).
    static func shifted(_ t: EventTime, by seconds: Int, _ utcOffset: ((String, LocalDateTime) -> Int?)? = nil) -> EventTime {
        switch t {
        case .date(let d): return .date(d.adding(days: seconds / 86_400))
        case .floating(let l): return .floating(l.adding(seconds: seconds))
        case .utc(let l): return .utc(l.adding(seconds: seconds))
        case .zoned(let l, let z, _):
            let moved = l.adding(seconds: seconds)
            return .zoned(moved, tzid: z, utcOffset: utcOffset?(z, moved))
        }
    }

    /// The rule with UNTIL just before `rid` (and no COUNT).
    static func endRule(_ rule: String, before rid: EventTime, start: EventTime, _ utcOffset: (String, LocalDateTime) -> Int?) -> String {
        var parts = rule.split(separator: ";").map(String.init).filter { !$0.uppercased().hasPrefix("COUNT=") && !$0.uppercased().hasPrefix("UNTIL=") }
        if case .date(let d) = rid {
            parts.append("UNTIL=" + d.adding(days: -1).basicFormat)
        } else if let i = instant(rid, utcOffset) {
            parts.append("UNTIL=" + LocalDateTime(secondsSinceEpoch: i - 1).basicFormat + "Z")
        }
        return parts.joined(separator: ";")
    }

    /// The rule for the rest of the series: COUNT less what came before, UNTIL moved with it.
    static func remainingRule(_ rule: String, already: Int, shift: Int) -> String {
        rule.split(separator: ";").map { part -> String in
            let p = String(part)
            if p.uppercased().hasPrefix("COUNT="), let n = Int(p.dropFirst(6)) { return "COUNT=\(max(1, n - already))" }
            if p.uppercased().hasPrefix("UNTIL="), let t = EventTime(icalValue: String(p.dropFirst(6)), tzid: nil) {
                return "UNTIL=" + shifted(t, by: shift).icalValue
            }
            return p
        }.joined(separator: ";")
    }
}
