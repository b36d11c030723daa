/// Calendar dates and wall-clock times, independent of any time zone.
/// Pure values: no Foundation calendars, no I/O.

/// A day in the proleptic Gregorian calendar.
public struct LocalDate: Hashable, Comparable, Sendable, Codable {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    public var isValid: Bool {
        (1...9999).contains(year) && (1...12).contains(month)
            && (1...LocalDate.daysIn(month: month, year: year)).contains(day)
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 1, 3, 5, 7, 8, 10, 12: return 31
        case 4, 6, 9, 11: return 30
        default:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        }
    }

    /// Days since 1970-01-01 (negative before). Howard Hinnant's civil-date algorithm.
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    public init(daysSinceEpoch z0: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)
    }

    public func adding(days: Int) -> LocalDate { LocalDate(daysSinceEpoch: daysSinceEpoch + days) }

    public static func < (a: LocalDate, b: LocalDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    /// `YYYYMMDD`, the iCalendar DATE form.
    public var basicFormat: String {
        if let s = fixedWidth([(year, 4), (month, 2), (day, 2)], separators: [0, 0]) { return s }
        return pad(year, 4) + pad(month, 2) + pad(day, 2)
    }
    /// `YYYY-MM-DD`, the RFC 3339 full-date form.
    public var extendedFormat: String {
        if let s = fixedWidth([(year, 4), (month, 2), (day, 2)], separators: [0x2D, 0x2D]) { return s }
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
    }
}

/// A wall-clock date and time, with no zone attached.
public struct LocalDateTime: Hashable, Comparable, Sendable, Codable {
    public var date: LocalDate
    public var hour: Int
    public var minute: Int
    public var second: Int

    public init(date: LocalDate, hour: Int, minute: Int, second: Int) {
        self.date = date
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.init(date: LocalDate(year: year, month: month, day: day), hour: hour, minute: minute, second: second)
    }

    public var isValid: Bool {
        date.isValid && (0...23).contains(hour) && (0...59).contains(minute) && (0...60).contains(second)
    }

    /// Seconds since 1970-01-01T00:00:00 on this wall clock (as if it were UTC).
    public var secondsSinceEpoch: Int {
        date.daysSinceEpoch * 86_400 + hour * 3600 + minute * 60 + second
    }

    public init(secondsSinceEpoch s: Int) {
        let days = s >= 0 ? s / 86_400 : -((-s + 86_399) / 86_400)
        let rem = s - days * 86_400
        self.init(date: LocalDate(daysSinceEpoch: days), hour: rem / 3600, minute: rem % 3600 / 60, second: rem % 60)
    }

    public func adding(seconds: Int) -> LocalDateTime { LocalDateTime(secondsSinceEpoch: secondsSinceEpoch + seconds) }

    public static func < (a: LocalDateTime, b: LocalDateTime) -> Bool {
        (a.date, a.hour, a.minute, a.second) < (b.date, b.hour, b.minute, b.second)
    }

    /// `YYYYMMDDTHHMMSS`, the iCalendar DATE-TIME form without zone designator.
    public var basicFormat: String {
        if let s = fixedWidth([(date.year, 4), (date.month, 2), (date.day, 2), (hour, 2), (minute, 2), (second, 2)],
                              separators: [0, 0, 0x54, 0, 0]) { return s }
        return date.basicFormat + "T" + pad(hour, 2) + pad(minute, 2) + pad(second, 2)
    }
    /// `YYYY-MM-DDTHH:MM:SS`, the RFC 3339 form without offset.
    public var extendedFormat: String {
        if let s = fixedWidth([(date.year, 4), (date.month, 2), (date.day, 2), (hour, 2), (minute, 2), (second, 2)],
                              separators: [0x2D, 0x2D, 0x54, 0x3A, 0x3A]) { return s }
        return date.extendedFormat + "T" + pad(hour, 2) + ":" + pad(minute, 2) + ":" + pad(second, 2)
    }
}

