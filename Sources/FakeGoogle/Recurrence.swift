import Foundation

/// The recurrence expansion of the fake: enough of RFC 5545 to list instances of simple
/// series, and a syntax check of every RRULE.
///
/// Expanded: one RRULE with `FREQ=DAILY`, `WEEKLY` (optionally `BYDAY` of plain weekdays and
/// `WKST`), `MONTHLY` or `YEARLY` (both without BY parts: the start's day of month, months
/// without that day skipped), with `INTERVAL`, `COUNT` or `UNTIL`; `RDATE` date or date-time
/// lists; `EXDATE` date or date-time lists (`TZID=` honoured). Times repeat as wall-clock times
/// of the start's zone, across DST changes. Anything else (other BY parts, EXRULE, several
/// RRULEs, `RDATE;VALUE=PERIOD`) is `unsupported`: stored and returned faithfully, but
/// `events.instances`, `singleEvents=true` and instance-id checks are not available for it.
struct RecurrenceExpansion {
    enum Failure: Error, Equatable {
        /// Not something the fake expands; the message says what.
        case unsupported(String)
        /// Malformed: Google rejects it as well.
        case invalid(String)
    }

    enum Frequency: String { case daily = "DAILY", weekly = "WEEKLY", monthly = "MONTHLY", yearly = "YEARLY" }

    /// One occurrence: its start instant (all-day: the start of the date in the calendar's
    /// zone) and, for all-day series, the date.
    struct Occurrence: Hashable {
        var millis: Int64
        var date: FakeTime.CivilDate?
        var idStamp: String { date?.compact ?? FakeTime.compactUTC(millis: millis) }
    }

    let frequency: Frequency
    let interval: Int
    let count: Int?
    /// Timed series: the last instant allowed; all-day: the last date's day number.
    let until: Int64?
    /// Weekdays, Monday 0 ... Sunday 6.
    let byDay: [Int]
    let weekStart: Int
    let start: EventTimeValue
    /// The zone in which wall times repeat (timed) or dates begin (all-day: the calendar's zone).
    let zone: TimeZone
    let calendarZone: TimeZone
    let exInstants: Set<Int64>
    let exDays: Set<Int>
    let rInstants: [Int64]
    let rDays: [Int]

