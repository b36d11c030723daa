import CalendarModel

/// Writes a VTIMEZONE for an IANA zone from the system's TZif data, so that the zones calport
/// writes agree with the tz database (libical 3.0's own generated zones do not, for some zones
/// and years). History since 1900 becomes one observance per change of offsets, with RDATEs;
/// the rule in force after the table becomes yearly RRULEs, or RDATEs up to 2100 when an RRULE
/// cannot say it (a change at 26:00 on the fourth Thursday, say).
enum VTimezoneGenerator {
    static let firstYear = 1900
    static let lastExplicitYear = 2100

    static func lines(tzid: String, zone: TzifZone) -> [String] {
        let startInstant = LocalDateTime(year: firstYear, month: 1, day: 1).secondsSinceEpoch
        var out = ["BEGIN:VTIMEZONE", "TZID:" + tzid]
        let initial = zone.offset(at: startInstant)
        // The offset in force from 1900 on, as an observance that never changes.
        out += observance(kind: "STANDARD", from: initial, to: initial,
                          start: LocalDateTime(secondsSinceEpoch: startInstant + Int(initial)), extra: [])
        // Changes from the table, grouped by (from, to).
        var groups: [(from: Int32, to: Int32, locals: [LocalDateTime])] = []
        var previous = initial
        for (i, t) in zone.times.enumerated() where Int(t) > startInstant {
            let to = zone.offsets[i]
            if to == previous { continue }
            let local = LocalDateTime(secondsSinceEpoch: Int(t) + Int(previous))
            if let g = groups.firstIndex(where: { $0.from == previous && $0.to == to }) { groups[g].locals.append(local) } else {
                groups.append((previous, to, [local]))
            }
            previous = to
        }
        let standard = zone.rule.std
        for g in groups {
            let rdates = g.locals.dropFirst().map { "RDATE:" + $0.basicFormat }
            out += observance(kind: g.to > standard ? "DAYLIGHT" : "STANDARD", from: g.from, to: g.to, start: g.locals[0], extra: rdates)
        }
        // The rule after the table.
        let lastTable = zone.times.last.map(Int.init) ?? startInstant
        out += ruleObservances(zone.rule, after: max(lastTable, startInstant), currentOffset: previous)
        out.append("END:VTIMEZONE")
        return out
    }

    private static func observance(kind: String, from: Int32, to: Int32, start: LocalDateTime, extra: [String]) -> [String] {
        ["BEGIN:\(kind)", "DTSTART:" + start.basicFormat, "TZOFFSETFROM:" + offsetText(from), "TZOFFSETTO:" + offsetText(to)]
            + extra + ["END:\(kind)"]
    }

    static func offsetText(_ seconds: Int32) -> String {
        let a = abs(Int(seconds))
        let h = a / 3600, m = a % 3600 / 60, s = a % 60
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return (seconds < 0 ? "-" : "+") + two(h) + two(m) + (s != 0 ? two(s) : "")
    }

    private static func ruleObservances(_ rule: PosixTZ, after: Int, currentOffset: Int32) -> [String] {
        guard let dst = rule.dst else {
            if currentOffset == rule.std { return [] }
            // A last change to the rule's fixed offset that the table does not hold.
            return observance(kind: "STANDARD", from: currentOffset, to: rule.std,
                              start: LocalDateTime(secondsSinceEpoch: after + 1 + Int(currentOffset)), extra: [])
        }
        let afterYear = LocalDateTime(secondsSinceEpoch: after).date.year
        var out: [String] = []
        for (toDST, day, time) in [(true, rule.start, rule.startTime), (false, rule.end, rule.endTime)] {
            let from = toDST ? rule.std : dst, to = toDST ? dst : rule.std
            // The rule's changes in each year, as local times in the offset before the change.
            var changes: [LocalDateTime] = []
            for year in afterYear...lastExplicitYear {
                for at in rule.changes(year: year) where at > after && rule.offset(at: at) == to && rule.offset(at: at - 1) == from {
                    changes.append(LocalDateTime(secondsSinceEpoch: at + Int(from)))
                }
            }
            guard let first = changes.first else { continue }
            if case .monthWeekDay(let month, let week, let weekday) = day, (0..<86_400).contains(time) {
                let byday = (week == 5 ? "-1" : "\(week)") + ["SU", "MO", "TU", "WE", "TH", "FR", "SA"][weekday]
                out += observance(kind: toDST ? "DAYLIGHT" : "STANDARD", from: from, to: to, start: first,
                                  extra: ["RRULE:FREQ=YEARLY;BYMONTH=\(month);BYDAY=\(byday)"])
            } else {
                out += observance(kind: toDST ? "DAYLIGHT" : "STANDARD", from: from, to: to, start: first,
                                  extra: changes.dropFirst().map { "RDATE:" + $0.basicFormat })
            }
        }
        return out
    }
}