/// An event's start, end or recurrence instant as iCalendar distinguishes them.
public enum EventTime: Hashable, Sendable, Codable {
    /// An all-day DATE value.
    case date(LocalDate)
    /// A DATE-TIME with no zone: the same wall-clock time wherever the reader is.
    case floating(LocalDateTime)
    /// A DATE-TIME in UTC (`Z`).
    case utc(LocalDateTime)
    /// A DATE-TIME in a named zone. `utcOffset` (seconds east of UTC at that moment) is filled in
    /// by the reader that resolved the zone; nil when the zone could not be resolved.
    case zoned(LocalDateTime, tzid: String, utcOffset: Int?)

    public var isDate: Bool { if case .date = self { return true } else { return false } }

    public var localDateTime: LocalDateTime {
        switch self {
        case .date(let d): return LocalDateTime(date: d, hour: 0, minute: 0, second: 0)
        case .floating(let t), .utc(let t), .zoned(let t, _, _): return t
        }
    }

    public var tzid: String? { if case .zoned(_, let z, _) = self { return z } else { return nil } }

    /// Seconds since the Unix epoch, when the time names a single instant.
    public var instant: Int? {
        switch self {
        case .date, .floating: return nil
        case .utc(let t): return t.secondsSinceEpoch
        case .zoned(let t, _, let off): return off.map { t.secondsSinceEpoch - $0 }
        }
    }
}

/// An RFC 5545 DURATION (`[+-]P[nW][nD][T[nH][nM][nS]]`). Weeks and days are nominal:
/// a day across a DST change is 23 or 25 hours.
public struct ICalDuration: Hashable, Sendable, Codable {
    public var isNegative: Bool
    public var weeks: Int
    public var days: Int
    public var hours: Int
    public var minutes: Int
    public var seconds: Int

    public init(isNegative: Bool = false, weeks: Int = 0, days: Int = 0, hours: Int = 0, minutes: Int = 0, seconds: Int = 0) {
        self.isNegative = isNegative
        self.weeks = weeks
        self.days = days
        self.hours = hours
        self.minutes = minutes
        self.seconds = seconds
    }

    /// Whole nominal days (weeks included) and the exact seconds part, signed.
    public var nominalDays: Int { (isNegative ? -1 : 1) * (weeks * 7 + days) }
    public var exactSeconds: Int { (isNegative ? -1 : 1) * (hours * 3600 + minutes * 60 + seconds) }
    /// The duration in seconds if every day had 24 hours.
    public var totalSeconds: Int { nominalDays * 86_400 + exactSeconds }

    public var icalString: String {
        var s = isNegative ? "-P" : "P"
        if weeks != 0 && days == 0 && hours == 0 && minutes == 0 && seconds == 0 { return s + "\(weeks)W" }
        let d = weeks * 7 + days
        if d != 0 { s += "\(d)D" }
        if hours != 0 || minutes != 0 || seconds != 0 {
            s += "T"
            if hours != 0 { s += "\(hours)H" }
            if minutes != 0 { s += "\(minutes)M" }
            if seconds != 0 { s += "\(seconds)S" }
        }
        if s.hasSuffix("P") { s += "T0S" }
        return s
    }

    /// Parses the RFC 5545 form; nil when malformed.
    public init?(icalString raw: String) {
        // ASCII (nearly always): on the bytes, where each is a Character.
        if let read = raw.utf8.withContiguousStorageIfAvailable({ ICalDuration.readASCII($0) }), let read {
            guard let read else { return nil }
            self = read
            return
        }
        self.init(characters: raw)
    }