    static let knownParts: Set<String> = [
        "FREQ", "UNTIL", "COUNT", "INTERVAL", "BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY", "BYMONTHDAY",
        "BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS", "WKST",
    ]
    static let frequencies: Set<String> = ["SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"]
    static let weekdays = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]

    /// The parts of an RRULE/EXRULE value, upper-cased names; nil with a message when malformed.
    static func parseRule(_ value: String) -> Result<[String: String], Failure> {
        var parts: [String: String] = [:]
        for item in value.split(separator: ";", omittingEmptySubsequences: true) {
            guard let eq = item.firstIndex(of: "=") else { return .failure(.invalid("Invalid recurrence rule: \(value)")) }
            let name = item[..<eq].uppercased()
            let v = String(item[item.index(after: eq)...]).uppercased()
            guard knownParts.contains(name), !v.isEmpty, parts[name] == nil else {
                return .failure(.invalid("Invalid recurrence rule: \(value)"))
            }
            parts[name] = v
        }
        guard let freq = parts["FREQ"], frequencies.contains(freq) else {
            return .failure(.invalid("Invalid recurrence rule: \(value)"))
        }
        if parts["COUNT"] != nil && parts["UNTIL"] != nil { return .failure(.invalid("Invalid recurrence rule: \(value)")) }
        if let c = parts["COUNT"], Int(c).map({ $0 < 1 }) ?? true { return .failure(.invalid("Invalid recurrence rule: \(value)")) }
        if let i = parts["INTERVAL"], Int(i).map({ $0 < 1 }) ?? true { return .failure(.invalid("Invalid recurrence rule: \(value)")) }
        if let u = parts["UNTIL"], FakeTime.parseICal(u) == nil { return .failure(.invalid("Invalid recurrence rule: \(value)")) }
        return .success(parts)
    }

    /// Splits `NAME;PARAM=V:value` into the name, parameters and value.
    static func splitLine(_ line: String) -> (name: String, params: [String: String], value: String)? {
        guard let colon = line.firstIndex(of: ":") else { return nil }
        let head = line[..<colon].split(separator: ";")
        guard let name = head.first?.uppercased() else { return nil }
        var params: [String: String] = [:]
        for p in head.dropFirst() {
            guard let eq = p.firstIndex(of: "=") else { continue }
            params[p[..<eq].uppercased()] = String(p[p.index(after: eq)...]).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return (name, params, String(line[line.index(after: colon)...]))
    }

    /// A syntax check of recurrence lines, as Google rejects malformed ones; nil when fine.
    static func syntaxProblem(_ lines: [String]) -> String? {
        for line in lines {
            guard let (name, params, value) = splitLine(line) else { return "Invalid recurrence rule: \(line)" }
            switch name {
            case "RRULE", "EXRULE":
                if case .failure(let f) = parseRule(value), case .invalid(let m) = f { return m }
            case "RDATE", "EXDATE":
                if params["VALUE"] == "PERIOD" { continue }
                for item in value.split(separator: ",") where FakeTime.parseICal(String(item)) == nil {
                    return "Invalid value for \(name): \(line)"
                }
            default:
                return "Invalid recurrence rule: \(line)"
            }
        }
        return nil
    }

    init(lines: [String], start: EventTimeValue, calendarZone: TimeZone) throws(Failure) {
        self.start = start
        self.calendarZone = calendarZone
        if start.isAllDay {
            zone = calendarZone
        } else if let name = start.zoneName, let z = TimeZone(identifier: name) {
            zone = z
        } else {
            zone = calendarZone
        }
        var rule: [String: String]?
        var exInstants = Set<Int64>(), exDays = Set<Int>(), rInstants: [Int64] = [], rDays: [Int] = []
        for line in lines {
            guard let (name, params, value) = Self.splitLine(line) else { throw .invalid("Invalid recurrence rule: \(line)") }
            switch name {
            case "RRULE":
                guard rule == nil else { throw .unsupported("more than one RRULE") }
                switch Self.parseRule(value) {
                case .success(let parts): rule = parts
                case .failure(let f): throw f
                }
            case "EXRULE":
                throw .unsupported("EXRULE")
            case "RDATE", "EXDATE":
                if params["VALUE"] == "PERIOD" { throw .unsupported("RDATE;VALUE=PERIOD") }
                let valueZone = params["TZID"].flatMap(TimeZone.init(identifier:)) ?? zone
                for item in value.split(separator: ",") {
                    guard let (date, time, utc) = FakeTime.parseICal(String(item)) else {
                        throw .invalid("Invalid value for \(name): \(line)")
                    }
                    if let (h, m, s) = time {
                        let wall = FakeTime.WallTime(date: date, hour: h, minute: m, second: s)
                        let instant = utc ? FakeTime.utcMillis(of: wall) : FakeTime.instant(of: wall, in: valueZone)
                        if start.isAllDay {
                            let day = FakeTime.wall(of: instant, in: calendarZone).0.date.days
                            if name == "RDATE" { rDays.append(day) } else { exDays.insert(day) }
                        } else if name == "RDATE" {
                            rInstants.append(instant)
                        } else {
                            exInstants.insert(instant)
                        }
                    } else if name == "RDATE" {
                        if start.isAllDay { rDays.append(date.days) } else { throw .unsupported("date RDATE on a timed series") }
                    } else {
                        exDays.insert(date.days)
                    }
                }
            default:
                throw .invalid("Invalid recurrence rule: \(line)")
            }
        }
        guard let rule else { throw .unsupported("no RRULE") }
        guard let freq = Frequency(rawValue: rule["FREQ"]!) else { throw .unsupported("FREQ=\(rule["FREQ"]!)") }
        for part in rule.keys where !["FREQ", "UNTIL", "COUNT", "INTERVAL", "BYDAY", "WKST"].contains(part) {
            throw .unsupported(part)
        }
        var byDay: [Int] = []
        if let days = rule["BYDAY"] {
            guard freq == .weekly else { throw .unsupported("BYDAY with FREQ=\(freq.rawValue)") }
            for d in days.split(separator: ",") {
                guard let i = Self.weekdays.firstIndex(of: String(d)) else { throw .unsupported("BYDAY=\(days)") }
                byDay.append(i)
            }
        }
        frequency = freq
        interval = Int(rule["INTERVAL"] ?? "1") ?? 1
        count = rule["COUNT"].flatMap { Int($0) }
        weekStart = rule["WKST"].flatMap { Self.weekdays.firstIndex(of: $0) } ?? 0
        let startWall = FakeTime.wall(of: start.millis, in: zone).0
        if byDay.isEmpty && freq == .weekly {
            byDay = [start.date?.weekdayFromMonday ?? startWall.date.weekdayFromMonday]
        }
        self.byDay = Array(Set(byDay)).sorted()
        if let u = rule["UNTIL"], let (date, time, utc) = FakeTime.parseICal(u) {
            if start.isAllDay {
                if let (h, m, s) = time, utc {
                    until = Int64(FakeTime.wall(of: FakeTime.utcMillis(of: .init(date: date, hour: h, minute: m, second: s)), in: calendarZone).0.date.days)
                } else {
                    until = Int64(date.days)
                }
            } else if let (h, m, s) = time {
                let wall = FakeTime.WallTime(date: date, hour: h, minute: m, second: s)
                until = utc ? FakeTime.utcMillis(of: wall) : FakeTime.instant(of: wall, in: zone)
            } else {
                let next = FakeTime.CivilDate(days: date.days + 1)
                until = FakeTime.instant(of: .init(date: next, hour: 0, minute: 0, second: 0), in: zone) - 1
            }
        } else {
            until = nil
        }
        self.exInstants = exInstants
        self.exDays = exDays
        self.rInstants = rInstants
        self.rDays = rDays
    }

    /// Whether the series ends (COUNT or UNTIL).
    var isFinite: Bool { count != nil || until != nil }

    /// Occurrences in order, starting at or before `through` (nil: no bound), at most `limit`
    /// generated by the rule. EXDATEs are removed unless `keepExcluded`.
    func occurrences(through: Int64?, limit: Int, keepExcluded: Bool = false) -> [Occurrence] {
        let startWall = FakeTime.wall(of: start.millis, in: zone).0
        let startDate = start.date ?? startWall.date
        var result: [Occurrence] = []
        var produced = 0

        func make(_ date: FakeTime.CivilDate) -> Occurrence {
            if start.isAllDay {
                return Occurrence(millis: FakeTime.instant(of: .init(date: date, hour: 0, minute: 0, second: 0), in: calendarZone), date: date)
            }
            let wall = FakeTime.WallTime(date: date, hour: startWall.hour, minute: startWall.minute, second: startWall.second)
            return Occurrence(millis: FakeTime.instant(of: wall, in: zone) + start.millis % 1000, date: nil)
        }

        /// False when generation must stop.
        func take(_ date: FakeTime.CivilDate) -> Bool {
            if let count, produced >= count { return false }
            if produced >= limit { return false }
            let occurrence = make(date)
            if let until {
                if start.isAllDay ? Int64(date.days) > until : occurrence.millis > until { return false }
            }
            if let through, occurrence.millis > through { return false }
            produced += 1
            result.append(occurrence)
            return true
        }

        var iterations = 0
        let maxIterations = 200_000
        loop: while iterations < maxIterations {
            iterations += 1
            let k = iterations - 1
            switch frequency {
            case .daily:
                if !take(FakeTime.CivilDate(days: startDate.days + k * interval)) { break loop }
            case .weekly:
                let startWeek = startDate.days - ((startDate.weekdayFromMonday - weekStart + 7) % 7)
                let weekBegin = startWeek + 7 * interval * k
                let ordered = byDay.sorted { ($0 - weekStart + 7) % 7 < ($1 - weekStart + 7) % 7 }
                for d in ordered {
                    let day = weekBegin + (d - weekStart + 7) % 7
                    if day < startDate.days { continue }
                    if !take(FakeTime.CivilDate(days: day)) { break loop }
                }
            case .monthly:
                let index = startDate.year * 12 + (startDate.month - 1) + k * interval
                let date = FakeTime.CivilDate(year: index / 12, month: index % 12 + 1, day: startDate.day)
                if date.isValid, !take(date) { break loop }
                if let through, date.year > 0, make(FakeTime.CivilDate(year: index / 12, month: index % 12 + 1, day: 1)).millis > through { break loop }
            case .yearly:
                let date = FakeTime.CivilDate(year: startDate.year + k * interval, month: startDate.month, day: startDate.day)
                if date.isValid, !take(date) { break loop }
                if let through, make(FakeTime.CivilDate(year: date.year, month: 1, day: 1)).millis > through { break loop }
            }
        }

        for day in rDays {
            let o = make(FakeTime.CivilDate(days: day))
            if through.map({ o.millis <= $0 }) ?? true { result.append(o) }
        }
        for instant in rInstants where through.map({ instant <= $0 }) ?? true {
            result.append(Occurrence(millis: instant, date: nil))
        }
        var seen = Set<Occurrence>()
        result = result.filter { seen.insert($0).inserted }
        if !keepExcluded {
            result.removeAll { o in
                if let d = o.date { return exDays.contains(d.days) }
                return exInstants.contains(o.millis) || exDays.contains(FakeTime.wall(of: o.millis, in: zone).0.date.days)
            }
        }
        return result.sorted { $0.millis < $1.millis }
    }

    /// Whether an occurrence (ignoring EXDATEs) starts at `millis` (timed) or on `date` (all-day).
    func contains(millis: Int64, date: FakeTime.CivilDate?) -> Bool {
        let all = occurrences(through: millis + 1, limit: 1_000_000, keepExcluded: true)
        if let date { return all.contains { $0.date == date } }
        return all.contains { $0.millis == millis }
    }
}