    /// `init(icalString:)` on ASCII bytes, which are each a Character (upper-cased alone):
    /// nil when the bytes are not all ASCII, `.some(nil)` when the duration is malformed.
    static func readASCII(_ u: UnsafeBufferPointer<UInt8>) -> ICalDuration?? {
        guard !u.contains(where: { $0 >= 0x80 }) else { return nil }
        func upper(_ b: UInt8) -> UInt8 { b >= 0x61 && b <= 0x7A ? b - 0x20 : b }
        var i = 0
        var neg = false
        if i < u.count, u[i] == UInt8(ascii: "+") { i += 1 } else if i < u.count, u[i] == UInt8(ascii: "-") { neg = true; i += 1 }
        guard i < u.count, upper(u[i]) == UInt8(ascii: "P") else { return .some(nil) }
        i += 1
        var w = 0, d = 0, h = 0, m = 0, sec = 0
        var inTime = false
        // The digits since the last designator; nil before the first.
        var num: Int?
        var any = false
        while i < u.count {
            let c = upper(u[i])
            i += 1
            if c >= 0x30 && c <= 0x39 {
                // Too many digits for an Int: `Int(num)` fails, and so does the duration.
                let (times, o1) = (num ?? 0).multipliedReportingOverflow(by: 10)
                let (sum, o2) = times.addingReportingOverflow(Int(c - 0x30))
                guard !o1, !o2 else { return .some(nil) }
                num = sum
                continue
            }
            if c == UInt8(ascii: "T") { guard num == nil, !inTime else { return .some(nil) }; inTime = true; continue }
            guard let n = num else { return .some(nil) }
            num = nil
            any = true
            switch (c, inTime) {
            case (UInt8(ascii: "W"), false): w = n
            case (UInt8(ascii: "D"), false): d = n
            case (UInt8(ascii: "H"), true): h = n
            case (UInt8(ascii: "M"), true): m = n
            case (UInt8(ascii: "S"), true): sec = n
            default: return .some(nil)
            }
        }
        guard num == nil, any else { return .some(nil) }
        return .some(ICalDuration(isNegative: neg, weeks: w, days: d, hours: h, minutes: m, seconds: sec))
    }

    /// `init(icalString:)` on Characters, for any text.
    init?(characters raw: String) {
        var s = Substring(raw.uppercased())
        var neg = false
        if s.first == "+" { s = s.dropFirst() } else if s.first == "-" { neg = true; s = s.dropFirst() }
        guard s.first == "P" else { return nil }
        s = s.dropFirst()
        var w = 0, d = 0, h = 0, m = 0, sec = 0
        var inTime = false
        var num = ""
        var any = false
        for c in s {
            if c.isASCII && c.isNumber { num.append(c); continue }
            if c == "T" { guard num.isEmpty, !inTime else { return nil }; inTime = true; continue }
            guard let n = Int(num) else { return nil }
            num = ""
            any = true
            switch (c, inTime) {
            case ("W", false): w = n
            case ("D", false): d = n
            case ("H", true): h = n
            case ("M", true): m = n
            case ("S", true): sec = n
            default: return nil
            }
        }
        guard num.isEmpty, any else { return nil }
        self.init(isNegative: neg, weeks: w, days: d, hours: h, minutes: m, seconds: sec)
    }
}

/// Zero-padded fields with an ASCII separator byte between each two (0 for none), written
/// in one go; nil when a field is negative or wider than its width (then `pad` spells it).
@inline(__always)
func fixedWidth(_ fields: [(Int, Int)], separators: [UInt8]) -> String? {
    var length = 0
    for (i, (n, width)) in fields.enumerated() {
        var limit = 1
        for _ in 0..<width { limit *= 10 }
        guard n >= 0, n < limit else { return nil }
        length += width + (i > 0 && separators[i - 1] != 0 ? 1 : 0)
    }
    return String(unsafeUninitializedCapacity: length) { buf in
        var at = 0
        for (i, (n, width)) in fields.enumerated() {
            if i > 0 && separators[i - 1] != 0 {
                buf[at] = separators[i - 1]
                at += 1
            }
            var v = n
            for k in stride(from: width - 1, through: 0, by: -1) {
                buf[at + k] = 0x30 + UInt8(v % 10)
                v /= 10
            }
            at += width
        }
        return at
    }
}

@inline(__always)
func pad(_ n: Int, _ width: Int) -> String {
    let s = String(abs(n))
    let body = s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    return n < 0 ? "-" + body : body
}
